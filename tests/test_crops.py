"""Training crops: size, per-epoch change, reproducibility, padding left out of the loss, flips."""

import numpy as np
import pytest
import torch
from torchvision.ops import sigmoid_focal_loss

from inpaintbench.data.layout import LayoutDataset
from inpaintbench.evaluation._tensors import SampleTensors, collate
from inpaintbench.evaluation.protocol import Protocol
from inpaintbench.sdk.errors import ConfigError
from inpaintbench.training._crops import CropTensors, parse_augment
from inpaintbench.training.trainer import focal_loss

from layout_factory import make_layout


def _crops(root, size, augment=(), seed=0):
    ds = LayoutDataset(root)
    return CropTensors(SampleTensors(ds, ds.records("train/fakefake"), Protocol(None)), size, augment, seed)


def test_crops_have_the_size_change_every_epoch_and_repeat_for_a_seed(tmp_path):
    root = make_layout(tmp_path / "d", {"train": 3}, size=64)
    data = _crops(root, 24)
    first = [data[i]["image"] for i in range(len(data))]
    assert all(img.shape == (3, 24, 24) for img in first)
    data.epoch = 1
    second = [data[i]["image"] for i in range(len(data))]
    assert not any(torch.equal(a, b) for a, b in zip(first, second))
    again = _crops(root, 24)
    assert all(torch.equal(again[i]["image"], first[i]) for i in reversed(range(len(again))))  # any order
    assert not torch.equal(_crops(root, 24, seed=5)[0]["image"], first[0])
    whole = _crops(root, None)[0]
    full = SampleTensors(LayoutDataset(root), LayoutDataset(root).records("train/fakefake"), Protocol(None))[0]
    assert torch.equal(whole["image"], full["image"])
    with pytest.raises(ConfigError):
        _crops(root, 4)


def test_small_images_are_padded_and_the_padding_is_left_out_of_the_loss(tmp_path):
    small = make_layout(tmp_path / "s", {"train": 1}, size=20)
    big = make_layout(tmp_path / "b", {"train": 1}, size=48)
    item, other = _crops(small, 32)[0], _crops(big, 32)[0]
    assert item["image"].shape == (3, 20, 20) and other["image"].shape == (3, 32, 32)  # short sides kept whole
    batch = collate([item, other])
    assert batch["image"].shape == (2, 3, 32, 32)
    valid, target = batch["valid"], batch["target"]
    assert valid[0, :, :20, :20].all() and not valid[0, :, 20:, :].any() and not valid[0, :, :, 20:].any()
    assert valid[1].all()
    assert torch.equal(batch["image"][0, :, :20, :20], item["image"])
    logits = torch.randn(2, 1, 32, 32)
    logits[~valid] = 30.0  # confident "inpainted" in the padding: counted, it would dominate the loss
    per_pixel = sigmoid_focal_loss(logits, target, alpha=0.75, gamma=2.0, reduction="none")
    inside = torch.cat([per_pixel[0, :, :20, :20].flatten(), per_pixel[1].flatten()]).mean()
    assert focal_loss(logits, target, valid, 0.75, 2.0) == pytest.approx(float(inside), rel=1e-5)
    counted = per_pixel.mean()
    assert float(counted) > 1.5 * float(inside)


def test_flips_are_asked_for_and_move_image_and_mask_together(tmp_path):
    root = make_layout(tmp_path / "d", {"train": 1}, size=32)
    plain = _crops(root, 32)[0]
    data = _crops(root, 32, parse_augment("flip"))
    seen = set()
    for epoch in range(8):
        data.epoch = epoch
        item = data[0]
        for dims in ([], [2], [1], [1, 2]):
            ref = plain["image"].flip(dims) if dims else plain["image"]
            if torch.equal(item["image"], ref):
                seen.add(tuple(dims))
                assert torch.equal(item["target"], plain["target"].flip(dims) if dims else plain["target"])
    assert len(seen) >= 2 and np.isclose(float(item["image"].mean()), float(plain["image"].mean()))
    with pytest.raises(ConfigError, match="unknown augmentation"):
        parse_augment("flip,colour")
