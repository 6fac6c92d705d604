"""The training-free noise-level detectors: shapes, determinism, alignment, detection, and the evaluate CLI."""

import json

import numpy as np
import pytest
import torch
from scipy.ndimage import gaussian_filter

from inpaintbench.baselines import noise_residual as nr
from inpaintbench.cli import main
from inpaintbench.evaluation.metrics import MetricState
from inpaintbench.sdk.registry import create


def _square(size: int, rng: np.random.Generator) -> np.ndarray:
    mask = np.zeros((size, size), bool)
    side = size // 3
    y, x = rng.integers(0, size - side, 2)
    mask[y:y + side, x:x + side] = True
    return mask


def _to_tensor(images: list[np.ndarray]) -> torch.Tensor:
    return torch.tensor(np.clip(np.stack(images), 0, 255).round() / 255.0, dtype=torch.float32).permute(0, 3, 1, 2)


def _auc(pred: torch.Tensor, masks: list[np.ndarray]) -> float:
    state = MetricState()
    state.update(pred, torch.tensor(np.stack(masks))[:, None].float())
    return state.compute()["auc"]


def smoothed_in_square(n=6, size=96, seed=0):
    """Smooth 'photos' with grain everywhere, the grain blurred away inside a square (like inpainting)."""
    rng = np.random.default_rng(seed)
    images, masks = [], []
    for _ in range(n):
        base = gaussian_filter(rng.normal(128, 60, (size, size, 3)), (4, 4, 0)) + rng.normal(0, 6, (size, size, 3))
        mask = _square(size, rng)
        images.append(np.where(mask[..., None], gaussian_filter(base, (1.2, 1.2, 0)), base))
        masks.append(mask)
    return _to_tensor(images), masks


def cartoon_with_quiet_square(n=4, size=128, seed=0, loud=10.0, quiet=2.0):
    """Piecewise-constant scenes (heavy-tailed band-pass statistics) with less noise inside a square."""
    rng = np.random.default_rng(seed)
    images, masks = [], []
    yy, xx = np.mgrid[:size, :size]
    for _ in range(n):
        scene = np.full((size, size), 128.0)
        for _ in range(25):
            y0, x0 = rng.integers(0, size, 2)
            h, w = rng.integers(8, size // 2, 2)
            scene[(yy >= y0) & (yy < y0 + h) & (xx >= x0) & (xx < x0 + w)] = rng.uniform(30, 220)
        mask = _square(size, rng)
        noisy = scene + rng.normal(0, 1, scene.shape) * np.where(mask, quiet, loud)
        images.append(np.repeat(noisy[..., None], 3, axis=2))
        masks.append(mask)
    return _to_tensor(images), masks


@pytest.mark.parametrize("name", ["noise-residual", "noise-kurtosis"])
def test_shape_range_and_determinism_at_odd_sizes(name):
    det = create("detectors", name)
    x = torch.rand(2, 3, 37, 53)
    heat = det.predict(x)
    assert heat.shape == (2, 1, 37, 53) and heat.dtype == torch.float32
    assert heat.min() >= 0 and heat.max() <= 1
    assert torch.equal(heat, det.predict(x))
    # each image is scored on its own: its map does not depend on its batch neighbours
    assert torch.allclose(det.predict(x[1:]), heat[1:], atol=1e-6)
    assert det.info()["parameters"] == 0 and not det.card.trainable and det.card.reference


def test_grid_maps_back_to_window_centres():
    for size, block, stride in [(37, 16, 4), (53, 8, 3), (9, 4, 4)]:
        before, after, n = nr.window_pads(size, block, stride)
        assert before + size + after == (n - 1) * stride + block and (n - 1) * stride >= size - 1
        grid = torch.arange(float(n)).view(1, 1, 1, n).expand(1, 1, 2, n)
        row = nr.to_pixels(grid, 2, size, stride)[0, 0, 0]
        assert row.shape == (size,)
        centres = torch.arange(0, size, stride)
        assert torch.allclose(row[centres], centres / stride)  # window i is centred on pixel i * stride
    # the median of each window is the median of the pixels around its centre
    x = torch.randn(1, 1, 20, 20)
    med = nr.window_median(x, 5, 5)
    assert med[0, 0, 1, 2] == x[0, 0, 3:8, 8:13].median()


def test_mad_noise_estimate_recovers_added_gaussian_noise():
    rng = np.random.default_rng(1)
    flat = torch.full((1, 1, 96, 96), 100.0)
    det = nr.NoiseResidualDetector()
    for sigma in (3.0, 8.0):
        noisy = flat + torch.tensor(rng.normal(0, sigma, (1, 1, 96, 96)), dtype=torch.float32)
        estimate = (det.log_noise(noisy).exp() - det.floor).median().item()
        assert estimate == pytest.approx(sigma, rel=0.1)


def test_noise_residual_finds_the_smoothed_square():
    x, masks = smoothed_in_square()
    low = nr.NoiseResidualDetector()
    assert _auc(low.predict(x), masks) > 0.9
    # the inverse question (is the square noisier?) must not be answered yes by side=low
    assert _auc(low.predict(x), [~m for m in masks]) < 0.2


def test_side_both_also_flags_a_noisier_region():
    x, masks = cartoon_with_quiet_square(loud=2.0, quiet=10.0)  # the square is the noisy one here
    assert _auc(nr.NoiseResidualDetector(side="both").predict(x), masks) > 0.8
    assert _auc(nr.NoiseResidualDetector(side="low").predict(x), masks) < 0.5


def test_kurtosis_estimate_and_detection_on_heavy_tailed_scenes():
    x, masks = cartoon_with_quiet_square()
    det = nr.NoiseKurtosisDetector()
    levels = det.log_noise(nr.luma(x)).exp() - det.floor
    assert levels.median().item() == pytest.approx(10.0, rel=0.25)  # most windows lie outside the square
    assert _auc(det.predict(x), masks) > 0.8


def test_bad_options_are_clear_errors():
    with pytest.raises(ValueError, match="side 'up'.*low, both"):
        nr.NoiseResidualDetector(side="up")
    with pytest.raises(ValueError, match="block must be at least 2"):
        nr.NoiseKurtosisDetector(block=1)


def test_evaluate_cli_without_checkpoint(tiny_layout, tmp_path):
    out = tmp_path / "nr.json"
    code = main(["evaluate", "--detector", "noise-residual", "--dataset", "provided", "--data-root", str(tiny_layout),
                 "--image-size", "native", "--opt", "block=8", "--opt", "stride=2", "--output", str(out), "--quiet"])
    assert code == 0
    result = json.loads(out.read_text())
    assert result["checkpoint"] is None
    assert result["detector_info"]["options"]["block"] == 8 and result["detector_info"]["parameters"] == 0
    assert "Mahdian" in result["detector_info"]["card"]["reference"]
    assert result["metrics"]["test/fakefake"]["n_images"] == 3
    assert result["metrics"]["test/original"]["n_authentic"] == 3
    assert result["metrics"]["test/fakefake"]["auc"] > 0.7
