"""``all-positive``: the floor every localization table shows, with scores known in closed form."""

from __future__ import annotations

import pytest
import torch

from inpaintbench.baselines.all_positive import AllPositiveDetector
from inpaintbench.data.layout import LayoutDataset
from inpaintbench.evaluation._tensors import SampleTensors
from inpaintbench.evaluation.harness import evaluate
from inpaintbench.evaluation.protocol import Protocol
from inpaintbench.sdk import registry

from layout_factory import make_layout


def test_its_iou_is_the_mask_fraction_its_f1_2p_over_1_plus_p_and_it_flags_every_authentic_pixel(tmp_path):
    root = make_layout(tmp_path / "d", {"test": 4}, size=64)
    dataset = LayoutDataset(root)
    metrics = evaluate(AllPositiveDetector(), dataset, protocol=Protocol(None))
    data = SampleTensors(dataset, dataset.records("test/fakefake"), Protocol(None))
    fractions = torch.stack([data[i]["target"].float().mean() for i in range(len(data))])
    fake = metrics["test/fakefake"]
    assert fake["n_empty_mask"] == int((fractions == 0).sum())  # left out of the means, as for any detector
    fractions = fractions[fractions > 0]
    assert fake["iou"] == pytest.approx(fractions.mean().item(), abs=1e-6)
    assert fake["f1"] == pytest.approx((2 * fractions / (1 + fractions)).mean().item(), abs=1e-6)
    assert fake["auc"] == pytest.approx(0.5) and fake["image_auc"] == pytest.approx(0.5)
    assert metrics["test/original"]["fpr"] == pytest.approx(1.0)


def test_its_card_marks_it_a_floor_and_it_is_registered():
    assert AllPositiveDetector.card.floor and not AllPositiveDetector.card.published
    assert isinstance(registry.create("detectors", "all-positive"), AllPositiveDetector)
