"""Adaptive CFA Net (detector ``adaptive-cfa``): the authors' weights, numbers from the authors' own code,
and constructed mosaics with known grids."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from sklearn.metrics import roc_auc_score

from inpaintbench.baselines.adaptive_cfa import (
    VARIANTS,
    AdaptiveCFADetector,
    block_grid_probabilities,
    blocks_to_pixels,
)
from inpaintbench.sdk import weights as sdk_weights
from inpaintbench.sdk.errors import CheckpointError, UserError
from inpaintbench.sdk.weights import WeightsUnavailable

from conftest import SHARED

WEIGHTS = SHARED / "weights" / "adaptive-cfa"
KODAK = SHARED / "data" / "photos" / "kodak24"

pytestmark = pytest.mark.skipif(not (WEIGHTS / "pretrained.pt").is_file() or not KODAK.is_dir(),
                                reason=f"Adaptive CFA weights or Kodak photos absent under {SHARED}")


@pytest.fixture(autouse=True)
def shared_weights(monkeypatch):
    monkeypatch.setenv("INPAINTBENCH_WEIGHTS", str(SHARED / "weights"))


@pytest.fixture(scope="module")
def detector() -> AdaptiveCFADetector:
    torch.set_num_threads(2)
    return AdaptiveCFADetector(weights=str(WEIGHTS / "pretrained.pt"))


def kodak(index: int) -> torch.Tensor:
    """A Kodak photo ``[1, 3, H, W]`` in [0, 1]."""
    rgb = np.asarray(Image.open(KODAK / f"kodim{index:02d}.png").convert("RGB"), dtype=np.float32) / 255
    return torch.from_numpy(rgb).permute(2, 0, 1)[None]


def bilinear_demosaic(image: torch.Tensor, oy: int, ox: int) -> torch.Tensor:
    """Sample ``image`` through an RGGB Bayer filter whose red pixel is at (``oy``, ``ox``) mod 2,
    interpolate the missing colours bilinearly, quantise to 8 bits."""
    h, w = image.shape[-2:]
    yy, xx = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    red = ((yy - oy) % 2 == 0) & ((xx - ox) % 2 == 0)
    blue = ((yy - oy) % 2 == 1) & ((xx - ox) % 2 == 1)
    sampled = image * torch.stack([red, ~(red | blue), blue]).float()
    k_rb = torch.tensor([[1.0, 2, 1], [2, 4, 2], [1, 2, 1]]) / 4
    k_g = torch.tensor([[0.0, 1, 0], [1, 4, 1], [0, 1, 0]]) / 4
    kernels = torch.stack([k_rb, k_g, k_rb])[:, None]
    out = F.conv2d(F.pad(sampled, (1, 1, 1, 1), mode="reflect"), kernels, groups=3)
    return torch.round(out.clamp(0, 1) * 255) / 255


def traceless(index: int) -> torch.Tensor:
    """A Kodak photo halved by 2x2 means: 250 x 250, its own demosaicing traces averaged away."""
    return F.avg_pool2d(kodak(index), 2)


def test_network_reproduces_the_authors_code_number_by_number():
    """Grid probabilities and forgery map of the j95 weights on kodim01[100:172, 200:272], as computed
    with the authors' structure.py and detect_forgeries.py post-processing (commit 310ceeb)."""
    expected = torch.tensor([[[0.299465, 0.859131], [0.338277, 0.467167]],
                             [[0.580631, 0.128034], [0.557295, 0.205349]],
                             [[0.007539, 0.008526], [0.054013, 0.300331]],
                             [[0.112365, 0.004308], [0.050415, 0.027153]]])
    det = AdaptiveCFADetector(variant="j95")
    found = det.analyse(kodak(1)[..., 100:172, 200:272])[0]
    assert (found.probabilities - expected).abs().max() < 2e-6
    assert found.grid == 0
    assert torch.allclose(found.blocks, torch.tensor([[0.580631, 0.0], [0.557295, 0.0]]), atol=2e-6)


def test_the_image_grid_is_the_mosaic_offset(detector):
    base = traceless(5)
    for oy in (0, 1):
        for ox in (0, 1):
            analysis = detector.analyse(bilinear_demosaic(base, oy, ox))[0]
            assert analysis.grid == 2 * oy + ox
            assert analysis.blocks.max() == 0  # every block agrees with the image's grid


@pytest.mark.parametrize("index", [1, 13])
def test_a_region_demosaiced_on_a_shifted_grid_is_flagged(detector, index):
    base = traceless(index)
    mask = torch.zeros(250, 250, dtype=torch.bool)
    mask[68:164, 100:196] = True
    image = torch.where(mask, bilinear_demosaic(base, 0, 1), bilinear_demosaic(base, 0, 0))
    heat = detector.predict(image)[0, 0]
    assert heat.shape == (250, 250) and 0 <= heat.min() and heat.max() <= 1
    assert roc_auc_score(mask.flatten().numpy(), heat.flatten().numpy()) > 0.95
    assert heat[mask].mean() > 0.8 and heat[~mask].mean() < 0.1


def test_the_variants_load_and_differ():
    image = traceless(5)[..., :104, :104]
    image = torch.where(torch.arange(104)[:, None] < 52, bilinear_demosaic(image, 0, 0), bilinear_demosaic(image, 1, 1))
    nets = {v: AdaptiveCFADetector(variant=v) for v in VARIANTS}
    probs = {v: d.analyse(image)[0].probabilities for v, d in nets.items()}
    for a, b in (("pretrained", "j95"), ("pretrained", "nojpeg"), ("j95", "nojpeg")):
        assert (probs[a] - probs[b]).abs().max() > 1e-3
        assert nets[a].info()["weights"]["files"] != nets[b].info()["weights"]["files"]
    record = nets["j95"].info()["weights"]
    assert record["entry"] == "adaptive-cfa-j95" and not record["explicit"]
    assert record["files"] == {"adapted_to_j95_database.pt": VARIANTS["j95"].files[0].sha256}
    assert "research evaluation only" in record["restriction"]


def test_tiles_give_the_same_blocks(detector):
    image = bilinear_demosaic(traceless(8), 0, 0)[..., :200, :170]
    whole = block_grid_probabilities(detector.net, image, 32, tile=100)
    tiled = block_grid_probabilities(detector.net, image, 32, tile=2)
    assert whole.shape == (1, 4, 6, 5)
    assert (whole - tiled).abs().max() < 1e-5


def test_blocks_map_to_their_pixels_and_the_nearest_block_fills_the_rest():
    blocks = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
    pixels = blocks_to_pixels(blocks, 75, 71, 32)
    assert pixels.shape == (75, 71)
    assert pixels[0, 0] == 0 and pixels[35, 35] == 0       # block (0, 0): pixels 4..35, and the margin
    assert pixels[35, 36] == 1 and pixels[36, 35] == 2     # block (1, *) and (*, 1) start at pixel 36
    assert pixels[74, 70] == 3                             # the 3 px beyond the last block: nearest block
    assert blocks_to_pixels(torch.zeros(0, 3), 30, 120, 32).abs().sum() == 0


def test_odd_and_tiny_images(detector):
    image = bilinear_demosaic(traceless(3), 0, 0)[..., :111, :97]
    assert detector.predict(image).shape == (1, 1, 111, 97)
    tiny = detector.predict(torch.rand(2, 3, 39, 64))      # no full block fits in 39 rows
    assert tiny.shape == (2, 1, 39, 64) and tiny.abs().sum() == 0


def test_soft_map_is_one_minus_the_image_grid_probability():
    image = bilinear_demosaic(traceless(5), 0, 0)[..., :104, :104]
    analysis = AdaptiveCFADetector(map="soft").analyse(image)[0]
    assert torch.allclose(analysis.blocks, 1 - analysis.probabilities[analysis.grid])


def test_own_weights_file_is_used_and_recorded(tmp_path):
    path = tmp_path / "mine.pt"
    shutil.copyfile(WEIGHTS / VARIANTS["nojpeg"].files[0].name, path)
    image = bilinear_demosaic(traceless(5), 0, 0)[..., :72, :72]
    mine, ref = AdaptiveCFADetector(weights=str(path)), AdaptiveCFADetector(variant="nojpeg")
    assert torch.equal(mine.analyse(image)[0].probabilities, ref.analyse(image)[0].probabilities)
    assert mine.info()["weights"]["files"] == {"mine.pt": VARIANTS["nojpeg"].files[0].sha256}
    assert mine.info()["weights"]["explicit"]
    state = torch.load(path, weights_only=True)
    state["auxiliary.0.conv1.h1.bias"] = state["auxiliary.0.conv1.h1.bias"] + 1
    torch.save(state, path)
    with pytest.raises(UserError, match="differs from spatial.conv1.h1.bias"):
        AdaptiveCFADetector(weights=str(path))


def test_missing_weights_name_where_they_were_looked_for_and_where_they_are_published(monkeypatch, tmp_path):
    monkeypatch.setenv("INPAINTBENCH_WEIGHTS", str(tmp_path))
    monkeypatch.setattr(sdk_weights, "shared_roots", lambda: [])
    with pytest.raises(WeightsUnavailable) as info:
        AdaptiveCFADetector(variant="j95")
    message = str(info.value)
    assert "\n" not in message and str(tmp_path / "adaptive-cfa") in message
    assert "adapted_to_j95_database.pt" in message and "qbammey/adaptive_cfa_forensics" in message
    with pytest.raises(WeightsUnavailable, match="/nowhere/x.pt: weights file or folder not found"):
        AdaptiveCFADetector(weights="/nowhere/x.pt")


def test_a_published_name_with_other_contents_is_refused(monkeypatch, tmp_path):
    (tmp_path / "adaptive-cfa").mkdir()
    shutil.copyfile(WEIGHTS / VARIANTS["j95"].files[0].name, tmp_path / "adaptive-cfa" / "pretrained.pt")
    monkeypatch.setenv("INPAINTBENCH_WEIGHTS", str(tmp_path))
    with pytest.raises(CheckpointError, match="sha256"):
        AdaptiveCFADetector()


@pytest.mark.parametrize("options", [{"variant": "j90"}, {"map": "hard"}, {"block": 31}, {"tile": 0}])
def test_bad_options_are_refused(options):
    with pytest.raises(ValueError, match=next(iter(options))):
        AdaptiveCFADetector(**options)
