"""ZERO (detector ``zero``): JPEG grid votes and a-contrario decisions on constructed JPEGs with known
grids, and the authors' own numbers."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image, ImageFilter
from scipy.fft import dctn
from sklearn.metrics import roc_auc_score

from inpaintbench.baselines.zero import ZeroDetector
from inpaintbench.baselines.zero_regions import log_nfa, log_nt, min_region_size, regularise
from inpaintbench.baselines.zero_votes import grid_votes, luminance, zero_counts

from conftest import SHARED

KODAK = SHARED / "data" / "photos" / "kodak24"
needs_kodak = pytest.mark.skipif(not KODAK.is_dir(), reason=f"Kodak photos absent under {SHARED}")


def photo(index: int) -> np.ndarray:
    return np.array(Image.open(KODAK / f"kodim{index:02d}.png").convert("RGB"))


def jpeg(rgb: np.ndarray, quality: int = 80) -> np.ndarray:
    """``rgb`` through PIL's JPEG encoder and decoder (grid origin at the top-left pixel)."""
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=quality)
    return np.array(Image.open(buf).convert("RGB"))


def tensor(rgb: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1)[None].float() / 255


def grid_id(x: int, y: int) -> int:
    return x % 8 + 8 * (y % 8)


@pytest.fixture(scope="module")
def detector() -> ZeroDetector:
    torch.set_num_threads(2)
    return ZeroDetector()


def test_log_nfa_reproduces_the_authors_program():
    """The regions the authors' program reports on its test images tampered1.png (50x66 box, 1977 votes)
    and tampered2.png (72x44 box, 2313 votes), both 512 x 512: log(nfa) = -25.8163 and -39.2402."""
    lnt = log_nt(512, 512)
    assert log_nfa(50 * 66 // 64, 1977 // 64, lnt) == pytest.approx(-25.8163, abs=1e-4)
    assert log_nfa(72 * 44 // 64, 2313 // 64, lnt) == pytest.approx(-39.2402, abs=1e-4)
    assert log_nfa(4096, 0, lnt) == lnt
    assert -1e5 < log_nfa(4096, 4000, lnt) < -6000  # far in the tail: finite, no underflow
    assert min_region_size(lnt) == 512


def test_dct_zeros_follow_the_definition_and_ties_at_half_are_not_zeros():
    """Every 8x8 window against scipy's orthonormal DCT-II; a pixel raised by 4 on a flat block makes the
    coefficients (0, 4), (4, 0) and (4, 4) exactly 0.5, which are not zeros."""
    img = np.random.default_rng(0).integers(0, 4, (20, 23)).astype(np.float64)
    got = zero_counts(torch.from_numpy(img))
    assert got.shape == (13, 16)
    for y in range(13):
        for x in range(16):
            c = np.abs(dctn(img[y:y + 8, x:x + 8], norm="ortho")) < 0.5 - 1e-9
            assert got[y, x] == c.sum() - c[0, 0]
    block = np.full((8, 8), 100.0)
    block[0, 0] += 4
    a = np.array([1 / np.sqrt(2)] + [np.cos(k * np.pi / 16) for k in range(1, 8)])
    products = np.outer(a, a)  # the impulse's coefficients
    products[0, 0] = np.inf
    assert np.isclose(products, 0.5).sum() == 3
    assert zero_counts(torch.from_numpy(block)).item() == (products < 0.5 - 1e-9).sum()


def test_votes_avoid_the_border_and_flat_images():
    lum = luminance(torch.from_numpy(jpeg(photo(1))[:64, :80]).permute(2, 0, 1).double()) if KODAK.is_dir() \
        else torch.randint(0, 256, (64, 80)).double()
    votes = grid_votes(lum)
    assert votes.shape == (64, 80)
    assert votes[:7].max() == -1 and votes[-7:].max() == -1 and votes[:, :7].max() == -1 and votes[:, -7:].max() == -1
    assert grid_votes(torch.full((40, 40), 7.0, dtype=torch.float64)).max() == -1  # constant: no votes
    assert grid_votes(torch.rand(14, 50, dtype=torch.float64)).max() == -1         # no interior pixel


@needs_kodak
@pytest.mark.parametrize("dy,dx", [(0, 0), (0, 1), (5, 3), (7, 7), (2, 6)])
def test_the_main_grid_of_a_crop_is_its_offset(detector, dy, dx):
    image = jpeg(photo(3))[dy:dy + 320, dx:dx + 288]
    assert detector.analyse(tensor(image)[0]).main_grid == grid_id(-dx, -dy)


@needs_kodak
@pytest.mark.parametrize("index", [1, 3, 13])
def test_an_unmodified_jpeg_gives_no_detection(detector, index):
    for image in (jpeg(photo(index)), jpeg(photo(index))[3:, 6:]):
        heat = detector.predict(tensor(image))
        assert heat.abs().sum() == 0
        assert detector.image_score(tensor(image), heat).item() < 0.5
        assert not any(r.meaningful for r in detector.analyse(tensor(image)[0]).regions)


@needs_kodak
@pytest.mark.parametrize("host,donor", [(1, 5), (13, 19)])
def test_a_region_from_a_jpeg_on_a_shifted_grid_is_localized(detector, host, donor):
    composite, donor_jpeg = jpeg(photo(host)), jpeg(photo(donor))
    mask = np.zeros(composite.shape[:2], dtype=bool)
    mask[160:288, 200:328] = True
    composite[160:288, 200:328] = donor_jpeg[155:283, 197:325]  # donor grid moved by (x, y) = (3, 5)
    analysis = detector.analyse(tensor(composite)[0])
    assert analysis.main_grid == 0
    found = [r for r in analysis.foreign if r.meaningful]
    assert [r.grid for r in found] == [grid_id(3, 5)]
    assert 190 <= found[0].x0 and found[0].x1 <= 330 and 150 <= found[0].y0 and found[0].y1 <= 290
    heat = detector.predict(tensor(composite))[0, 0].numpy()
    assert roc_auc_score(mask.ravel(), heat.ravel()) > 0.9
    assert heat[mask].mean() > 0.8 and heat[~mask].mean() < 0.01
    assert detector.image_score(tensor(composite), None).item() > 0.99


@needs_kodak
def test_a_region_without_a_jpeg_grid_is_found_by_the_round_trip(detector):
    host = jpeg(photo(1))[5:485, 3:483]  # main grid (5, 3) -> origin (x, y) = (5, 3)
    donor = np.asarray(Image.fromarray(photo(5)).filter(ImageFilter.GaussianBlur(0.7)))[:480, :480]
    mask = np.zeros(host.shape[:2], dtype=bool)
    mask[100:300, 150:350] = True
    composite = np.where(mask[..., None], donor, host)
    analysis = detector.analyse(tensor(composite)[0])
    assert analysis.main_grid == grid_id(5, 3)
    assert any(r.meaningful for r in analysis.missing) and not any(r.meaningful for r in analysis.foreign)
    heat = detector.predict(tensor(composite))[0, 0].numpy()
    # the round trip's votes are sparse: about two thirds of the region is covered, almost nothing outside
    assert roc_auc_score(mask.ravel(), heat.ravel()) > 0.75
    assert heat[mask].mean() > 0.5 and heat[~mask].mean() < 0.01
    never = ZeroDetector(missing="never").analyse(tensor(composite)[0])
    assert never.missing == [] and never.mask.sum() == 0


@needs_kodak
def test_the_round_trip_is_skipped_on_grid_zero_unless_asked(detector):
    image = tensor(jpeg(photo(3)))[0]
    assert detector.analyse(image).missing == []
    assert ZeroDetector(missing="always").analyse(image).missing  # candidates were examined


@needs_kodak
def test_a_non_jpeg_image_gives_an_all_zero_map(detector):
    image = tensor(photo(1))
    analysis = detector.analyse(image[0])
    assert analysis.main_grid == -1 and analysis.regions == []
    heat = detector.predict(image)
    assert heat.shape == (1, 1, 500, 500) and heat.abs().sum() == 0
    assert detector.image_score(image, heat).item() == 0
    searched = ZeroDetector(no_grid="search").analyse(image[0])
    assert searched.mask.sum() == 0 and not any(r.meaningful for r in searched.regions)


def test_regularisation_closes_gaps_away_from_the_border():
    mask = np.zeros((80, 80), dtype=bool)
    mask[30:50, 20:35] = True
    mask[30:50, 45:60] = True  # a 10-pixel gap: closed by the 19-pixel square
    closed = regularise(mask)
    assert closed[30:50, 20:60].all() and not closed[:25].any()
    assert not regularise(np.pad(np.ones((5, 5), bool), ((0, 75), (0, 75)))).any()  # centres within 9 px of the border


@pytest.mark.parametrize("options", [{"missing": "yes"}, {"no_grid": "ignore"}])
def test_bad_options_are_refused(options):
    with pytest.raises(ValueError, match=next(iter(options))):
        ZeroDetector(**options)
