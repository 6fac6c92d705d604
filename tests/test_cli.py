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
        (["generate", "freeform", "--output-dir", str(tmp_path / "g"), "--shard", "3/2"], "need 0 <= i < n"),
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


# --- one name per concept, every option explained ---------------------------------------------------

def _commands():
    from inpaintbench.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.choices and isinstance(a.choices, dict))
    return parser, sub.choices


def test_every_option_has_help_that_shows_its_default():
    parser, commands = _commands()
    missing, no_default = [], []
    for name, command in [("", parser), *commands.items()]:
        formatter = command._get_formatter()
        for action in command._actions:
            if action.help == "==SUPPRESS==" or not action.option_strings or action.dest in ("help", "version"):
                continue
            label = f"{name} {action.option_strings[-1]}"
            if not action.help:
                missing.append(label)
                continue
            flag = action.nargs == 0
            if not (flag or action.required) and "default" not in formatter._get_help_string(action):
                no_default.append(label)
    assert not missing, f"options without help: {missing}"
    assert not no_default, f"options whose help shows no default: {no_default}"


def test_options_a_command_ignores_are_not_offered():
    _, commands = _commands()
    offered = {name: {s for a in c._actions for s in a.option_strings} for name, c in commands.items()}
    ignored = {"train": {"--output", "--threshold", "--metrics-convention", "--image-threshold-from", "--slice-by",
                         "--no-overlays", "--gallery-k", "--gallery-metric", "--checkpoint", "--allow-untrained"},
               "stress": {"--output"},
               "matrix": {"--output", "--no-overlays", "--gallery-k", "--gallery-metric"},
               "generate": {"--image-size", "--out"}}
    for name, options in ignored.items():
        assert not options & offered[name], (name, options & offered[name])
    # one output family: a file is --output, a folder --output-dir
    assert "--output" in offered["evaluate"] and "--output" in offered["run"] and "--output" in offered["leaderboard"]
    assert {"--output-dir"} <= offered["stress"] & offered["matrix"] & offered["generate"]
    assert "--crop-size" in offered["generate"] and "--split" in offered["generate"]


def test_split_is_repeatable_and_says_so():
    _, commands = _commands()
    for name in ("evaluate", "stress"):
        action = next(a for a in commands[name]._actions if "--split" in a.option_strings)
        assert action.help and "repeat" in action.help and "default" in action.help
        args = commands[name].parse_args(["--detector", "d", "--dataset", "s", "--split", "test/a", "--split", "test/b",
                                          *(["--output-dir", "o"] if name == "stress" else [])])
        assert args.split == ["test/a", "test/b"]


def test_version_and_an_ignored_option_is_refused(capsys, tmp_path):
    from inpaintbench import __version__

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.strip() == f"inpaintbench {__version__}"
    with pytest.raises(SystemExit) as refused:  # not silently taken as an abbreviation of --output-dir
        main(["stress", "--detector", "noise-residual", "--dataset", "provided", "--output", "x.json",
              "--output-dir", str(tmp_path)])
    assert refused.value.code == 2 and "unrecognized arguments: --output" in capsys.readouterr().err


def test_deprecated_spellings_still_work_once_more_with_a_warning():
    from inpaintbench.cli import build_parser, renamed_options

    with pytest.warns(FutureWarning) as caught:
        argv = renamed_options(["generate", "freeform", "--out", "D", "--image-size=64", "--crop", "centre"])
    assert [str(w.message) for w in caught] == [
        "generate --out is deprecated (kept for one release): use --output-dir",
        "generate --image-size is deprecated (kept for one release): use --crop-size"]
    assert argv == ["generate", "freeform", "--output-dir", "D", "--crop-size=64", "--crop", "centre"]
    args = build_parser().parse_args(argv)
    assert (args.output_dir, args.crop_size, args.crop) == ("D", 64, "centre")
    from inpaintbench.data.generation.generate import GenerateConfig

    assert GenerateConfig("freeform", "D", crop=args.crop).crop == "center"


def test_warnings_print_as_one_line_without_source_paths(tiny_layout, tmp_path):
    """As a user sees them (a fresh process, Python's own warning display): one line each, no file path or
    source line, and the deprecated spellings said the same way."""
    import os
    import subprocess
    import sys

    from PIL import Image

    Image.new("RGB", (8, 8)).save(tiny_layout / "test" / "stray.png")  # read by no kind: warned about
    done = subprocess.run([sys.executable, "-m", "inpaintbench", "evaluate", "--detector", "noise-residual",
                           "--dataset", "provided", "--data-root", str(tiny_layout), "--split", "test/fakefake",
                           "--no-overlays", "--quiet", "--output", str(tmp_path / "r.json")],
                          capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines and all(line.startswith("inpaintbench: warning: ") for line in lines), lines
    assert any("1 .png file ignored" in line for line in lines)
    assert ".py:" not in done.stderr and "warnings.warn" not in done.stderr and "UserWarning" not in done.stderr
