"""The FCN baseline: one-channel output at the input size, and offline-safe pretrained weights."""

import pytest
import torch

from inpaintbench.baselines import fcn
from inpaintbench.sdk import WeightsUnavailable
from inpaintbench.sdk import weights as hub


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    return tmp_path / "hub" / "checkpoints"


def test_output_shape_and_range(empty_cache):
    det = fcn.FCNDetector(weights="none")
    x = torch.rand(2, 3, 40, 56)
    heat = det.predict(x)
    assert heat.shape == (2, 1, 40, 56) and heat.min() >= 0 and heat.max() <= 1
    assert det.info()["parameters"] > 30_000_000 and det.weights == "none"


def test_auto_is_none_without_cache_and_uses_cached_imagenet(empty_cache):
    assert fcn.FCNDetector().weights == "none"
    from torchvision.models import resnet50

    imagenet, _ = fcn._weight_enums("resnet50")
    ref = resnet50(weights=None).state_dict()
    empty_cache.mkdir(parents=True)
    torch.save(ref, empty_cache / hub.cache_path(imagenet.url).name)
    det = fcn.FCNDetector()  # auto: picks the cached ImageNet backbone
    assert det.weights.startswith("imagenet")
    got = det.module.net.backbone.state_dict()
    assert torch.equal(got["conv1.weight"], ref["conv1.weight"])
    assert torch.equal(got["layer4.2.conv3.weight"], ref["layer4.2.conv3.weight"])


def test_asking_for_weights_offline_is_a_clear_error(empty_cache, monkeypatch):
    def offline(url, dst, progress=True):
        raise OSError("Temporary failure in name resolution")

    monkeypatch.setattr(torch.hub, "download_url_to_file", offline)
    with pytest.raises(WeightsUnavailable, match="offline.*weights=none"):
        fcn.FCNDetector(weights="imagenet")
    with pytest.raises(ValueError, match="resnet50"):
        fcn.FCNDetector(backbone="resnet18")
