"""The harness at native resolution: batches of mixed sizes are padded, and padding never counts."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from inpaintbench.evaluation.harness import evaluate, evaluate_split
from inpaintbench.evaluation.protocol import Execution, Protocol
from inpaintbench.sdk.contracts import Sample

from layout_factory import InMemoryDataset

SIZES = [(21, 30), (40, 17), (33, 33), (12, 45)]

#: Batches of four, and one image at a time, without progress bars.
BATCH4 = Execution(batch_size=4, progress=False)
SINGLE = Execution(batch_size=1, progress=False)


class MixedSizes(InMemoryDataset):
    """An in-memory dataset: one manipulated and one authentic image per size, sizes all different."""

    name = "mixed"

    def __init__(self) -> None:
        rng = np.random.default_rng(0)
        self.samples: dict[str, list[Sample]] = {"test/fakefake": [], "test/original": []}
        for i, (h, w) in enumerate(SIZES):
            mask = np.zeros((h, w), np.uint8)
            mask[h // 4:h // 2 + 3, w // 5:w // 2 + 4] = 255
            for split, m in (("test/fakefake", mask), ("test/original", np.zeros_like(mask))):
                image = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
                self.samples[split].append(Sample(f"{i}", "test", split.split("/")[1], image, m))


class PerPixel:
    """A heatmap computed pixel by pixel (no neighbourhood), so its value at a pixel cannot depend on
    whatever padding surrounds the image: the padded batch must then give exactly the unpadded maps."""

    def predict(self, images: torch.Tensor) -> torch.Tensor:
        return (images[:, 0:1] * 0.7 + images[:, 2:3] * 0.3).clamp(0, 1)


def test_a_mixed_size_batch_gives_exactly_the_per_image_metrics_of_single_images():
    ds = MixedSizes()
    native = Protocol()
    for split in ds.splits():
        batched, _ = evaluate_split(PerPixel(), ds, split, protocol=native, run=BATCH4)
        single, _ = evaluate_split(PerPixel(), ds, split, protocol=native, run=SINGLE)
        assert len(batched.counts) == 1 and len(single.counts) == 4  # one padded batch against four calls
        for a, b in zip(batched.tensors(), single.tensors()):
            assert torch.equal(a, b)
        assert torch.equal(batched.image_scores(), single.image_scores())
        # every pixel of every image is counted once: no padding and nothing lost
        assert batched.tensors()[0].sum(1).tolist() == [h * w for h, w in SIZES]
        per_b, per_s = batched.per_image(), single.per_image()
        for key in per_b:
            torch.testing.assert_close(per_b[key], per_s[key], rtol=0, atol=0, equal_nan=True)
    assert evaluate(PerPixel(), ds, protocol=native, run=BATCH4) == \
        evaluate(PerPixel(), ds, protocol=native, run=SINGLE)


def test_native_is_the_default_and_recorded_apart_from_a_resize():
    native, resized = Protocol().input_record(), Protocol(256).input_record()
    assert native["image_size"] == "native" and native["resize"] == "none"
    assert resized["image_size"] == 256 and native != resized
    assert "replicate" in native["batching"] and native["max_pixels"] == Protocol().max_pixels


def test_a_padded_detector_input_is_edge_replicated_not_zero():
    seen = []

    class Record(PerPixel):
        def predict(self, images):
            seen.append(images.clone())
            return super().predict(images)

    ds = MixedSizes()
    evaluate_split(Record(), ds, "test/fakefake", protocol=Protocol(), run=BATCH4)
    (batch,) = seen
    h, w = SIZES[0]
    assert batch.shape[2:] == (max(s[0] for s in SIZES), max(s[1] for s in SIZES))
    assert torch.equal(batch[0, :, h:, :w], batch[0, :, h - 1:h, :w].expand(-1, batch.shape[2] - h, -1))


@pytest.mark.parametrize("max_pixels", [40 * 45, 33 * 33 - 1])
def test_chunks_and_tiles_within_max_pixels_change_nothing_for_a_per_pixel_detector(max_pixels):
    calls = []

    class Count(PerPixel):
        def predict(self, images):
            calls.append(images.shape[0] * images.shape[2] * images.shape[3])
            return super().predict(images)

    ds = MixedSizes()
    small = Protocol(max_pixels=max_pixels, tile_overlap=4)
    budget, _ = evaluate_split(Count(), ds, "test/fakefake", protocol=small, run=BATCH4)
    whole, _ = evaluate_split(PerPixel(), ds, "test/fakefake", protocol=Protocol(), run=BATCH4)
    assert len(calls) > 1 and max(calls) <= max_pixels
    for a, b in zip(budget.tensors(), whole.tensors()):
        assert torch.equal(a, b)


def test_the_heatmap_maximum_image_score_ignores_the_padding():
    class Ramp:
        """Scores rise to the right edge of the batch tensor, i.e. they peak in the padding."""

        def predict(self, images):
            ramp = torch.linspace(0, 1, images.shape[3])
            return ramp.expand(images.shape[0], 1, images.shape[2], -1).contiguous()

    state, _ = evaluate_split(Ramp(), MixedSizes(), "test/fakefake", protocol=Protocol(), run=BATCH4)
    width = max(w for _, w in SIZES)
    expected = torch.tensor([(w - 1) / (width - 1) for _, w in SIZES], dtype=torch.float64)
    torch.testing.assert_close(state.image_scores(), expected)


def test_a_detectors_own_image_score_never_sees_the_padding():
    from torch import nn

    from inpaintbench.sdk.contracts import ModuleDetector

    torch.manual_seed(0)
    det = ModuleDetector(nn.Conv2d(3, 1, 1))  # pointwise: the heatmap of a real pixel ignores the padding
    batched, _ = evaluate_split(det, MixedSizes(), "test/fakefake", protocol=Protocol(), run=BATCH4)
    single, _ = evaluate_split(det, MixedSizes(), "test/fakefake", protocol=Protocol(), run=SINGLE)
    torch.testing.assert_close(batched.image_scores(), single.image_scores())
