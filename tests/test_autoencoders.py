"""Latent autoencoders: the TAEF2 loader reconstructs real photos; diffusers VAEs load from a
local folder; odd sizes round-trip; bad inputs give clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from inpaintbench.sdk.autoencoders import TinyAutoencoder, load_autoencoder, packaged_autoencoder

from conftest import SHARED

KODAK = SHARED / "data" / "photos" / "kodak24"


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(10 * torch.log10(1 / ((a - b) ** 2).mean()))


@pytest.fixture(scope="module")
def taef2():
    return load_autoencoder()  # nothing configured: the packaged TAEF2


def kodak_crops(names, size):
    from PIL import Image

    crops = []
    for name in names:
        im = np.asarray(Image.open(KODAK / name).convert("RGB"))
        top, left = (im.shape[0] - size) // 2, (im.shape[1] - size) // 2
        crops.append(im[top:top + size, left:left + size])
    return torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2).float().div(255)


@pytest.mark.slow
@pytest.mark.skipif(not KODAK.is_dir(), reason=f"Kodak photos not found at {KODAK}")
def test_taef2_reconstructs_kodak_crops(taef2):
    x = kodak_crops(["kodim03.png", "kodim08.png", "kodim15.png", "kodim21.png"], 192)
    y = taef2.roundtrip(x)
    assert y.shape == x.shape and y.min() >= 0 and y.max() <= 1
    scores = [psnr(a, b) for a, b in zip(x, y)]
    print("TAEF2 PSNR on Kodak crops:", [round(s, 2) for s in scores], "mean", round(float(np.mean(scores)), 2))
    assert np.mean(scores) >= 24.0 and min(scores) >= 21.0
    # a wrong architecture (e.g. the pool branch dropped) reconstructs far worse: the test can fail
    broken = TinyAutoencoder(packaged_autoencoder())
    for block in broken.decoder:
        if getattr(block, "pool", None) is not None:
            block.pool = None
    assert psnr(x, broken.roundtrip(x)) < np.mean(scores) - 3
    info = taef2.describe()
    assert info["name"] == "taef2" and info["latent_channels"] == 32 and info["downsampling"] == 8


def test_taef2_is_packaged_with_its_licence_and_loads_by_name(taef2):
    folder = packaged_autoencoder()
    assert folder.parent.name == "weights" and folder.parents[1].name == "data"
    assert {p.name for p in folder.iterdir()} >= {"taef2_encoder.pth", "taef2_decoder.pth", "LICENSE", "README.md"}
    assert "MIT License" in (folder / "LICENSE").read_text() and "Ollin Boer Bohan" in (folder / "LICENSE").read_text()
    assert taef2.packaged and Path(taef2.source) == folder and taef2.label == "taef2 (packaged with inpaintbench)"
    assert load_autoencoder("taef2").source == str(folder) and load_autoencoder("taef2").packaged
    shared = SHARED / "weights" / "taef2"
    if shared.is_dir():  # the packaged files are the published ones, unchanged
        for name in ("taef2_encoder.pth", "taef2_decoder.pth", "LICENSE"):
            assert (folder / name).read_bytes() == (shared / name).read_bytes(), name


@pytest.mark.skipif(not KODAK.is_dir(), reason=f"Kodak photos not found at {KODAK}")
def test_packaged_taef2_psnr_on_two_kodak_crops_is_in_the_expected_range(taef2):
    x = kodak_crops(["kodim15.png", "kodim21.png"], 256)  # 29.9 and 27.2 dB when measured
    scores = [psnr(a, b) for a, b in zip(x, taef2.roundtrip(x))]
    assert all(24.0 <= s <= 33.0 for s in scores), scores  # ../shared/README: roughly 24-33 dB on Kodak


@pytest.mark.skipif(not KODAK.is_dir(), reason=f"Kodak photos not found at {KODAK}")
def test_sizes_not_multiple_of_8_are_padded_and_cropped(taef2):
    x = kodak_crops(["kodim05.png"], 100)[:, :, :, :77]
    y = taef2.roundtrip(x)
    assert y.shape == (1, 3, 100, 77)
    assert psnr(x, y) > 20


def test_diffusers_autoencoderkl_from_local_folders(tmp_path):
    from diffusers import AutoencoderKL

    torch.manual_seed(0)
    vae = AutoencoderKL(block_out_channels=(8, 16), down_block_types=("DownEncoderBlock2D",) * 2,
                        up_block_types=("UpDecoderBlock2D",) * 2, latent_channels=4, norm_num_groups=8)
    vae.save_pretrained(tmp_path / "vae_only")
    vae.save_pretrained(tmp_path / "pipeline" / "vae")
    x = torch.rand(2, 3, 30, 21)
    outputs = []
    for folder in ("vae_only", "pipeline"):
        ae = load_autoencoder(str(tmp_path / folder))
        y = ae.roundtrip(x)
        assert y.shape == x.shape and 0 <= float(y.min()) and float(y.max()) <= 1
        assert ae.describe()["downsampling"] == 2 and ae.describe()["class"] == "DiffusersAutoencoder"
        outputs.append(y)
    assert torch.equal(outputs[0], outputs[1])  # deterministic: the latent mode, no sampling


def test_clear_errors(tmp_path, monkeypatch):
    import huggingface_hub.constants

    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="empty.*neither TAESD-family"):
        load_autoencoder(str(tmp_path / "empty"))
    with pytest.raises(FileNotFoundError, match="not an autoencoder folder"):
        load_autoencoder(str(tmp_path / "missing" / "dir"))
    bad = tmp_path / "bad"
    bad.mkdir()
    torch.save({"0.weight": torch.zeros(1)}, bad / "x_encoder.pth")
    with pytest.raises(FileNotFoundError, match="x_decoder.pth"):
        load_autoencoder(str(bad))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(RuntimeError, match="nobody/no-such-vae.*hub id.*offline"):
        load_autoencoder("nobody/no-such-vae")
