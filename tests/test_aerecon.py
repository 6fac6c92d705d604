"""``aerecon``: a training-free autoencoder-reconstruction detector. On an image whose square was
re-encoded by the same autoencoder, the square scores higher than the rest and the image above
an authentic one; bad options fail clearly."""

import numpy as np
import pytest
import torch
from PIL import Image

from inpaintbench.evaluation.metrics import MetricState
from inpaintbench.sdk import registry

from conftest import SHARED

KODAK = SHARED / "data" / "photos" / "kodak24"
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not KODAK.is_dir(), reason=f"needs the Kodak photos at {KODAK}")]


def _photo(name: str, size: int = 256) -> torch.Tensor:
    """A centre crop of a textured Kodak photo (flat sky reconstructs as well as decoded pixels)."""
    with Image.open(KODAK / f"{name}.png") as im:
        arr = np.asarray(im.convert("RGB"))
    top = (arr.shape[0] - size) // 2
    left = (arr.shape[1] - size) // 2
    return torch.from_numpy(arr[top:top + size, left:left + size].copy()).permute(2, 0, 1).float().div(255)


@pytest.fixture(scope="module")
def detector():
    return registry.create("detectors", "aerecon", window="17")  # the packaged TAEF2


def test_reencoded_square_is_found_without_training(detector):
    real = torch.stack([_photo("kodim08"), _photo("kodim13")])
    decoded = detector.autoencoder.roundtrip(real)
    target = torch.zeros(2, 1, 256, 256)
    target[..., 80:176, 64:192] = 1
    fake = ((real * (1 - target) + decoded * target) * 255).round() / 255  # stored as 8-bit, as on disk
    heat = detector.predict(fake)
    assert heat.shape == (2, 1, 256, 256) and 0 <= heat.min() and heat.max() <= 1
    state = MetricState()
    state.update(heat, target)
    per = state.per_image()
    assert (per["auc"] > 0.85).all(), per["auc"]
    assert (per["iou"] > 0.3).all(), per["iou"]  # threshold 0.5 is calibrated, not arbitrary
    assert heat[target > 0].mean() > heat[target == 0].mean() + 0.2
    # the image score ranks each manipulated image above its authentic original
    assert (detector.image_score(fake, heat) > detector.image_score(real, detector.predict(real))).all()


def test_options_are_checked():
    with pytest.raises(registry.RegistryError, match="window"):
        registry.create("detectors", "aerecon", windw="9")
    with pytest.raises(ValueError, match="odd"):
        registry.create("detectors", "aerecon", window="8")
    with pytest.raises(FileNotFoundError, match="no-such-folder"):
        registry.create("detectors", "aerecon", autoencoder="/no-such-folder/x")


def test_info_records_the_autoencoders_weights_entry_and_sha256():
    from inpaintbench.sdk.autoencoders import AUTOENCODERS
    from inpaintbench.sdk.weights import file_sha256

    record = registry.create("detectors", "aerecon").info()["weights_entry"]
    paths = AUTOENCODERS["taef2"].resolve()
    assert record["entry"] == "taef2" and record["licence"].startswith("MIT")
    assert record["files"] == {name: file_sha256(path) for name, path in paths.items()}
