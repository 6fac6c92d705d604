"""Noisesniffer: its building blocks against direct computations, and detection on photos with a known answer."""

import json
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from scipy.fft import dctn
from scipy.ndimage import binary_dilation
from scipy.stats import binom

from inpaintbench.baselines import acontrario as ac
from inpaintbench.baselines import noisesniffer_blocks as nb
from inpaintbench.baselines.noisesniffer import NoisesnifferDetector
from inpaintbench.cli import main
from inpaintbench.evaluation.metrics import MetricState
from inpaintbench.sdk.registry import create

from conftest import SHARED

KODAK = SHARED / "data" / "photos" / "kodak24"


def _auc(heat: np.ndarray, region: np.ndarray) -> float:
    state = MetricState()
    state.update(torch.tensor(heat)[None, None], torch.tensor(region)[None, None].float())
    return state.compute()["auc"]


def _tensor(rgb: np.ndarray) -> torch.Tensor:
    return torch.tensor(np.clip(np.round(rgb), 0, 255) / 255.0, dtype=torch.float32).permute(2, 0, 1)[None]


def _kodak(index: int) -> np.ndarray:
    path = KODAK / f"kodim{index:02d}.png"
    if not path.is_file():
        pytest.skip(f"{path} is absent (shared Kodak photos not installed)")
    return np.asarray(Image.open(path).convert("RGB")).astype(np.float64)


def central_clean(index: int, sigma: float = 5.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(forged, uniformly noisy, region): Gaussian noise added everywhere but a central square left clean."""
    img = _kodak(index)
    noisy = img + np.random.default_rng(seed).normal(0, sigma, img.shape)
    region = np.zeros(img.shape[:2], dtype=bool)
    region[150:350, 150:350] = True
    return np.where(region[..., None], img, noisy), noisy, region


# --- building blocks --------------------------------------------------------------------------------

@pytest.mark.parametrize("w", [3, 5])
def test_block_variance_and_dct_energy_of_gaussian_noise(w):
    sigma = 5.0
    rng = np.random.default_rng(1)
    img = np.round(128 + rng.normal(0, sigma, (160, 160))).astype(np.int64)
    var = sigma ** 2 + 1 / 12  # rounding to integers adds a uniform quantisation error
    _, spread = nb.block_moments(img, w)
    # spread = w^4 * population variance of the block; its mean is var * (w^2 - 1) / w^2
    assert (spread / w ** 4).mean() == pytest.approx(var * (w * w - 1) / (w * w), rel=0.03)
    # every orthonormal DCT coefficient of white noise has variance var
    kept = int(nb.low_freq_mask(w).sum())
    assert nb.low_freq_energy(img, w).mean() == pytest.approx(kept * var, rel=0.03)


@pytest.mark.parametrize("w,count", [(3, 5), (5, 14), (8, 42)])
def test_low_freq_energy_equals_a_direct_dct_of_each_block(w, count):
    mask = nb.low_freq_mask(w)
    assert mask.sum() == count and not mask[0, 0]
    img = np.random.default_rng(2).integers(0, 256, (17, 23))
    energy = nb.low_freq_energy(img, w)
    assert energy.shape == (17 - w + 1, 23 - w + 1)
    for i, j in [(0, 0), (5, 7), (17 - w, 23 - w)]:
        coef = dctn(img[i:i + w, j:j + w].astype(float), norm="ortho")
        assert energy[i, j] == pytest.approx((coef[mask] ** 2).sum(), rel=1e-10)


def test_saturated_pixels_invalidate_their_blocks_in_every_channel():
    img = np.random.default_rng(3).integers(10, 240, (12, 12, 3))
    img[5, 6, 2] = 255  # the blue channel's maximum
    valid = nb.valid_origins(img, 3)
    assert not valid[3:6, 4:7].any()  # the 9 blocks holding pixel (5, 6)
    # a block is valid exactly when none of its pixels is at any channel's extreme
    extremes = np.zeros((12, 12), bool)
    for c in range(3):
        extremes |= (img[..., c] == img[..., c].min()) | (img[..., c] == img[..., c].max())
    assert np.array_equal(valid, nb.box_sums(extremes.astype(np.int64), 3) == 0)


def test_each_bin_keeps_n_then_m_of_its_blocks():
    rng = np.random.default_rng(4)
    img = np.round(np.linspace(40, 200, 100)[None, :, None] + rng.normal(0, 4, (100, 100, 3))).astype(np.int64)
    img[0, 0], img[99, 99] = 0, 255  # each channel's extremes: only the two corner blocks are invalid
    assert nb.valid_origins(img, 3).sum() == 98 * 98 - 2
    sel = nb.Selection(block=3, n=0.1, m=0.5, bin_size=2000)
    kept, quiet = nb.block_counts(img, sel, cell=50)
    # round(9602 / 2000) = 5 bins of 1920 (the last 1922): 192 kept and 96 quiet per bin and channel
    assert kept.sum() == 3 * 5 * 192
    assert quiet.sum() == pytest.approx(3 * 5 * 96)
    iwbf = nb.Selection(block=3, n=0.05, m=0.3, bin_size=2000, per_bin_counts=False)
    kept, quiet = nb.block_counts(img, iwbf, cell=50)
    assert kept.sum() == 3 * 5 * 100 and quiet.sum() == pytest.approx(3 * 5 * 30)


def test_fast_selections_equal_stable_sorts():
    rng = np.random.default_rng(7)
    for keys in (rng.integers(0, 40, 500), rng.integers(0, 70000, 500), rng.normal(size=500).round(1)):
        assert np.array_equal(nb.stable_order(keys), np.argsort(keys, kind="stable"))
        for k in (0, 1, 37, 499, 500, 600):
            assert np.array_equal(nb.smallest(keys, k), np.sort(np.argsort(keys, kind="stable")[:k]))


def test_ties_at_the_edge_of_s_share_the_places_left():
    pos, weights = nb.quiet_weights(np.array([0, 1, 1, 1, 2]), 2)
    assert list(pos) == [0, 1, 2, 3]
    assert weights == pytest.approx([1, 1 / 3, 1 / 3, 1 / 3])
    pos, weights = nb.quiet_weights(np.array([0, 1, 2, 3]), 2)
    assert list(pos) == [0, 1] and list(weights) == [1, 1]


def test_the_quietest_blocks_gather_where_noise_is_missing():
    # a flat grey image, noise sigma 6 except one 50 x 50 cell (3 % of the blocks, under n = 10 %) at sigma 2
    rng = np.random.default_rng(5)
    sigma = np.full((300, 300), 6.0)
    sigma[100:150, 150:200] = 2.0
    img = np.round(120 + rng.normal(0, 1, (300, 300, 3)) * sigma[..., None]).astype(np.int64)
    kept, quiet = nb.block_counts(img, nb.Selection(3, 0.1, 0.5, 20000), cell=50)
    share = quiet / kept
    assert share[2, 3] > 0.85  # its kept blocks are among the quietest (but those reaching out of it)
    assert np.delete(share.ravel(), 2 * 6 + 3).max() < 0.5
    # the a-contrario test then finds exactly that cell
    _, detected = ac.grow_regions(kept, quiet, 3, 0.5, cells_in_image=36.0)
    assert detected[2, 3] and detected.sum() == 1


def test_downscale_sums_disjoint_2x2_groups():
    img = np.arange(5 * 7 * 1).reshape(5, 7, 1)
    small = nb.downscale(img, 1)
    assert small.shape == (2, 3, 1)
    assert small[1, 2, 0] == img[2:4, 4:6, 0].sum()
    assert nb.downscale(img, 0) is img


# --- the a-contrario test ---------------------------------------------------------------------------

def test_log_binomial_tail_matches_scipy_and_exact_sums():
    for k, n, p in [(0, 10, 0.5), (3, 10, 0.3), (60, 100, 0.5), (900, 1000, 0.5), (11, 10, 0.5), (40, 200, 0.05)]:
        expected = binom.sf(k - 1, n, p)
        got = ac.log_binom_tail(k, n, p)
        assert (got == -math.inf) if expected == 0 else got == pytest.approx(math.log(expected), rel=1e-9, abs=1e-12)
    # far into the tail, where a float underflows: exact integer arithmetic at p = 1/2
    for k, n in [(2600, 3000), (5000, 5200)]:
        exact = math.log(sum(math.comb(n, j) for j in range(k, n + 1))) - n * math.log(2)
        assert exact < -700 and ac.log_binom_tail(k, n, 0.5) == pytest.approx(exact, rel=1e-9)
    # and at p = 3/10 with fractions
    k, n, p = 700, 900, Fraction(3, 10)
    exact = sum(math.comb(n, j) * p ** j * (1 - p) ** (n - j) for j in range(k, n + 1))
    assert ac.log_binom_tail(k, n, 0.3) == pytest.approx(math.log(exact.numerator) - math.log(exact.denominator),
                                                           rel=1e-9)


def test_region_nfa_is_tests_times_the_binomial_tail():
    w, m, size, quiet, kept, cells_in_image = 3, 0.5, 4, 2300.0, 4000.0, 26.2
    tests = 0.5 * w * w * cells_in_image ** 2 * (0.316915 / size) * 4.062570 ** size
    tail = binom.sf(math.floor(quiet / w ** 2) - 1, math.ceil(kept / w ** 2), m)
    assert ac.region_log10_nfa(size, quiet, kept, w, m, cells_in_image) == pytest.approx(math.log10(tests * tail))


def test_cell_nfa_of_the_original_method():
    kept = np.array([[1000.0, 2500.0], [50.0, 0.0]])
    quiet = np.array([[400.0, 1000.0], [40.0, 0.0]])
    got = ac.cell_log10_nfa(kept, quiet, 5, 0.3)
    for idx in np.ndindex(kept.shape):
        direct = 25 * 4 * binom.sf(int(quiet[idx] / 25) - 1, int(kept[idx] / 25) + 1, 0.3)
        assert got[idx] == pytest.approx(math.log10(direct))


def test_region_growing_finds_exactly_the_anomalous_cells():
    kept = np.full((6, 6), 900.0)
    quiet = np.full((6, 6), 450.0)  # share m everywhere: what H0 expects
    log10_nfa, detected = ac.grow_regions(kept, quiet, 3, 0.5, cells_in_image=36.0)
    assert not detected.any() and (log10_nfa >= 0).all()
    quiet[2:4, 1:3] = 700.0
    log10_nfa, detected = ac.grow_regions(kept, quiet, 3, 0.5, cells_in_image=36.0)
    expected = np.zeros((6, 6), bool)
    expected[2:4, 1:3] = True
    assert np.array_equal(detected, expected)
    assert (log10_nfa[expected] < -5).all() and (log10_nfa[~expected] >= 0).all()
    # the four cells form one region: its NFA, not four separate ones
    assert log10_nfa[expected] == pytest.approx(ac.region_log10_nfa(4, 2800.0, 3600.0, 3, 0.5, 36.0))


def test_region_growing_stays_quiet_on_binomial_counts():
    rng = np.random.default_rng(6)
    kept = np.full((8, 8), 1800.0)
    # H0 in the method's units: successes among kept / w^2 independent trials, scaled back by w^2
    quiet = 9.0 * rng.binomial(200, 0.5, (8, 8))
    log10_nfa, detected = ac.grow_regions(kept, quiet, 3, 0.5, cells_in_image=64.0)
    assert not detected.any() and log10_nfa.min() >= 0


# --- the detector on photos with a known answer --------------------------------------------------

@pytest.mark.parametrize("index", [5, 23])
def test_a_clean_square_in_a_noisy_photo_is_detected(index):
    forged, _, region = central_clean(index)
    det = NoisesnifferDetector()
    result = det.analyse(np.round(np.clip(forged, 0, 255)).astype(np.int64))
    assert result.detected[2, 2] and result.min_log10_nfa < -10  # the a-contrario test fires on the centre cell
    heat = det.predict(_tensor(forged))[0, 0].numpy()
    assert _auc(heat, region) > 0.8
    assert np.mean(heat[region] > 0.5) > 0.8
    far = ~binary_dilation(region, iterations=60)
    assert heat[far].mean() < 0.05
    # p > 0.5 is exactly the method's binary detection
    assert np.array_equal(heat > 0.5, result.to_pixels(result.detected, *heat.shape))


@pytest.mark.parametrize("index", [5, 23])
def test_uniform_noise_gives_no_detection(index):
    _, noisy, _ = central_clean(index)
    det = NoisesnifferDetector()
    result = det.analyse(np.round(np.clip(noisy, 0, 255)).astype(np.int64))
    assert not result.detected.any() and result.min_log10_nfa > 1  # NFA above 10
    heat = det.predict(_tensor(noisy))
    assert heat.max() < 0.05
    assert det.image_score(_tensor(noisy), heat).item() == pytest.approx(1 / (1 + 10 ** result.min_log10_nfa))


def test_original_variant_and_multi_scale_option():
    forged, noisy, region = central_clean(5)
    iwbf = NoisesnifferDetector(variant="iwbf", cell=128)
    assert iwbf.options["block"] == 5 and iwbf.options["m"] == 0.3
    heat = iwbf.predict(_tensor(forged))[0, 0].numpy()
    assert heat.max() > 0.5 and _auc(heat, region) > 0.8
    assert iwbf.predict(_tensor(noisy)).max() < 0.05
    multi = NoisesnifferDetector(scales=2)
    assert multi.analyse(np.round(np.clip(forged, 0, 255)).astype(np.int64)).detected[2, 2]
    assert multi.predict(_tensor(noisy)).max() < 0.5


# --- the contract -----------------------------------------------------------------------------------

def test_shape_range_determinism_and_tiny_images():
    det = create("detectors", "noisesniffer")
    x = torch.rand(2, 3, 37, 53)
    heat = det.predict(x)
    assert heat.shape == (2, 1, 37, 53) and heat.dtype == torch.float32
    assert heat.min() >= 0 and heat.max() <= 1
    assert torch.equal(heat, det.predict(x)) and torch.equal(det.predict(x[1:]), heat[1:])
    assert det.predict(torch.rand(1, 3, 2, 2)).shape == (1, 1, 2, 2)  # smaller than a block: no blocks, no crash
    assert det.info()["parameters"] == 0 and not det.card.trainable and "Gardella" in det.card.reference
    assert det.has_image_score and det.image_score(x, heat).shape == (2,)


def test_bad_options_name_the_option():
    for kwargs, word in [({"variant": "x"}, "variant"), ({"block": 4}, "block"), ({"cell": 2}, "cell"),
                         ({"n": 0}, "n must"), ({"m": 1}, "m must"), ({"bin_size": 0}, "bin_size"),
                         ({"scales": 9}, "scales"), ({"temperature": 0}, "temperature")]:
        with pytest.raises(ValueError, match=word):
            NoisesnifferDetector(**kwargs)


def test_evaluate_cli(tiny_layout, tmp_path: Path):
    out = tmp_path / "ns.json"
    code = main(["evaluate", "--detector", "noisesniffer", "--dataset", "provided", "--data-root", str(tiny_layout),
                 "--image-size", "native", "--opt", "cell=16", "--output", str(out), "--quiet"])
    assert code == 0
    result = json.loads(out.read_text())
    assert result["detector_info"]["options"]["cell"] == 16 and result["detector_info"]["parameters"] == 0
    assert result["metrics"]["test/fakefake"]["n_images"] == 3
