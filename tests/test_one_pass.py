"""No work done twice, memory bounded by the tile: one prediction per image with the gallery kept in the
same pass, uint8 images made float call by call, and metrics accumulated in chunks that equal the
whole-image metrics exactly."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from inpaintbench.data.layout import LayoutDataset
from inpaintbench.evaluation import metrics as metrics_module
from inpaintbench.evaluation._extremes import DISPLAY_SIDE, display
from inpaintbench.evaluation._tensors import SampleTensors, as_float, collate, to_tensors
from inpaintbench.evaluation.harness import evaluate
from inpaintbench.evaluation.metrics import MetricState
from inpaintbench.evaluation.protocol import Execution, Protocol
from inpaintbench.jobs._gallery import choose
from inpaintbench.jobs.job import Job, evaluate_job
from inpaintbench.sdk.contracts import BaseDetector

from layout_factory import make_layout


class Pointwise(BaseDetector):
    """A heatmap that depends on each pixel alone (tiling cannot change it); counts what it sees."""

    def __init__(self) -> None:
        self.pixels = 0
        self.calls: list[tuple[torch.dtype, bool]] = []

    def predict(self, images: torch.Tensor) -> torch.Tensor:
        self.pixels += images.shape[0] * images.shape[2] * images.shape[3]
        self.calls.append((images.dtype, images.is_contiguous()))
        return (images[:, :1] * 0.7 + images[:, 1:2] * 0.3).clamp(0, 1)


@pytest.fixture
def layout(tmp_path):
    return make_layout(tmp_path / "data", {"test": 7}, size=40, seed=3)


def test_the_gallery_costs_no_second_prediction(layout, tmp_path):
    detector, dataset = Pointwise(), LayoutDataset(layout)
    n_pixels = sum(40 * 40 for split in ("test/realfake", "test/fakefake", "test/original")
                   for _ in dataset.records(split))
    job = Job("pointwise", "provided", run=Execution(batch_size=3, progress=False), gallery_k=2)
    evaluate_job(job, dataset=dataset, detector=detector, info={}, overlay_path=tmp_path / "g.png")
    assert detector.pixels == n_pixels  # every image predicted once, the gallery's included
    assert (tmp_path / "g.png").stat().st_size > 1000
    assert all(dtype == torch.float32 and contiguous for dtype, contiguous in detector.calls)


def test_kept_candidates_hold_every_chosen_image_with_its_own_pixels(layout):
    dataset, per_image = LayoutDataset(layout), {}
    evaluate(Pointwise(), dataset, ["test/realfake", "test/fakefake"], run=Execution(batch_size=2, progress=False),
             per_image=per_image, gallery=(2, "iou"))
    chosen = choose(per_image, 2, "iou")
    assert len(chosen) == 4
    for images in per_image.values():
        assert len(images.extremes.kept) <= 4  # bounded: the k lowest and the k highest
    for item in chosen:
        kept = per_image[item.split].extremes.get(item.index)
        image, target = to_tensors(dataset.load(dataset.records(item.split)[item.index]), None, "full")
        heat = Pointwise().predict(image[None])[0, 0]
        assert kept.id == item.id and np.array_equal(kept.heat, heat.numpy())
        assert np.array_equal(kept.truth, target[0].numpy()) and kept.key[0] == item.value
        assert np.array_equal(kept.image, (image.permute(1, 2, 0) * 255).round().to(torch.uint8).numpy())


def test_a_large_image_is_kept_shrunk_for_display_by_block_means():
    h, w = 3 * DISPLAY_SIDE + 5, 2 * DISPLAY_SIDE
    x = torch.arange(h * w, dtype=torch.float64).reshape(1, h, w) % 7
    shown = display(x, band=3)
    assert shown.shape == (1, 386, 256)  # a factor of 4, in bands of 12 rows; the last row of blocks clipped
    assert torch.allclose(shown[0, 1, 2], x[0, 4:8, 8:12].mean().float())
    assert torch.allclose(shown[0, 100, 3], x[0, 400:404, 12:16].mean().float())  # across a band boundary
    assert torch.allclose(shown[0, -1, 0], x[0, 1540:, 0:4].mean().float())
    assert torch.equal(display(x[:, :10, :10]), x[:, :10, :10].float())  # small images are kept as they are


def test_stored_uint8_images_reach_the_detector_as_the_float_ones_would(layout):
    dataset = LayoutDataset(layout)
    records = dataset.records("test/realfake")
    stored = collate([SampleTensors(dataset, records, Protocol(), stored=True)[i] for i in range(3)])
    plain = collate([SampleTensors(dataset, records, Protocol())[i] for i in range(3)])
    assert stored["image"].dtype == torch.uint8 and stored["target"].dtype == torch.bool
    assert torch.equal(as_float(stored["image"]), plain["image"])
    assert torch.equal(stored["target"].float(), plain["target"])


def test_tiled_and_chunked_metrics_equal_the_whole_image_ones_exactly(layout, monkeypatch):
    """Tiles of at most 300 pixels (overlap 8) and metric chunks of 97 pixels against one call and
    one chunk per image: the same counts, histograms, image scores and metrics, to the last bit."""
    dataset = LayoutDataset(layout)
    run = Execution(batch_size=3, progress=False)
    whole = {}
    reference = evaluate(Pointwise(), dataset, protocol=Protocol(max_pixels=10**7), run=run, per_image=whole)
    monkeypatch.setattr(metrics_module, "PIXEL_CHUNK", 97)
    parts = {}
    tiled = evaluate(Pointwise(), dataset, protocol=Protocol(max_pixels=300, tile_overlap=8), run=run, per_image=parts)
    assert tiled == reference
    for split in whole:
        for a, b in zip(whole[split].state.tensors(), parts[split].state.tensors()):
            assert torch.equal(a, b)
        assert torch.equal(whole[split].state.image_scores(), parts[split].state.image_scores())


def test_chunked_update_equals_one_update_with_float_targets_and_padding(monkeypatch):
    torch.manual_seed(0)
    pred, target = torch.rand(3, 1, 23, 31), (torch.rand(3, 1, 23, 31) > 0.6).float()
    valid = torch.ones_like(target, dtype=torch.bool)
    valid[1, :, 17:, :] = False
    one = MetricState()
    one.update(pred, target, valid=valid)
    monkeypatch.setattr(metrics_module, "PIXEL_CHUNK", 50)
    chunked = MetricState()
    chunked.update(pred, target.bool(), valid=valid)
    for a, b in zip(one.tensors(), chunked.tensors()):
        assert torch.equal(a, b)
    assert one.compute() == chunked.compute()


def test_module_detector_scores_from_the_top_pixels_exactly_as_from_all_logits():
    """Only the top 1 % of the heatmap become logits: the same score, to the last bit, as the pooled logit
    of every pixel's logit (ties and values clamped at 1 - 1e-7 included)."""
    from torch import nn

    from inpaintbench.sdk.contracts import HEATMAP_LOGIT_EPS, ModuleDetector, pooled_logit

    detector = ModuleDetector(nn.Identity())
    torch.manual_seed(1)
    for shape in [(3, 1, 37, 53), (2, 1, 120, 91), (1, 1, 5, 5)]:
        heat = torch.rand(shape) * 0.6 + 0.2
        heat[0, 0, :2, :7] = 0.75  # ties at the cut
        heat[-1, 0, -1, :3] = 1 - 1e-9  # clamped by the logit's eps
        everything = pooled_logit(torch.logit(heat, eps=HEATMAP_LOGIT_EPS), fraction=detector.image_topk)
        assert torch.equal(detector.image_score(None, heat), torch.sigmoid(everything))
