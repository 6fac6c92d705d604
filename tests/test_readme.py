"""The README's walk-throughs run as written: the quick start (an image/mask folder -> evaluate -> gallery ->
leaderboard) and the notebook example of the Python API."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inpaintbench.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"


def block_after(marker: str, language: str) -> str:
    """The first fenced ``language`` block after the line holding ``marker``."""
    text = README.read_text(encoding="utf-8")
    rest = text[text.index(marker):]
    return re.search(rf"```{language}\n(.*?)```", rest, re.S).group(1)


@pytest.fixture
def mine(tmp_path, monkeypatch) -> Path:
    """The quick start's folder: images/ with masks/ of the same names, and authentic/ photos."""
    rng = np.random.default_rng(0)
    for folder in ("images", "masks", "authentic"):
        (tmp_path / "mine" / folder).mkdir(parents=True)
    for i in range(4):
        image = rng.integers(0, 256, (48, 48, 3), dtype=np.uint8)
        mask = np.zeros((48, 48), np.uint8)
        mask[8 + i:28 + i, 10:34] = 255
        image[mask > 0] = image[mask > 0] // 4 + 90  # a quieter region where the mask is
        Image.fromarray(image).save(tmp_path / "mine" / "images" / f"photo{i}.jpg", quality=95)
        Image.fromarray(mask).save(tmp_path / "mine" / "masks" / f"photo{i}.png")
    for i in range(2):
        Image.fromarray(rng.integers(0, 256, (48, 48, 3), dtype=np.uint8)).save(
            tmp_path / "mine" / "authentic" / f"real{i}.jpg", quality=95)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_quick_start_runs_from_folder_to_leaderboard(mine, capsys):
    commands = [line for line in block_after("walk-through:", "bash").splitlines()
                if line.startswith("python -m inpaintbench ")]
    assert [shlex.split(c)[3] for c in commands] == ["evaluate", "evaluate", "leaderboard"]
    for command in commands:
        assert main(shlex.split(command)[3:]) == 0, command
    printed = capsys.readouterr().out
    assert "test/manipulated: IoU" in printed and "n=4" in printed and "vs 2 authentic" in printed
    said = README.read_text(encoding="utf-8")
    assert "results/noise-residual.png" in said and "results/noise-residual.records.parquet" in said
    for detector in ("noise-residual", "noise-kurtosis"):  # what the README says each evaluate writes
        assert (mine / f"results/{detector}.json").is_file() and (mine / f"results/{detector}.png").is_file()
        assert list((mine / "results").glob(f"{detector}.records.*"))
    board = (mine / "leaderboard.md").read_text()
    heading = re.search(r"### pairs \(mine, data [0-9a-f]{8}\) · test/manipulated · P1", board)
    assert heading, board[:2000]
    table = board[heading.end():].split("###")[0]
    assert "noise-residual" in table and "noise-kurtosis" in table
    assert "n authentic" in board  # the detection table, with its counts


def test_the_notebook_example_runs(mine):
    namespace: dict = {}
    exec(compile(block_after("notebook example:", "python"), "README notebook example", "exec"), namespace)
    result, images = namespace["result"], namespace["images"]
    assert repr(namespace["dataset"]).startswith("PairsDataset('pairs', root='mine', 6 records: test/manipulated 4")
    assert repr(result).startswith("Result(noise-residual on pairs (mine, data ")
    assert len(images) == 6 and len(namespace["worst"]) == 3
    assert result.protocol["mask_binarization"].startswith("half")
