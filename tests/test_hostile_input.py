"""Bad input and bad options under a hostile user: each is refused (or read) with a message naming
what is wrong, never passed over in silence."""

from __future__ import annotations

import pytest

from inpaintbench.attack_spec import AttackSpecError, parse_attacks
from inpaintbench.cli import main

from layout_factory import make_layout

# --- options that make no sense ------------------------------------------------------------------


@pytest.mark.parametrize("argv, text", [
    (["--threshold", "1.5"], "strictly between 0 and 1"),
    (["--threshold", "nan"], "strictly between 0 and 1"),
    (["--threshold", "0"], "strictly between 0 and 1"),
    (["--image-size", "0"], "at least 8, or 'native'"),
])
def test_job_options_out_of_range_are_refused(argv, text, tiny_layout, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["evaluate", "--detector", "noise-residual", "--dataset", "provided", "--data-root", str(tiny_layout),
              "--quiet", *argv])
    assert exit_.value.code == 2 and text in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["--limit", "-1"], ["--crops-per-image", "0"]])
def test_generate_counts_below_one_are_refused(argv, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["generate", "freeform", "--out", str(tmp_path / "g"), *argv])
    assert exit_.value.code == 2 and "must be at least 1" in capsys.readouterr().err
    assert not (tmp_path / "g").exists()


def test_an_attack_list_of_only_commas_is_a_clear_error():
    with pytest.raises(AttackSpecError, match="no attacks given in ',,'"):
        parse_attacks(",,")


def test_missing_reencode_weights_are_refused_when_parsed(tmp_path):
    with pytest.raises(AttackSpecError, match="weights=/missing.*not an autoencoder folder"):
        parse_attacks("jpeg:quality=90,reencode:weights=/missing")
    with pytest.raises(AttackSpecError, match="neither TAESD-family"):
        parse_attacks(f"reencode:weights={tmp_path}")


def test_run_without_a_test_split_stops_before_training(tiny_detector, tmp_path, capsys):
    data = make_layout(tmp_path / "data", {"train": 3, "val": 1}, size=16)
    run_dir = tmp_path / "run"
    assert main(["run", "--detector", tiny_detector, "--dataset", "provided", "--data-root", str(data),
                 "--epochs", "1", "--crop", "16", "--run-dir", str(run_dir), "--quiet", "--no-overlays",
                 "--output", str(tmp_path / "R.json")]) == 2
    assert "has no test split" in capsys.readouterr().err
    assert not run_dir.exists()
