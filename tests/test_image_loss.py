"""The image-level loss term: its own signal separates authentic from manipulated images, and the
trainer applies and records it only when authentic images are in training."""

import tempfile

import numpy as np
import torch
from torch import nn

from inpaintbench.evaluation.metrics import image_auc
from inpaintbench.evaluation.protocol import Protocol
from inpaintbench.sdk.contracts import ModuleDetector, Sample, pooled_logit
from inpaintbench.training.trainer import TrainConfig, Trainer, image_loss

from layout_factory import InMemoryDataset


class BrightPatches(InMemoryDataset):
    """16x16 noise images; manipulated ones carry a brighter 4x4 patch (their mask)."""

    name = "bright-patches"

    def __init__(self, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.samples: dict[str, list[Sample]] = {}
        for part, count in (("train", 16), ("test", 12)):
            for kind in ("fakefake", "original"):
                items = []
                for i in range(count):
                    image = rng.normal(128, 30, (16, 16, 3))
                    mask = np.zeros((16, 16), np.uint8)
                    if kind == "fakefake":
                        y, x = rng.integers(0, 12, 2)
                        image[y:y + 4, x:x + 4] += 60
                        mask[y:y + 4, x:x + 4] = 255
                    items.append(Sample(f"{i}", part, kind, np.clip(image, 0, 255).astype(np.uint8), mask))
                self.samples[f"{part}/{kind}"] = items

    def stacked(self, part: str) -> tuple[torch.Tensor, torch.Tensor]:
        samples = self.samples[f"{part}/fakefake"] + self.samples[f"{part}/original"]
        images = torch.stack([torch.from_numpy(s.image).permute(2, 0, 1).float() / 255 for s in samples])
        return images, torch.tensor([s.manipulated for s in samples])


class Linear(ModuleDetector):
    image_topk = 0.05

    def __init__(self) -> None:
        torch.manual_seed(0)
        super().__init__(nn.Conv2d(3, 1, 3, padding=1))


def test_the_image_loss_alone_learns_to_separate_authentic_from_manipulated_images():
    data = BrightPatches()
    images, manipulated = data.stacked("train")
    test_images, test_manipulated = data.stacked("test")
    det = Linear()
    optimizer = torch.optim.Adam(det.module.parameters(), lr=1e-2)

    def test_auc() -> float:
        with torch.no_grad():
            pooled = pooled_logit(det.logits(test_images), fraction=det.image_topk)
        return image_auc(pooled[test_manipulated], pooled[~test_manipulated])

    before = test_auc()
    valid = torch.ones(len(images), 1, 16, 16, dtype=torch.bool)
    for _ in range(25):
        loss = image_loss(det.logits(images), valid, manipulated, det.image_topk)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert test_auc() >= 0.95 and before < 0.9


def test_the_trainer_applies_and_records_the_image_loss_only_with_authentic_images(tmp_path):
    data = BrightPatches()

    def trainer(**kw) -> Trainer:
        config = TrainConfig(epochs=100, batch_size=8, lr=1e-2, crop=0, progress=False, resume=False, **kw)
        return Trainer(Linear(), data, config, Protocol(), tempfile.mkdtemp(dir=tmp_path), "linear")

    assert trainer().used["image_loss"] == "off: weight 0"
    assert trainer(image_loss_weight=1.0, train_kinds=("fakefake",)).used["image_loss"].startswith("off: no authentic")
    with_term, without = trainer(image_loss_weight=0.5), trainer(image_loss_weight=0.0)
    assert "top 5% logits" in with_term.used["image_loss"] and with_term.config.record()["image_loss_weight"] == 0.5
    images, manipulated = data.stacked("train")
    target = torch.zeros(len(images), 1, 16, 16)
    valid = torch.ones_like(target, dtype=torch.bool)
    with torch.no_grad():
        expected = image_loss(with_term.detector.logits(images), valid, manipulated, 0.05)
    _, total = with_term.step(images, target, valid, manipulated)
    _, focal = without.step(images, target, valid, manipulated)
    torch.testing.assert_close(total - focal, 0.5 * expected)
