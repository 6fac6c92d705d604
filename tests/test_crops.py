"""Training crops: size, per-epoch change, reproducibility, padding left out of the loss, flips."""

import numpy as np
import pytest
import torch
from torchvision.ops import sigmoid_focal_loss

from inpaintbench.crops import IGNORE, CropTensors, parse_augment, split_target
from inpaintbench.data.layout import LayoutDataset
from inpaintbench.data.tensors import SampleTensors, TensorProtocol
from inpaintbench.errors import ConfigError
from inpaintbench.training import focal_loss
from layout_factory import make_layout


def _crops(root, size, augment=(), seed=0):
    ds = LayoutDataset(root)
    return CropTensors(SampleTensors(ds, ds.records("train/fakefake"), TensorProtocol(None)), size, augment, seed)


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
    full = SampleTensors(LayoutDataset(root), LayoutDataset(root).records("train/fakefake"), TensorProtocol(None))[0]
    assert torch.equal(whole["image"], full["image"])
    with pytest.raises(ConfigError):
        _crops(root, 4)


def test_small_images_are_padded_and_the_padding_is_left_out_of_the_loss(tmp_path):
    root = make_layout(tmp_path / "d", {"train": 1}, size=20)
    item = _crops(root, 32)[0]
    assert item["image"].shape == (3, 32, 32) and item["target"].shape == (1, 32, 32)
    assert (item["target"][:, 20:, :] == IGNORE).all() and (item["target"][:, :20, :20] >= 0).all()
    assert (item["image"][:, :, 20:] == 0).all()
    target, valid = split_target(item["target"][None])
    logits = torch.randn(1, 1, 32, 32)
    logits[~valid] = 30.0  # confident "inpainted" in the padding: counted, it would dominate the loss
    inside = sigmoid_focal_loss(logits[..., :20, :20], target[..., :20, :20], alpha=0.75, gamma=2.0,
                                reduction="mean")
    assert focal_loss(logits, target, valid, 0.75, 2.0) == pytest.approx(float(inside), rel=1e-5)
    counted = sigmoid_focal_loss(logits, target, alpha=0.75, gamma=2.0, reduction="mean")
    assert float(counted) > 2 * float(inside)


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
