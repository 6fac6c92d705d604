"""`stress` writes one JSON per setting, a table and curves, caches the clean pass; curve areas."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from inpaintbench import cli
from inpaintbench.evaluation._attack_spec import parse_attacks
from inpaintbench.jobs import stress
from inpaintbench.jobs.results import read_result
from inpaintbench.reports.job_reports import write_stress_report
from inpaintbench.reports.leaderboard import build
from inpaintbench.reports.robustness import Curve

SETTINGS = "jpeg:quality=90,jpeg:quality=30,gaussian_noise:std=40,resize:scale=0.5,keep_new_size=true"


@pytest.fixture
def trained(tiny_detector, tiny_layout, tmp_path):
    """A tiny detector trained for a few steps: its checkpoint."""
    run_dir = tmp_path / "run"
    assert cli.main(["train", "--detector", tiny_detector, "--dataset", "provided", "--data-root", str(tiny_layout),
                     "--image-size", "32", "--epochs", "2", "--batch-size", "4", "--run-dir", str(run_dir),
                     "--quiet"]) == 0
    return run_dir / "best.pt"


def stress_args(layout, checkpoint, out, cache, attacks=SETTINGS):
    return ["stress", "--detector", "tiny", "--dataset", "provided", "--data-root", str(layout),
            "--checkpoint", str(checkpoint), "--image-size", "native", "--attacks", attacks,
            "--output-dir", str(out), "--cache-dir", str(cache), "--quiet"]


def test_stress_writes_jsons_table_curves_and_reuses_the_clean_pass(trained, tiny_layout, tmp_path, monkeypatch):
    calls = []
    real = stress.evaluate_job

    def counting(job, checkpoint=None, splits=None, **kw):
        attack = job.protocol.attack
        calls.append(attack.spec if attack is not None else None)
        return real(job, checkpoint, splits, **kw)

    monkeypatch.setattr(stress, "evaluate_job", counting)
    out, cache = tmp_path / "stress", tmp_path / "cache"
    assert cli.main(stress_args(tiny_layout, trained, out, cache)) == 0
    assert calls == [None, "jpeg:quality=90", "jpeg:quality=30", "gaussian_noise:std=40",
                     "resize:scale=0.5,keep_new_size=true"]

    files = sorted(p.name for p in out.glob("*.json"))
    assert len(files) == 5 and "clean.json" in files
    clean = json.loads((out / "clean.json").read_text())
    assert clean["attack"] is None
    assert set(clean["metrics"]) == {"test/realfake", "test/fakefake", "test/original"}
    resized = json.loads((out / "resize_scale_0.5_keep_new_size_true.json").read_text())
    assert resized["attack"] == "resize:scale=0.5,keep_new_size=true"
    assert "nearest-neighbour" in resized["protocol"]["attack_description"]
    assert resized["protocol"]["attack_curve"] == {"family": "resize", "strength": "scale", "value": 0.5,
                                                   "neutral": 1.0, "geometric": True}
    assert resized["metrics"]["test/realfake"]["n_images"] == clean["metrics"]["test/realfake"]["n_images"]
    noisy = json.loads((out / "gaussian_noise_std_40.json").read_text())
    assert noisy["metrics"]["test/realfake"]["auc"] != clean["metrics"]["test/realfake"]["auc"]

    table = (out / "stress.md").read_text()
    section = table.split("### provided · test/realfake")[1].split("###")[0]
    rows = [line.split("|")[1].strip() for line in section.splitlines() if line.startswith("|")][2:]
    assert rows == ["clean", "gaussian_noise:std=40", "jpeg:quality=90", "jpeg:quality=30",  # by family, mildest first
                    "resize:scale=0.5,keep_new_size=true"]
    iou_clean = float(section.splitlines()[4].split("|")[2])
    assert iou_clean == pytest.approx(clean["metrics"]["test/realfake"]["iou"], abs=6e-4)
    assert "aurc" in table and "test/original" in table

    pngs = sorted(p.name for p in out.glob("*.png"))  # a gallery beside the clean result, a curve per family
    assert pngs == ["clean.png", "robustness-gaussian_noise.png", "robustness-jpeg.png", "robustness-resize.png"]
    assert (out / noisy["records"]).is_file() and (out / clean["records"]).is_file()
    with Image.open(out / "robustness-jpeg.png") as im:
        assert im.format == "PNG" and im.width > 200

    # the second run takes the clean result from the cache and keeps the attacked results
    calls.clear()
    specs = "jpeg:quality=90,gaussian_blur:sigma=2"
    job = cli.job_from_args(cli.build_parser().parse_args(
        stress_args(tiny_layout, trained, tmp_path / "stress2", cache, specs)))
    again = stress.run_stress(job, parse_attacks(specs), tmp_path / "stress2", str(trained), cache_dir=cache)
    assert again.clean_from_cache and calls == ["jpeg:quality=90", "gaussian_blur:sigma=2"]
    cached = json.loads((tmp_path / "stress2" / "clean.json").read_text())
    assert cached["metrics"] == clean["metrics"]
    # the cached clean result's per-image records come along with it
    assert (tmp_path / "stress2" / cached["records"]).read_bytes() == (out / clean["records"]).read_bytes()
    calls.clear()
    assert cli.main(stress_args(tiny_layout, trained, out, cache)) == 0
    assert calls == []  # clean from the cache, every attacked result kept


def test_leaderboard_gains_robustness_section(trained, tiny_layout, tmp_path):
    out = tmp_path / "stress"
    assert cli.main(stress_args(tiny_layout, trained, out, tmp_path / "cache",
                                "jpeg:quality=80,jpeg:quality=40")) == 0
    text = build(sorted(out.glob("*.json")))
    robust = text.split("## Robustness (iou)")[1]
    from inpaintbench.jobs.results import data_heading

    data = data_heading(read_result(out / "clean.json"))
    assert f"### {data} · test/realfake · P1 · iou under attack" in robust
    lines = [ln for ln in robust.split(f"### {data} · test/fakefake")[0].splitlines() if ln.startswith("|")]
    assert [ln.split("|")[1].strip() for ln in lines[2:]] == ["clean", "jpeg:quality=80", "jpeg:quality=40"]
    assert "area under the robustness curve" in robust and "aurc_relative" in robust
    # clean result still ranked in the ordinary tables; attacked ones are not
    assert text.split("## Robustness")[0].count("jpeg:quality") == 0

    # the report is made from the result files alone, as the command made it
    written = (out / "stress.md").read_text()
    again = write_stress_report([read_result(p) for p in sorted(out.glob("*.json"))], tmp_path / "again")
    assert again.table.read_text() == written
    assert sorted(p.name for p in again.figures) == ["robustness-jpeg.png"]


def test_curve_area_is_normalised_over_the_strength_range():
    curve = Curve("m", "d", "test/x", "jpeg", "quality", 100.0, "iou", 0.8,
                  [(90.0, 0.6, "jpeg:quality=90"), (50.0, 0.2, "jpeg:quality=50")])
    # t = 0.2 and 1.0: 0.2 * (0.8 + 0.6) / 2 + 0.8 * (0.6 + 0.2) / 2
    assert curve.aurc() == pytest.approx(0.46)
    assert curve.aurc_relative() == pytest.approx(0.46 / 0.8)
    flat = Curve("m", "d", "s", "gaussian_blur", "sigma", 0.0, "iou", 0.5, [(1.0, 0.5, "a"), (2.0, 0.5, "b")])
    assert flat.aurc() == pytest.approx(0.5)  # a detector that never degrades keeps its clean value
    assert Curve("m", "d", "s", "reencode", "", None, "iou", 0.5, [(0.0, 0.1, "r")]).aurc() is None


def test_stress_rejects_bad_specs_before_any_work(tiny_layout, tmp_path, capsys):
    code = cli.main(stress_args(tiny_layout, tmp_path / "none.pt", tmp_path / "o", tmp_path / "c",
                                "jpeg:quality=90,blurr:sigma=2"))
    assert code == 2
    err = capsys.readouterr().err
    assert "unknown attack 'blurr'" in err and "gaussian_blur" in err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("choice, galleries", [("all", ["clean.png", "jpeg_quality_90.png"]), ("none", [])])
def test_stress_gallery_choice_says_which_settings_get_a_gallery(trained, tiny_layout, tmp_path, choice, galleries):
    out = tmp_path / "stress"
    args = stress_args(tiny_layout, trained, out, tmp_path / "cache", "jpeg:quality=90") + ["--gallery", choice]
    assert cli.main(args) == 0
    assert sorted(p.name for p in out.glob("*.png") if not p.name.startswith("robustness")) == galleries
def test_stress_prints_a_short_table_of_its_metrics(tiny_layout, tmp_path, capsys):
    out = tmp_path / "s"
    assert cli.main(["stress", "--detector", "noise-residual", "--dataset", "provided", "--data-root",
                     str(tiny_layout), "--attacks", "jpeg:quality=90", "--split", "test/fakefake", "--split",
                     "test/original", "--output-dir", str(out), "--cache-dir", str(tmp_path / "c"), "--quiet",
                     "--no-overlays"]) == 0
    printed = capsys.readouterr().out.splitlines()
    header = next(i for i, line in enumerate(printed) if line.startswith("setting"))
    assert printed[header].split() == ["setting", "test/fakefake", "iou", "test/original", "fpr"]
    rows = {line.split()[0]: line.split()[1:] for line in printed[header + 2:header + 4]}
    for setting, name in (("clean", "clean.json"), ("jpeg:quality=90", "jpeg_quality_90.json")):
        metrics = json.loads((out / name).read_text())["metrics"]
        assert rows[setting] == [f"{metrics['test/fakefake']['iou']:.3f}", f"{metrics['test/original']['fpr']:.3f}"]
