"""The provided layout: scanning, splits, and bad files reported by name."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inpaintbench.data.imageio import DataError, write_webp
from inpaintbench.data.layout import HASH_SPLIT_FRACTIONS, LayoutDataset, hash_split, parse_name
from inpaintbench.evaluation._tensors import to_tensors
from inpaintbench.evaluation.protocol import mask_threshold
from inpaintbench.sdk.contracts import Sample


def test_scan_pairs_kinds_and_splits(tiny_layout):
    ds = LayoutDataset(tiny_layout)
    assert ds.splits() == [f"{s}/{k}" for s in ("train", "val", "test") for k in ("realfake", "fakefake", "original")]
    recs = ds.records("test/fakefake")
    assert len(recs) == 3 and all(r.mask is not None and r.mask.name.endswith(".mask.webp") for r in recs)
    sample = ds.load(recs[0])
    assert sample.image.shape == (32, 32, 3) and sample.mask.shape == (32, 32) and sample.mask.max() == 255
    original = ds.load(ds.records("test/original")[0])
    assert original.mask.max() == 0 and not original.manipulated


def test_parse_name_handles_dots_and_foreign_files():
    assert parse_name("a.b.realfake.webp") == ("a.b", "realfake")
    assert parse_name("manifest.csv") is None and parse_name("x.other.webp") is None


def test_hash_split_is_deterministic_with_documented_fractions():
    ids = [f"img{i}" for i in range(4000)]
    splits = [hash_split(i) for i in ids]
    assert splits == [hash_split(i) for i in ids]
    for name, frac in HASH_SPLIT_FRACTIONS.items():
        assert abs(splits.count(name) / len(ids) - frac) < 0.03


def test_flat_folder_uses_hash_split(tmp_path):
    from layout_factory import make_layout

    make_layout(tmp_path, {"all": 20}, size=16, subfolders=False)
    ds = LayoutDataset(tmp_path)
    for rec in ds.records("train") + ds.records("test"):
        assert rec.split == hash_split(rec.id)


def _only(folder: Path, sid: str, kind: str) -> Path:
    return folder / f"{sid}.{kind}.webp"


@pytest.mark.parametrize("problem, match", [
    ("missing_mask", "missing mask"),
    ("size_mismatch", "does not match its mask"),
    ("grey", "found mode L"),
    ("rgba", "found mode RGBA"),
    ("not_an_image", "not a readable image"),
])
def test_bad_files_are_named_and_can_be_skipped(tiny_layout, problem, match):
    folder = tiny_layout / "test"
    target = _only(folder, "test000", "fakefake")
    if problem == "missing_mask":
        _only(folder, "test000", "mask").unlink()
    elif problem == "size_mismatch":
        write_webp(target, np.zeros((20, 32, 3), np.uint8))
    elif problem == "grey":  # WebP has no grey mode: a grey PNG saved under the .webp name
        Image.fromarray(np.zeros((32, 32), np.uint8)).save(target, format="PNG")
    elif problem == "rgba":
        Image.fromarray(np.zeros((32, 32, 4), np.uint8)).save(target, lossless=True)
    else:
        target.write_bytes(b"this is not a webp file")
    with pytest.raises(DataError, match=match) as info:
        LayoutDataset(tiny_layout)
    assert "test000" in str(info.value)
    ds = LayoutDataset(tiny_layout, on_bad="skip")
    assert len(ds.problems) >= 1 and any("test000" in str(p) for p in ds.problems)
    assert "test000" not in [r.id for r in ds.records("test/fakefake")]
    assert len(ds.records("test/fakefake")) == 2


def test_truncated_image_fails_at_load_naming_the_file(tiny_layout):
    target = _only(tiny_layout / "test", "test001", "realfake")
    data = target.read_bytes()
    target.write_bytes(data[: len(data) // 2])
    ds = LayoutDataset(tiny_layout, on_bad="skip")
    recs = [r for r in ds.records("test/realfake") if r.id == "test001"]
    if recs:  # header still parses: the decode must fail clearly
        with pytest.raises(DataError, match="test001.realfake.webp"):
            ds.load(recs[0])


def test_unknown_split_suggests(tiny_layout):
    with pytest.raises(LookupError, match="test/fakefake"):
        LayoutDataset(tiny_layout).records("test/fakefak")


def test_missing_folder_and_empty_folder(tmp_path):
    with pytest.raises(DataError, match="not found"):
        LayoutDataset(tmp_path / "nope")
    with pytest.raises(DataError, match="no images"):
        LayoutDataset(tmp_path)


def test_binarization_and_resize_protocol():
    mask = np.zeros((40, 40), np.uint8)
    mask[10:30, 10:30] = 255
    mask[9, 10:30] = 128
    sample = Sample("a", "test", "fakefake", np.zeros((40, 40, 3), np.uint8), mask)
    full = to_tensors(sample, None, "full")[1]
    anyp = to_tensors(sample, None, "any")[1]
    assert full.sum() == 400 and anyp.sum() == 420
    image, target = to_tensors(sample, 20, "full")
    assert image.shape == (3, 20, 20) and target.shape == (1, 20, 20)
    assert set(target.unique().tolist()) <= {0.0, 1.0} and 60 <= target.sum() <= 100
    assert mask_threshold("half") == 128 and mask_threshold(200) == 200
    with pytest.raises(ValueError, match="full"):
        mask_threshold("fully")
