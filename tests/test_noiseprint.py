"""Noiseprint: the extractor and the blind map against the authors' own outputs, the JPEG quality
estimate on real encodes, the model choice, and the detector's options."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.io as sio
import torch
from PIL import Image
from scipy.stats import spearmanr

from inpaintbench.baselines import noiseprint_net
from inpaintbench.baselines.blind_detector import heatmap_of
from inpaintbench.baselines.blind_em import fill_invalid, to_pixels
from inpaintbench.baselines.jpeg_quality import (
    IJG_QUALITIES,
    LOSSLESS,
    estimate_quality,
    ijg_table,
    inverse_scaling,
    nearest_model,
    quality_of_tables,
)
from inpaintbench.baselines.noiseprint import NoiseprintDetector
from inpaintbench.baselines.noiseprint_net import NoiseprintNet, extract
from inpaintbench.data.imageio import jpeg_qtables
from inpaintbench.sdk.errors import CheckpointError
from inpaintbench.sdk.weights import WeightsUnavailable

from conftest import SHARED

WEIGHTS = SHARED / "weights" / "noiseprint"
REFERENCE = WEIGHTS / "reference"
KODAK = SHARED / "data" / "photos" / "kodak24"
SHIPPED = (51, 55, 60, 65, 70, 75, 80, 85, 90, 95, 100, 101)
needs_weights = pytest.mark.skipif(not (WEIGHTS / "model_qf101.pth").is_file(),
                                   reason=f"Noiseprint weights not found in {WEIGHTS} (set INPAINTBENCH_SHARED)")
needs_reference = pytest.mark.skipif(not (REFERENCE / "splicing_map.mat").is_file(),
                                     reason=f"the authors' reference outputs are not in {REFERENCE}")


def rgb(path) -> torch.Tensor:
    """An image file as the harness gives it: ``[3, H, W]`` float in [0, 1] (alpha dropped)."""
    return torch.from_numpy(np.array(Image.open(path).convert("RGB"))).permute(2, 0, 1).float() / 255


# --- against the authors' outputs -----------------------------------------------------------------

@needs_weights
@needs_reference
def test_the_residual_of_the_authors_inpainting_example_is_theirs():
    detector = NoiseprintDetector(weights=str(WEIGHTS))
    ours = detector.residual(rgb(REFERENCE / "inpainting.png"), LOSSLESS)
    theirs = sio.loadmat(REFERENCE / "inpainting_np.mat")["noiseprint"]
    assert ours.shape == theirs.shape == (512, 512)
    assert np.abs(ours - theirs).max() < 1e-3


@pytest.mark.slow
@needs_weights
@needs_reference
def test_the_blind_map_of_the_authors_splicing_example_is_theirs():
    """A 2048 x 1536 PNG: the extractor runs in the authors' slices, then the blind map."""
    detector = NoiseprintDetector(weights=str(WEIGHTS))
    image = rgb(REFERENCE / "splicing.png")
    detector.observe([{"path": "splicing.png", "jpeg_qtables": None}])
    blind = detector.blind(image)
    ref = sio.loadmat(REFERENCE / "splicing_map.mat")
    valid, centres0, centres1 = ref["valid"].astype(bool), ref["range0"].ravel(), ref["range1"].ravel()
    assert np.array_equal(blind.valid, valid)
    assert np.array_equal(blind.centres0, centres0) and np.array_equal(blind.centres1, centres1)
    assert np.corrcoef(blind.mahalanobis[valid], ref["map"][valid])[0, 1] > 0.99
    shape = tuple(int(s) for s in ref["imgsize"].ravel())
    theirs = to_pixels(fill_invalid(ref["map"], valid), centres0, centres1, shape)
    ours = to_pixels(fill_invalid(blind.mahalanobis, blind.valid), blind.centres0, blind.centres1, shape)
    assert np.corrcoef(ours.ravel(), theirs.ravel())[0, 1] > 0.99
    # the probability heatmap is a monotonic map of it: the same ranking of the pixels
    heat = heatmap_of(blind, detector.dims, detector.center, detector.temperature, shape)
    assert spearmanr(heat[::8, ::8].ravel(), theirs[::8, ::8].ravel()).statistic > 0.99
    assert detector.models_used == {LOSSLESS: 1}


@needs_weights
def test_the_network_layout_is_the_published_state_dicts():
    state = torch.load(WEIGHTS / "model_qf101.pth", weights_only=True)
    ours = NoiseprintNet().state_dict()
    assert {k: tuple(v.shape) for k, v in ours.items()} == {k: tuple(v.shape) for k, v in state.items()}


def test_large_images_go_in_slices_that_equal_one_whole_pass(monkeypatch):
    torch.manual_seed(0)
    net = NoiseprintNet().eval()
    for block in net.conv_layers:  # He initialisation: the output depends on the whole receptive field
        torch.nn.init.kaiming_normal_(block[0].weight, nonlinearity="relu")
    grey = torch.rand(1, 1, 70, 100)
    whole = extract(net, grey)
    monkeypatch.setattr(noiseprint_net, "SLICE_ABOVE_PIXELS", 1000)
    monkeypatch.setattr(noiseprint_net, "SLICE", 60)
    sliced = extract(net, grey)
    assert noiseprint_net.slice_starts(100) == [0, 60]
    assert whole.std() > 0.1
    torch.testing.assert_close(sliced, whole, atol=1e-4, rtol=1e-4)


def test_grey_input_is_bt601_luma_of_8_bit_values_over_256():
    rgb8 = torch.tensor([[[200.0]], [[100.0]], [[50.0]]])
    grey = noiseprint_net.luma((rgb8 / 255)[None])
    assert float(grey) == pytest.approx((0.299 * 200 + 0.587 * 100 + 0.114 * 50) / 256, abs=1e-6)


# --- JPEG quality and model choice ----------------------------------------------------------------

@pytest.mark.parametrize("quality", [5, 20, 49, 50, 51, 63, 75, 87, 95, 100])
def test_the_quality_of_a_pil_jpeg_is_read_back_from_its_tables(tmp_path, quality):
    array = np.random.default_rng(quality).integers(0, 256, (24, 40, 3), dtype=np.uint8)
    path = tmp_path / f"q{quality}.jpg"
    Image.fromarray(array).save(path, quality=quality)
    tables = jpeg_qtables(path)
    assert set(tables) == {0, 1} and len(tables[0]) == 64
    assert quality_of_tables(tables) == quality


def test_files_other_than_jpeg_have_no_tables(tmp_path):
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "a.png")
    assert jpeg_qtables(tmp_path / "a.png") is None
    assert jpeg_qtables(tmp_path / "missing.jpg") is None
    assert quality_of_tables(None) is None


def test_the_authors_inverse_scaling_agrees_with_libjpeg_from_quality_50():
    assert [inverse_scaling(ijg_table(q)) for q in range(50, 101)] == list(range(50, 101))
    # a table libjpeg never writes (scale 0.37, between qualities 81 and 82) gets the authors' estimate
    custom = [min(max(int(t * 0.37 + 0.5), 1), 255) for t in ijg_table(50)]
    assert tuple(custom) not in IJG_QUALITIES
    assert estimate_quality(custom) in (81, 82)
    with pytest.raises(ValueError, match="64 entries"):
        estimate_quality([1] * 63)


def test_the_nearest_available_model_is_chosen():
    assert nearest_model(None, SHIPPED) == 101
    assert [nearest_model(q, SHIPPED) for q in (100, 99, 97, 93, 92, 87, 53, 52, 30)] == \
        [100, 100, 95, 95, 90, 85, 55, 51, 51]
    assert nearest_model(92, range(51, 102)) == 92
    with pytest.raises(ValueError):
        nearest_model(90, [])


@needs_weights
def test_the_detector_chooses_its_model_from_the_file_and_records_it(tmp_path):
    array = np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    Image.fromarray(array).save(tmp_path / "a.jpg", quality=83)
    detector = NoiseprintDetector(weights=str(WEIGHTS))
    jpeg = {"path": str(tmp_path / "a.jpg"), "jpeg_qtables": jpeg_qtables(tmp_path / "a.jpg")}
    assert detector.choose(jpeg) == (85, "JPEG quality 83 from the luminance table")
    assert detector.choose({"path": "a.png", "jpeg_qtables": None})[0] == 101
    assert detector.choose(None)[0] == 101
    assert NoiseprintDetector(quality="77", weights=str(WEIGHTS)).choose(jpeg)[0] == 75
    assert sorted(detector.weights.models) == list(SHIPPED)


# --- the detector ---------------------------------------------------------------------------------

@needs_weights
def test_predict_gives_a_probability_map_at_the_input_size():
    image = rgb(KODAK / "kodim05.png")[:, :200, :232]
    detector = NoiseprintDetector(weights=str(WEIGHTS))
    heat = detector.predict(image[None])
    assert heat.shape == (1, 1, 200, 232) and heat.dtype == torch.float32
    assert torch.isfinite(heat).all() and 0 <= heat.min() and heat.max() <= 1 and heat.std() > 0
    score = detector.image_score(image[None], heat)
    assert score.shape == (1,) and float(score) == pytest.approx(float(torch.quantile(heat.flatten(), 0.99)),
                                                                 abs=1e-3)
    info = detector.info()
    assert info["models_used"] == {"101": 1} and "non-commercial" in info["weights"]["licence"]
    assert set(info["weights"]["files"]) == {f"model_qf{q}.pth" for q in SHIPPED}


def test_bad_options_are_refused_naming_the_option(tmp_path):
    with pytest.raises(ValueError, match="quality"):
        NoiseprintDetector(quality="50")
    with pytest.raises(ValueError, match="temperature"):
        NoiseprintDetector(temperature=0, weights=str(tmp_path))
    with pytest.raises(WeightsUnavailable, match="noiseprint-pytorch") as err:
        NoiseprintDetector(weights=str(tmp_path / "nowhere"))
    assert "\n" not in str(err.value) and str(tmp_path / "nowhere") in str(err.value)


def test_a_file_with_a_published_name_but_other_bytes_is_refused(tmp_path):
    (tmp_path / "model_qf101.pth").write_bytes(b"not the published weights")
    with pytest.raises(CheckpointError, match="sha256"):
        NoiseprintDetector(weights=str(tmp_path))


@needs_weights
def test_a_single_weights_file_serves_every_image(tmp_path):
    detector = NoiseprintDetector(weights=str(WEIGHTS / "model_qf90.pth"))
    jpeg = {"path": "x.jpg", "jpeg_qtables": {0: list(ijg_table(60))}}
    assert detector.choose(jpeg)[0] == 60
    assert detector.net(60) is detector.net(101)
    assert list(detector.info()["weights"]["files"]) == ["model_qf90.pth"]


def test_the_weights_listing_counts_the_models_present(tmp_path, monkeypatch):
    import hashlib

    from inpaintbench.reports.plugins import where_found
    from inpaintbench.sdk.weights import WeightsEntry, WeightsFile

    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "a.pth").write_bytes(b"a")
    entry = WeightsEntry("demo", "demo", (WeightsFile("a.pth", hashlib.sha256(b"a").hexdigest()),
                                          WeightsFile("b.pth", "0" * 64)), licence="", source="")
    monkeypatch.setenv("INPAINTBENCH_WEIGHTS", str(tmp_path))
    assert where_found(entry, WeightsUnavailable) == f"{tmp_path / 'demo'} (1 of 2 files)"
    (tmp_path / "demo" / "a.pth").unlink()
    assert where_found(entry, WeightsUnavailable).startswith("not found here")
