"""The command line: run then evaluate writes results; expected errors are one line with exit 2,
bugs keep their traceback."""

import json

import pytest

from inpaintbench.cli import main


def test_cli_run_then_evaluate_writes_results(tiny_layout, tiny_detector, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "R.json"
    assert main(["run", "--detector", "tiny", "--dataset", "provided", "--data-root", str(tiny_layout),
                 "--epochs", "1", "--image-size", "32", "--output", str(out), "--quiet", "--lr", "0.003",
                 "--crop", "32", "--augment", "flip"]) == 0
    res = json.loads(out.read_text())
    assert {"test/realfake", "test/fakefake", "test/original"} <= set(res["metrics"])
    for key in ("iou", "f1", "iou_pooled", "f1_pooled", "f1_best", "auc", "n_images"):
        assert key in res["metrics"]["test/realfake"]
    assert res["protocol"]["image_size"] == 32 and res["protocol"]["threshold"] == 0.5
    assert "fpr" in res["metrics"]["test/original"]
    assert res["training"]["epochs_run"] == 1 and res["environment"]["torch"]
    assert res["training"]["config"]["augment"] == ["flip"] and res["training"]["data"]["crop"] == 32
    assert res["training"]["data"]["kinds"] == {"realfake": 8, "fakefake": 8, "original": 8}
    png = out.with_suffix(".png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    ckpt = res["checkpoint"]
    out2 = tmp_path / "E.json"
    assert main(["evaluate", "--detector", "tiny", "--dataset", "provided", "--data-root", str(tiny_layout),
                 "--checkpoint", ckpt, "--image-size", "32", "--output", str(out2), "--quiet"]) == 0
    again = json.loads(out2.read_text())
    assert again["metrics"]["test/fakefake"]["iou"] == pytest.approx(res["metrics"]["test/fakefake"]["iou"])
    assert again["detector_info"]["weights"].startswith("checkpoint")


def test_cli_reports_clear_errors(tiny_layout, capsys):
    assert main(["evaluate", "--detector", "fcnn", "--dataset", "provided", "--data-root", str(tiny_layout)]) == 2
    assert "Did you mean 'fcn'" in capsys.readouterr().err
    assert main(["evaluate", "--detector", "fcn", "--dataset", "provided", "--data-root", str(tiny_layout / "x")]) == 2
    assert "not found" in capsys.readouterr().err


def test_cli_unknown_detector_is_one_line_with_exit_2(tiny_layout, capsys):
    assert main(["evaluate", "--detector", "nixnett", "--dataset", "provided", "--data-root", str(tiny_layout)]) == 2
    err = capsys.readouterr().err
    assert "Did you mean 'nixnet'" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert main(["--debug", "evaluate", "--detector", "nixnett", "--dataset", "provided",
                 "--data-root", str(tiny_layout)]) == 2
    assert "Traceback" in capsys.readouterr().err
    assert main(["evaluate", "--detector", "nixnett", "--dataset", "provided", "--debug"]) == 2
    assert "Traceback" in capsys.readouterr().err


def test_cli_user_errors_exit_2(tiny_layout, tmp_path, capsys):
    base = ["--dataset", "provided", "--data-root", str(tiny_layout), "--quiet"]
    assert main(["train", "--detector", "noise-residual", *base]) == 2  # not trainable
    assert "not trainable" in capsys.readouterr().err
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    assert main(["evaluate", "--detector", "fcn", "--checkpoint", str(bad), *base]) == 2
    assert "not a readable weights-only checkpoint" in capsys.readouterr().err
    assert main(["evaluate", "--detector", "nixnet", "--opt", "norm=nosuch", *base]) == 2  # option value
    assert "detector 'nixnet'" in capsys.readouterr().err
    # settings that do not fit: one line each, no traceback
    for argv, text in (
        (["stress", "--detector", "noise-residual", *base, "--output", "x.json", "--output-dir", str(tmp_path)],
         "--output is not used"),
        (["generate", "freeform", "--out", str(tmp_path / "g"), "--shard", "3/2"], "need 0 <= i < n"),
        (["evaluate", "--detector", "noise-residual", *base, "--split", "val/nosuch"], "val/nosuch"),
    ):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert text in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err


def test_cli_shows_the_traceback_of_a_bug(tiny_layout, monkeypatch):
    import inpaintbench.jobs.job

    def broken(*args, **kwargs):
        return 1 / 0

    monkeypatch.setattr(inpaintbench.jobs.job, "evaluate", broken)
    with pytest.raises(ZeroDivisionError):
        main(["evaluate", "--detector", "noise-residual", "--dataset", "provided", "--data-root", str(tiny_layout),
              "--quiet", "--no-overlays"])
