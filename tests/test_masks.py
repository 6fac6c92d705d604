"""Mask generators: contract (uint8 soft mask, ground truth == 255), determinism, coverage bounds,
the recipes' geometry, and object masks from BSDS500 and COCO (polygons and RLE)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inpaintbench.data.generation.masks import (
    BrushMasks,
    MaskUnavailable,
    ObjectMasks,
    PolygonMasks,
    RectMasks,
    coverage,
    ground_truth,
    soften,
)
from inpaintbench.data.generation.masks.labels import (
    CocoLabels,
    decode_rle,
    read_bsds_segmentations,
    rle_counts_from_string,
)
from inpaintbench.sdk import registry

from conftest import SHARED

BSDS_GT = SHARED / "data" / "bsds500" / "groundTruth"


@pytest.mark.parametrize("name", ["rect", "brush", "polygon", "object"])
def test_registered_by_entry_point(name):
    gen = registry.create("masks", name, min_coverage="0.05", max_coverage="0.3")
    assert gen.min_coverage == 0.05 and gen.max_coverage == 0.3


@pytest.mark.parametrize("factory", [RectMasks, BrushMasks, PolygonMasks])
def test_contract_and_determinism(factory):
    gen = factory()
    a = gen(96, 128, np.random.default_rng(7))
    b = gen(96, 128, np.random.default_rng(7))
    c = gen(96, 128, np.random.default_rng(8))
    assert a.dtype == np.uint8 and a.shape == (96, 128)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    # a soft mask: fully set core, a feathered rim with intermediate values, zero elsewhere
    assert ground_truth(a).any() and (a == 0).any()
    assert ((a > 0) & (a < 255)).any()
    assert ground_truth(a).sum() < (a > 0).sum()


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), lo=st.floats(0.02, 0.2), span=st.floats(0.05, 0.25),
       which=st.sampled_from(["rect", "brush", "polygon"]), size=st.sampled_from([(64, 64), (128, 96)]))
def test_coverage_bounds_respected(seed, lo, span, which, size):
    gen = {"rect": RectMasks, "brush": BrushMasks, "polygon": PolygonMasks}[which](
        min_coverage=lo, max_coverage=lo + span, max_tries=2000)
    try:
        soft = gen(*size, np.random.default_rng(seed))
    except MaskUnavailable:
        assert which == "rect"  # a rectangle of 64 px sides cannot meet every bound on tiny images
        return
    assert lo <= coverage(soft) <= lo + span


def test_impossible_bounds_raise_clearly():
    gen = RectMasks(min_side=8, max_fraction=0.1, min_coverage=0.9, max_coverage=1.0, max_tries=20)
    with pytest.raises(MaskUnavailable, match=r"rect masks.*\[0.9, 1.0\].*20 tries"):
        gen(64, 64, np.random.default_rng(0))
    with pytest.raises(ValueError, match="min_coverage"):
        BrushMasks(min_coverage=0.5, max_coverage=0.2)


def test_rect_recipe_sides_and_centred_blur():
    gen = RectMasks(blur=0)
    for seed in range(30):
        shape = gen(256, 256, np.random.default_rng(seed)) == 255
        rows, cols = np.nonzero(shape.any(1))[0], np.nonzero(shape.any(0))[0]
        h, w = rows.max() - rows.min() + 1, cols.max() - cols.min() + 1
        touches = rows.min() == 0 or rows.max() == 255 or cols.min() == 0 or cols.max() == 255
        assert shape[rows.min():rows.max() + 1, cols.min():cols.max() + 1].all()  # a rectangle
        assert (h <= 128 and w <= 128) and (touches or (h >= 64 and w >= 64))
    # radius-3 blur: the ground truth is the rectangle shrunk by the blur's reach on every side
    box = np.zeros((128, 128), bool)
    box[30:90, 40:100] = True
    gt = ground_truth(soften(box, 3.0, "centred"))
    rows, cols = np.nonzero(gt.any(1))[0], np.nonzero(gt.any(0))[0]
    assert 30 < rows.min() < 40 and 80 < rows.max() < 89 and 40 < cols.min() < 50


def test_outside_feather_keeps_the_drawn_shape_as_ground_truth():
    shape = np.zeros((100, 100), bool)
    shape[40:52, 10:90] = True  # a 12 px stroke: centred blur would leave almost nothing
    soft = soften(shape, 3.0, "outside")
    gt = ground_truth(soft)
    assert gt[shape].all() and gt.sum() <= shape.sum() * 1.2
    assert ((soft > 0) & (soft < 255)).sum() > 2 * 80  # the feathered rim lies outside the stroke
    assert ground_truth(soften(shape, 3.0, "centred")).sum() < shape.sum() * 0.2


def test_brush_widths_scale_with_image_size():
    def mean_width(size):
        from scipy import ndimage

        widths = []
        for seed in range(12):
            gen = BrushMasks(min_strokes=1, max_strokes=1, blur=0, min_coverage=0, max_coverage=1)
            shape = gen(size, size, np.random.default_rng(seed)) == 255
            dist = ndimage.distance_transform_edt(shape)
            widths.append(2 * dist.max())
        return np.median(widths)

    small, large = mean_width(256), mean_width(512)
    assert 12 <= small <= 45
    assert 1.6 < large / small < 2.4


def test_polygon_is_one_simple_region():
    from scipy import ndimage

    gen = PolygonMasks(blur=0)
    for seed in range(10):
        shape = gen(128, 128, np.random.default_rng(seed)) == 255
        _, n = ndimage.label(shape)
        assert n == 1
        assert ndimage.binary_fill_holes(shape).sum() == shape.sum()


def test_object_masks_pick_a_segment_in_bounds():
    labels = np.zeros((100, 100), np.int32)
    labels[:, :] = 1                 # background, 100 % of the image: never picked
    labels[10:20, 10:20] = 2         # 1 %: too small
    labels[40:80, 30:70] = 3         # 16 %: the only candidate
    gen = ObjectMasks(min_coverage=0.05, max_coverage=0.3, blur=0)
    soft = gen(100, 100, np.random.default_rng(0), labels=[labels])
    assert np.array_equal(ground_truth(soft), labels == 3)
    with pytest.raises(ValueError, match="segmentation"):
        gen(100, 100, np.random.default_rng(0))
    with pytest.raises(MaskUnavailable, match="no|none"):
        ObjectMasks(min_coverage=0.5, max_coverage=0.6)(100, 100, np.random.default_rng(0), labels=[labels])
    with pytest.raises(ValueError, match="does not match"):
        gen(50, 100, np.random.default_rng(0), labels=[labels])


def test_object_segmenter_offline_error(monkeypatch, tmp_path):
    import torch

    def offline(*args, **kwargs):
        raise OSError("<urlopen error [Errno -3] Temporary failure in name resolution>")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", offline)
    gen = ObjectMasks(segmenter="maskrcnn")
    with pytest.raises(RuntimeError, match=r"Mask R-CNN weights.*offline.*segmenter_weights=FILE"):
        gen.labels_for(np.zeros((32, 32, 3), np.uint8))
    with pytest.raises(ValueError, match="no segmenter"):
        ObjectMasks().labels_for(np.zeros((32, 32, 3), np.uint8))
    with pytest.raises(registry.RegistryError, match="maskrcnn"):
        ObjectMasks(segmenter="maskrnn")


@pytest.mark.skipif(not BSDS_GT.is_dir(), reason=f"BSDS500 ground truth not found at {BSDS_GT}")
def test_object_masks_from_bsds500_human_segmentations():
    path = sorted((BSDS_GT / "val").glob("*.mat"))[0]
    maps = read_bsds_segmentations(path)
    assert len(maps) >= 4 and all(m.min() >= 1 for m in maps)
    gen = ObjectMasks(blur=0)
    soft = gen(*maps[0].shape, np.random.default_rng(1), labels=maps)
    gt = ground_truth(soft)
    assert 0.03 <= gt.mean() <= 0.30
    assert any(len(np.unique(m[gt])) == 1 for m in maps)  # exactly one human segment


def _encode_rle_string(counts):
    """COCO's compressed RLE encoding, written independently of the decoder (for round trips)."""
    out = []
    for i, x in enumerate(counts):
        if i > 2:
            x -= counts[i - 2]
        more = True
        while more:
            c = x & 0x1F
            x >>= 5
            more = (x != -1) if (c & 0x10) else (x != 0)
            if more:
                c |= 0x20
            out.append(chr(c + 48))
    return "".join(out)


def test_rle_decoding_uncompressed_and_compressed():
    # column-major runs starting with zeros: a 3x4 mask
    mask = decode_rle({"size": [3, 4], "counts": [4, 2, 3, 3]})
    expected = np.zeros(12, bool)
    expected[4:6] = expected[9:12] = True
    assert np.array_equal(mask, expected.reshape(4, 3).T)
    rng = np.random.default_rng(5)
    m = rng.random((37, 23)) < 0.3
    flat = m.T.ravel()
    edges = np.flatnonzero(np.diff(flat.astype(np.int8))) + 1
    runs = np.diff(np.concatenate([[0], edges, [flat.size]])).tolist()
    if flat[0]:
        runs = [0] + runs
    text = _encode_rle_string(runs)
    assert rle_counts_from_string(text) == runs
    assert np.array_equal(decode_rle({"size": [37, 23], "counts": text}), m)
    with pytest.raises(ValueError, match="sum"):
        decode_rle({"size": [3, 4], "counts": [4, 2]})


def test_coco_annotations_to_label_map(tmp_path):
    square = np.zeros((40, 50), bool)
    square[5:25, 10:30] = True
    flat = square.T.ravel()
    edges = np.flatnonzero(np.diff(flat.astype(np.int8))) + 1
    runs = np.diff(np.concatenate([[0], edges, [flat.size]])).tolist()
    doc = {"images": [{"id": 7, "file_name": "a/b/photo.jpg", "height": 40, "width": 50}],
           "annotations": [
               {"id": 1, "image_id": 7, "area": 400,
                "segmentation": {"size": [40, 50], "counts": _encode_rle_string(runs)}},
               {"id": 2, "image_id": 7, "area": 50, "segmentation": [[32, 30, 42, 30, 42, 35, 32, 35]]}]}
    path = tmp_path / "ann.json"
    path.write_text(json.dumps(doc))
    coco = CocoLabels(path)
    assert "photo.jpg" in coco
    labels = coco.label_map("photo.jpg")
    assert np.array_equal(labels == 1, square)
    assert (labels == 2).sum() > 0 and labels[32, 37] == 2 and labels[10, 37] == 0
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    with pytest.raises(Exception, match="bad.json.*COCO"):
        CocoLabels(bad)
