"""The ``wild`` dataset on a tiny wild-like folder built here (never the real set): where it is looked for,
its columns for slices, originals as the test split's authentic images, and its refusal to train."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inpaintbench.cli import main
from inpaintbench.data.imageio import DataError
from inpaintbench.data.wild import locate, mask_origin, wild

SIZE = 32
COLUMNS = ("image", "mask", "split", "kind", "generator", "autoencoder", "source_repo", "source_path", "license",
           "mask_method", "tier")
#: (id, generator, autoencoder, mask_method, tier); the real set's vocabulary, a handful of rows.
ROWS = (("bn-1", "BrushNet", "sd1", "provided JPEG mask, inverted; aligned_by_resize", "A"),
        ("bn-2", "BrushNet", "sd1", "provided mask file (white=edited), thresholded >127", "A"),
        ("fx-1", "FLUX.1 ControlNet", "flux1", "derived from the masked-input panel of the JPEG figure", "B"),
        ("xl-1", "SDXL-Inpainting", "sdxl", "derived from the masked-input panel of the JPEG figure", "B"),
        ("gan-1", "CoModGAN", "none", "mask cell of the JPEG figure grid (black=hole)", "B"),
        ("gan-2", "CoModGAN", "none", "derived exactly: pixels where the fill differs", "A"))
ORIGINALS = ("orig-a", "orig-b")


def _save(path: Path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


def make_wild(root: Path, train_row: bool = False) -> Path:
    """A wild-like folder: ``manifest.csv`` in the pairs layout, ``images/``, ``masks/``, ``originals/`` and a
    second CSV (``originals_map.csv``) beside the manifest, as in the real set."""
    rng = np.random.default_rng(0)
    rows = []
    for i, (name, generator, family, method, tier) in enumerate(ROWS):
        _save(root / "images" / f"{name}.png", rng.integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8))
        mask = np.zeros((SIZE, SIZE), np.uint8)
        mask[4:4 + 8 + i, 6:20] = 255
        _save(root / "masks" / f"{name}.png", mask)
        split = "train" if train_row and i == 0 else "test"
        rows.append([f"images/{name}.png", f"masks/{name}.png", split, "manipulated", generator, family,
                     f"org/{generator.split()[0].lower()}", "assets/x.png", "MIT", method, tier])
    for name in ORIGINALS:
        _save(root / "originals" / f"{name}.png", rng.integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8))
        rows.append([f"originals/{name}.png", "", "test", "original", "authentic", "none", "org/x", "", "MIT", "",
                     "A"])
    with open(root / "manifest.csv", "w", newline="") as fh:
        csv.writer(fh).writerows([COLUMNS, *rows])
    (root / "originals_map.csv").write_text("image,original\nimages/bn-1.png,originals/orig-a.png\n")
    return root


def test_the_manifest_is_read_in_place_every_row_a_test_image(tmp_path):
    root = make_wild(tmp_path / "wild", train_row=True)  # a stray split=train row is still a test image
    dataset = wild(str(root))
    assert dataset.splits() == ["test/manipulated", "test/original"]
    assert len(dataset.records("test/manipulated")) == len(ROWS) and len(dataset.records("test/original")) == 2
    record = next(r for r in dataset.records("test/manipulated") if r.id == "images/bn-1")
    assert record.columns["generator"] == "BrushNet" and record.columns["autoencoder"] == "sd1"
    assert record.columns["tier"] == "A" and record.columns["source_repo"] == "org/brushnet"
    assert record.columns["mask_origin"] == "provided+resized"
    sample = dataset.load(record)
    assert sample.mask.max() == 255 and sample.image.shape == (SIZE, SIZE, 3)
    assert dataset.load(dataset.records("test/original")[0]).mask.max() == 0
    info = dataset.info()
    assert info["found_by"] == "--data-root" and info["root"] == str(root)
    assert "licence" in info["evaluation_only"]


def test_mask_origin_classes():
    assert mask_origin("provided mask file (white=edited), thresholded >127; cropped to box") == "provided"
    assert mask_origin("provided JPEG mask, inverted; aligned_by_resize") == "provided+resized"
    assert mask_origin("derived exactly: pixels where the repo's Telea fill differs") == "derived-exact"
    assert mask_origin("mask cell of the JPEG figure grid (black=hole)") == "derived-figure"
    assert mask_origin("") == ""


def test_where_it_is_looked_for(tmp_path, monkeypatch):
    given, variable = make_wild(tmp_path / "given"), make_wild(tmp_path / "variable")
    project = tmp_path / "checkout" / "project"
    project.mkdir(parents=True)
    beside = make_wild(tmp_path / "checkout" / "shared" / "data" / "wild")
    monkeypatch.chdir(project)
    monkeypatch.setenv("INPAINTBENCH_WILD", str(variable))
    assert locate(str(given)) == (given, "--data-root")
    assert locate() == (variable, "$INPAINTBENCH_WILD")
    monkeypatch.delenv("INPAINTBENCH_WILD")
    folder, how = locate()
    assert folder.resolve() == beside.resolve() and how == "../shared/data/wild"
    monkeypatch.setenv("INPAINTBENCH_WILD", str(tmp_path / "nowhere"))  # a variable set is never passed over
    with pytest.raises(DataError, match="nowhere/manifest.csv .*INPAINTBENCH_WILD"):
        locate()


def test_absent_is_one_line_naming_where_it_looked(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("INPAINTBENCH_WILD", str(tmp_path / "missing"))
    assert main(["evaluate", "--detector", "noise-residual", "--dataset", "wild", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert str(tmp_path / "missing" / "manifest.csv") in err and "--data-root" in err and "INPAINTBENCH_WILD" in err


@pytest.mark.parametrize("command", ["train", "run"])
def test_training_on_it_is_refused_in_one_line(tmp_path, monkeypatch, capsys, command):
    monkeypatch.setenv("INPAINTBENCH_WILD", str(make_wild(tmp_path / "wild")))
    monkeypatch.chdir(tmp_path)
    code = main([command, "--detector", "fcn", "--dataset", "wild", "--max-steps", "1", "--device", "cpu", "--quiet",
                 "--run-dir", str(tmp_path / "run")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "dataset 'wild' is for evaluation only" in err and "evaluate --checkpoint" in err
    assert not (tmp_path / "run" / "last.pt").exists()


def test_evaluate_aerecon_sliced_by_generator_and_autoencoder_records_folder_and_fingerprint(tmp_path, monkeypatch,
                                                                                           capsys):
    root = make_wild(tmp_path / "wild")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "r.json"
    code = main(["evaluate", "--detector", "aerecon", "--dataset", "wild", "--data-root", str(root), "--slice-by",
                 "generator,autoencoder,tier", "--output", str(out), "--quiet", "--no-overlays", "--device", "cpu"])
    assert code == 0, capsys.readouterr().err
    result = json.loads(out.read_text())
    info = result["dataset_info"]
    assert info["name"] == "wild" and info["root"] == "wild" and len(info["fingerprint"]) == 16
    assert result["metrics"]["test/original"]["n_authentic"] == 2
    assert result["metrics"]["test/manipulated"]["n_images"] == len(ROWS)
    sliced = result["slices"]["test/manipulated"]
    assert {v: s["n"] for v, s in sliced["generator"].items()} == {
        "BrushNet": 2, "CoModGAN": 2, "FLUX.1 ControlNet": 1, "SDXL-Inpainting": 1}
    assert {v: s["n"] for v, s in sliced["autoencoder"].items()} == {"flux1": 1, "none": 2, "sd1": 2, "sdxl": 1}
    assert {v: s["n"] for v, s in sliced["tier"].items()} == {"A": 3, "B": 3}
    assert all(0 <= s["auc"] <= 1 for s in sliced["generator"].values())
