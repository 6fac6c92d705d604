"""Splicebuster: its features piece by piece, and a constructed splice with a known answer: a Kodak
photo given camera-like noise everywhere, whose centre was replaced by a lightly blurred, noise-free
region of another photo (a noise-level mismatch), must be localized; the same noisy photo without
the foreign region, and a plain photo, must show no confident region."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from scipy.ndimage import gaussian_filter
from scipy.stats import rankdata

from inpaintbench.baselines.splicebuster import SplicebusterDetector
from inpaintbench.baselines.splicebuster_features import (
    RESIDUAL_SCALE,
    Settings,
    quantize,
    residuals,
    symmetry_classes,
    usable_pixels,
)

from conftest import SHARED

KODAK = SHARED / "data" / "photos" / "kodak24"
needs_kodak = pytest.mark.skipif(not (KODAK / "kodim02.png").is_file(), reason=f"Kodak photos not in {KODAK}")


def test_the_third_order_residual_vanishes_on_quadratics_and_is_constant_on_cubics():
    i, j = np.mgrid[0:12, 0:15].astype(np.float64)
    along_rows, along_cols = residuals(0.3 * i ** 2 - 0.2 * j ** 2 + 0.1 * i * j + 2 * i + 5)
    assert along_rows.shape == (8, 11)
    np.testing.assert_allclose(along_rows, 0, atol=1e-9)
    np.testing.assert_allclose(along_cols, 0, atol=1e-9)
    along_rows, along_cols = residuals(j ** 3)
    np.testing.assert_allclose(along_rows, -6.0)  # f(c-1) - 3 f(c) + 3 f(c+1) - f(c+2) for f = c^3
    np.testing.assert_allclose(along_cols, 0.0)


def test_quantization_rounds_half_away_from_zero_and_truncates():
    step = 2 * RESIDUAL_SCALE / 256
    values = np.array([-10, -0.5, -0.49, 0.0, 0.49, 0.5, 10]) * step
    assert quantize(values, q=2, t=1).tolist() == [0, 0, 1, 1, 1, 2, 2]


def test_codes_merge_by_sign_and_reversal_into_25_classes():
    classes = symmetry_classes(3, 4)
    assert classes.shape == (81,) and classes.max() + 1 == 25

    def code(digits):
        return sum(d * 3 ** p for p, d in enumerate(digits))

    for digits in ([0, 1, 2, 2], [0, 0, 1, 2], [2, 1, 1, 0]):
        same = {classes[code(digits)], classes[code(digits[::-1])], classes[code([2 - d for d in digits])],
                classes[code([2 - d for d in digits[::-1]])]}
        assert len(same) == 1
    assert classes[code([0, 0, 0, 1])] != classes[code([0, 0, 1, 1])]


def test_pixels_near_saturated_areas_do_not_count():
    grey = np.full((60, 60), 0.5, np.float32)
    y, x = np.mgrid[0:60, 0:60]
    grey[(y - 30) ** 2 + (x - 30) ** 2 <= 36] = 0.999  # a bright disk of radius 6
    grey[5, 5] = 0.999  # a lone bright pixel: removed by the opening
    usable = usable_pixels(grey)
    assert not usable[30, 30] and not usable[30, 30 + 6 + 4] and usable[30, 30 + 6 + 5]
    assert usable[5, 5]


def test_small_images_use_the_authors_small_preset():
    assert (Settings.for_size(20000).stride, Settings.for_size(20000).window) == (4, 64)
    assert (Settings.for_size(20001).stride, Settings.for_size(20001).window) == (8, 128)


def test_an_image_too_small_for_a_fit_gets_an_all_zero_map():
    detector = SplicebusterDetector()
    heat = detector.predict(torch.rand(1, 3, 60, 70))
    assert heat.shape == (1, 1, 60, 70) and heat.dtype == torch.float32 and not heat.any()
    with pytest.raises(ValueError, match="image_quantile"):
        SplicebusterDetector(image_quantile=0)


def kodak(n: int) -> np.ndarray:
    return np.asarray(Image.open(KODAK / f"kodim{n:02d}.png").convert("RGB")).astype(np.float64)


def noise_mismatch(host_id: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(spliced, noisy host alone, region)``: the host with Gaussian noise (std 2) everywhere, its central
    160 x 160 replaced by another photo blurred (sigma 0.8) without noise."""
    host, donor = kodak(host_id), kodak(host_id + 12)
    rng = np.random.default_rng(host_id)
    noisy = np.clip(np.rint(host + rng.normal(0, 2.0, (*host.shape[:2], 1))), 0, 255).astype(np.uint8)
    region = np.zeros(host.shape[:2], bool)
    region[170:330, 170:330] = True
    spliced = noisy.copy()
    spliced[region] = np.clip(np.rint(gaussian_filter(donor, (0.8, 0.8, 0))), 0, 255).astype(np.uint8)[region]
    return spliced, noisy, region


def predicted(detector: SplicebusterDetector, image: np.ndarray) -> tuple[np.ndarray, float]:
    tensor = torch.from_numpy(image.astype(np.uint8)).permute(2, 0, 1)[None].float() / 255
    heat = detector.predict(tensor)
    return heat[0, 0].numpy(), float(detector.image_score(tensor, heat))


def auc(scores: np.ndarray, truth: np.ndarray) -> float:
    ranks = rankdata(scores)
    pos = int(truth.sum())
    return float((ranks[truth].sum() - pos * (pos + 1) / 2) / (pos * (truth.size - pos)))


@needs_kodak
@pytest.mark.parametrize("host_id", [2, 3, 5])
def test_a_noise_level_mismatch_is_localized_and_the_untouched_photo_is_not_flagged(host_id):
    detector = SplicebusterDetector()
    spliced, noisy, region = noise_mismatch(host_id)
    heat, score = predicted(detector, spliced)
    assert auc(heat.ravel(), region.ravel()) > 0.9
    assert (heat[region] > 0.5).mean() > 0.25 and (heat[~region] > 0.5).mean() < 0.05
    control, control_score = predicted(detector, noisy)
    assert (control > 0.5).mean() < 0.01
    assert score > control_score + 0.3


@needs_kodak
def test_a_plain_photo_shows_no_confident_region():
    heat, _ = predicted(SplicebusterDetector(), kodak(2))
    assert (heat > 0.5).mean() < 0.01
