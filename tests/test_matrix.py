"""`matrix` trains one model per training set, tests each on every test set, writes md + heatmap."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from inpaintbench import cli
from inpaintbench.io._paths import portable_path, portable_text
from inpaintbench.jobs import matrix
from inpaintbench.jobs.matrix import DataSet, parse_sets
from inpaintbench.jobs.results import read_result, slug
from inpaintbench.reports.generalization import matrix_tables, set_labels, short_label
from inpaintbench.reports.job_reports import write_matrix_report
from inpaintbench.reports.leaderboard import build

from layout_factory import make_layout

TRAIN = "provided:realfake,provided:fakefake@{other}"
TEST = "provided:realfake,provided:fakefake,provided@{other}"


def matrix_args(layout, other, out, *extra):
    return ["matrix", "--detector", "tiny", "--data-root", str(layout),
            "--train", TRAIN.format(other=other), "--test", TEST.format(other=other),
            "--image-size", "32", "--epochs", "1", "--batch-size", "4", "--output-dir", str(out),
            "--cache-dir", str(out.parent / "cache"), "--quiet", *extra]


def test_matrix_two_training_sets_three_test_sets(tiny_detector, tiny_layout, tmp_path, monkeypatch, capsys):
    other = make_layout(tmp_path / "other", {"train": 6, "val": 2, "test": 2}, size=32, seed=1,
                        kinds=("fakefake", "inpainted"))
    out = tmp_path / "matrix"
    assert cli.main(matrix_args(tiny_layout, other, out)) == 0

    results = {p.name: json.loads(p.read_text()) for p in sorted((out / "results").glob("*.json"))}
    assert len(results) == 6
    other_slug = slug(f"provided:fakefake@{other}")
    assert str(other).strip("/").split("/")[0] not in other_slug  # paths become a short hash
    one = results[f"{other_slug}--provided_realfake.json"]
    assert one["training"]["train_set"] == portable_text(f"provided:fakefake@{other}")
    assert str(tmp_path) not in json.dumps(one)  # no machine path is recorded
    assert one["training"]["test_set"] == "provided:realfake" and list(one["metrics"]) == ["test/realfake"]
    assert one["training"]["config"]["train_kinds"] == ["fakefake"]
    across = results[f"provided_realfake--{slug(f'provided@{other}')}.json"]
    assert set(across["metrics"]) == {"test/fakefake", "test/inpainted"}
    assert across["dataset_info"]["root"] == portable_path(other)

    text = (out / "matrix.md").read_text()
    iou = text.split("**iou**")[1].split("**f1**")[0]
    table = [line for line in iou.splitlines() if line.startswith("|")]
    header = [c.strip() for c in table[0].split("|")[2:-1]]
    # a set in a folder is named by the folder and its kind (else its dataset); the legend gives the whole set
    assert header == ["provided:realfake", "provided:fakefake", "other (provided) · test/fakefake",
                      "other (provided) · test/inpainted"]
    rows = {line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:-1]] for line in table[2:]}
    assert list(rows) == ["provided:realfake", "other (fakefake)"]
    assert f"`other (fakefake)` = `{portable_text(f'provided:fakefake@{other}')}`" in text
    assert float(rows["provided:realfake"][3]) == pytest.approx(across["metrics"]["test/inpainted"]["iou"], abs=6e-4)
    assert "pixel false-positive rate" not in text  # no authentic test split was asked for

    with Image.open(out / "matrix-iou.png") as im:
        assert im.format == "PNG" and im.width > 300
    assert (out / "models" / "provided_realfake" / "best.pt").exists()

    # a rerun neither retrains nor re-evaluates
    calls = []
    monkeypatch.setattr(matrix, "evaluate_job", lambda *a, **k: calls.append(a) or pytest.fail("re-evaluated"))
    stamp = (out / "models" / "provided_realfake" / "best.pt").stat().st_mtime_ns
    assert cli.main(matrix_args(tiny_layout, other, out)) == 0
    assert calls == [] and (out / "models" / "provided_realfake" / "best.pt").stat().st_mtime_ns == stamp

    # the report is made from the result files alone (in the run's order), as the command made it
    cells = [out / "results" / f"{slug(train)}--{slug(test)}.json" for train in TRAIN.format(other=other).split(",")
             for test in TEST.format(other=other).split(",")]
    again = write_matrix_report([read_result(p) for p in cells], tmp_path / "again")
    assert again.markdown.read_text() == text

    board = build(sorted((out / "results").glob("*.json")))
    assert "## Generalization matrix" in board and "### tiny" in board
    assert "## provided · test/realfake" not in board  # matrix cells are not ranked as plain results


def test_given_checkpoint_is_loaded_not_trained(tiny_detector, tiny_layout, tmp_path, capsys):
    run = tmp_path / "run"
    assert cli.main(["train", "--detector", "tiny", "--dataset", "provided", "--data-root", str(tiny_layout),
                     "--image-size", "32", "--epochs", "1", "--batch-size", "4", "--run-dir", str(run),
                     "--quiet"]) == 0
    out = tmp_path / "m"
    assert cli.main(["matrix", "--detector", "tiny", "--data-root", str(tiny_layout), "--train", "realfake",
                     "--test", "realfake,original", "--image-size", "32", "--output-dir", str(out),
                     "--cache-dir", str(tmp_path / "cache"), "--checkpoint", f"provided:realfake={run / 'best.pt'}",
                     "--quiet"]) == 0
    assert not (out / "models").exists()
    text = (out / "matrix.md").read_text()
    assert f"`{portable_path(run / 'best.pt')}` (given)" in text and "pixel false-positive rate" in text

    # a stress run of the same model on the same split takes its clean pass from the matrix's cache entry
    capsys.readouterr()
    assert cli.main(["stress", "--detector", "tiny", "--dataset", "provided", "--data-root", str(tiny_layout),
                     "--checkpoint", str(run / "best.pt"), "--image-size", "32", "--split", "test/realfake",
                     "--attacks", "jpeg:quality=90", "--output-dir", str(tmp_path / "s"),
                     "--cache-dir", str(tmp_path / "cache"), "--quiet"]) == 0
    assert "clean pass: from cache" in capsys.readouterr().out
    clean = json.loads((tmp_path / "s" / "clean.json").read_text())
    cell = json.loads((out / "results" / "provided_realfake--provided_realfake.json").read_text())
    assert clean["metrics"] == cell["metrics"] and clean["training"] is None  # not labelled as a matrix cell


def test_set_syntax_and_errors():
    assert parse_sets("provided:realfake,other@/d,fakefake", "mine") == [
        DataSet("provided", "realfake"), DataSet("other", None, "/d"), DataSet("mine", "fakefake")]
    with pytest.raises(LookupError, match="Did you mean 'realfake'"):
        parse_sets("provided:realfak")


def test_checkpoint_for_an_unknown_training_set_is_refused(tiny_detector, tiny_layout, tmp_path, capsys):
    out = tmp_path / "m"
    assert cli.main(["matrix", "--detector", tiny_detector, "--data-root", str(tiny_layout), "--train", "realfake",
                     "--test", "realfake", "--output-dir", str(out), "--cache-dir", str(tmp_path / "cache"),
                     "--checkpoint", "fakefake=/a.pt", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "unknown training set 'provided:fakefake'" in err and "Known: provided:realfake" in err
    assert not out.exists()  # refused before any training


def test_matrix_labels_are_the_folder_and_the_kind():
    assert short_label("freeform:fakefake@runs/reference/cpu/data/bsds-freeform") == "bsds-freeform (fakefake)"
    assert short_label("universal@runs/reference/cpu/photos/bsds") == "bsds (universal)"
    assert short_label("provided:realfake") == "provided:realfake"  # no folder: as recorded
    assert short_label("taesd (sd1) data") == "taesd (sd1) data"  # a study's own name
    # two sets whose short labels would be the same keep their whole names; the others are shortened
    assert set_labels(["freeform:fakefake@a/bsds", "freeform:fakefake@b/bsds", "freeform@a/kodak"]) == {
        "freeform:fakefake@a/bsds": "freeform:fakefake@a/bsds", "freeform:fakefake@b/bsds": "freeform:fakefake@b/bsds",
        "freeform@a/kodak": "kodak (freeform)"}


def test_matrix_tables_show_short_labels_and_keep_the_recorded_sets():
    from inpaintbench.jobs.results import Result

    def cell(train: str, test: str, split: str, iou: float) -> Result:
        return Result("nixnet", "freeform", {"threshold": 0.5}, {split: {"role": "manipulated", "iou": iou}},
                      training={"train_set": train, "test_set": test})

    fake, real = "freeform:fakefake@runs/data/bsds-freeform", "freeform:realfake@runs/data/bsds-freeform"
    results = [cell(fake, real, "test/realfake", 0.5), cell(real, "universal@runs/photos/bsds", "test/fakefake", 0.25)]
    text = "\n".join(matrix_tables(results, metrics=("iou",)))
    table = [line for line in text.splitlines() if line.startswith("|")]
    assert [c.strip() for c in table[0].split("|")[2:-1]] == ["bsds-freeform (realfake)",
                                                               "bsds (universal) · test/fakefake"]
    assert [line.split("|")[1].strip() for line in table[2:]] == ["bsds-freeform (fakefake)",
                                                                  "bsds-freeform (realfake)"]
    assert "runs/data/bsds-freeform |" not in text and f"`bsds-freeform (fakefake)` = `{fake}`" in text
    assert results[0].training["train_set"] == fake  # the record itself is untouched
    families = [cell("taesd (sd1) data", "taef1 (flux1) data", "test/realfake", 0.5)]
    assert "| taesd (sd1) data " in "\n".join(matrix_tables(families, metrics=("iou",)))
    assert "Sets:" not in "\n".join(matrix_tables(families, metrics=("iou",)))  # nothing shortened, no legend
