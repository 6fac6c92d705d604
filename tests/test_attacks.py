"""Attacks change images as their parameters say; specs parse, compose, repeat and fail clearly."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from inpaintbench.attacks.blur import GaussianBlur
from inpaintbench.attacks.crop import Crop
from inpaintbench.attacks.jpeg import JPEG
from inpaintbench.attacks.noise import GaussianNoise
from inpaintbench.attacks.resize import Resize
from inpaintbench.attacks.webp import WebP
from inpaintbench.evaluation._attack_spec import parse_chain
from inpaintbench.sdk import AttackOptionError
from inpaintbench.sdk.contracts import Sample

ROOT = Path(__file__).resolve().parents[1]
TAEF2 = ROOT / ".." / "shared" / "weights" / "taef2"


def textured(h: int = 96, w: int = 128, seed: int = 0) -> np.ndarray:
    """A photo-like test image: smooth colour field, edges and fine texture."""
    from scipy.ndimage import gaussian_filter

    rng = np.random.default_rng(seed)
    smooth = gaussian_filter(rng.normal(0, 1, (h, w, 3)), sigma=(6, 6, 0))
    smooth = (smooth - smooth.min()) / (smooth.max() - smooth.min()) * 180 + 30
    smooth[h // 3: 2 * h // 3, w // 4: w // 2] += 40
    fine = rng.normal(0, 6, (h, w, 3))
    return np.clip(smooth + fine, 0, 255).astype(np.uint8)


def block_mask(h: int = 96, w: int = 128) -> np.ndarray:
    mask = np.zeros((h, w), np.uint8)
    mask[16:48, 32:96] = 255
    mask[48:64, 32:40] = 128
    return mask


def sample(h: int = 96, w: int = 128) -> Sample:
    return Sample("s1", "test", "realfake", textured(h, w), block_mask(h, w))


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(float) - b.astype(float)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255**2 / mse)


def high_freq_energy(image: np.ndarray) -> float:
    grey = image.astype(float).mean(2)
    spec = np.abs(np.fft.fft2(grey - grey.mean())) ** 2
    fy = np.abs(np.fft.fftfreq(grey.shape[0]))[:, None]
    fx = np.abs(np.fft.fftfreq(grey.shape[1]))[None, :]
    return float(spec[np.maximum(fy, fx) > 0.2].sum())


rng0 = np.random.default_rng


# --- codecs ------------------------------------------------------------------------------------

@pytest.mark.parametrize("codec", [JPEG, WebP])
def test_codec_file_size_and_fidelity_fall_with_quality(codec):
    image = textured()
    qualities = [95, 80, 60, 40, 20]
    sizes = [len(codec(quality=q).encode(image)) for q in qualities]
    assert sizes == sorted(sizes, reverse=True) and len(set(sizes)) == len(sizes), sizes
    fidelity = [psnr(image, codec(quality=q).apply(image, block_mask(), rng0(0))[0]) for q in qualities]
    assert fidelity == sorted(fidelity, reverse=True), fidelity
    assert 20 < fidelity[-1] < fidelity[0] < 60


def test_jpeg_is_a_real_jpeg_encode():
    data = JPEG(quality=70).encode(textured())
    assert data[:3] == b"\xff\xd8\xff"
    assert WebP(quality=70).encode(textured())[8:15] == b"WEBPVP8"  # lossy VP8, not VP8L


# --- resize --------------------------------------------------------------------------------------

def test_resize_down_and_back_keeps_size_and_mask_but_loses_detail():
    s = sample()
    out = Resize(scale=0.5)(s, rng0(0))
    assert out.image.shape == s.image.shape
    np.testing.assert_array_equal(out.mask, s.mask)
    assert not Resize(scale=0.5).geometric
    assert high_freq_energy(out.image) < 0.5 * high_freq_energy(s.image)
    assert psnr(s.image, Resize(scale=0.75)(s, rng0(0)).image) > psnr(s.image, out.image)


@pytest.mark.parametrize("scale", [0.5, 0.25, 1.5])
def test_resize_kept_size_maps_mask_nearest_and_consistently(scale):
    h, w = 96, 128
    mask = block_mask(h, w)
    # the image shows the mask itself, so image and mask must still agree after the attack
    image = np.repeat(np.where(mask == 255, 250, 5).astype(np.uint8)[..., None], 3, 2)
    s = Sample("m", "test", "realfake", image, mask)
    attack = Resize(scale=scale, keep_new_size=True)
    out = attack(s, rng0(0))
    nh, nw = round(h * scale), round(w * scale)
    assert out.image.shape == (nh, nw, 3) and out.mask.shape == (nh, nw)
    assert set(np.unique(out.mask)) <= set(np.unique(mask))  # nearest-neighbour: no new mask values
    # each output pixel takes the mask value at the source pixel its centre falls in
    ys = np.minimum(((np.arange(nh) + 0.5) / scale).astype(int), h - 1)
    xs = np.minimum(((np.arange(nw) + 0.5) / scale).astype(int), w - 1)
    np.testing.assert_array_equal(out.mask, mask[np.ix_(ys, xs)])
    grey = out.image.mean(2)
    inner = (out.mask == 255)
    assert grey[inner].mean() > 200 and grey[out.mask == 0].mean() < 60
    assert attack.geometric and "nearest" in attack.describe()
    assert out.meta["attacks"] == [attack.spec]
    assert out.meta["mask_mapping"] == [f"{attack.spec}: {w}x{h} -> {nw}x{nh}, nearest-neighbour"]


# --- noise and blur --------------------------------------------------------------------------------

@pytest.mark.parametrize("std", [2.0, 5.0, 10.0])
def test_noise_std_measured_back_within_ten_percent(std):
    image = np.full((128, 128, 3), 128, np.uint8)
    s = Sample("g", "test", "realfake", image, np.zeros((128, 128), np.uint8))
    out = GaussianNoise(std=std)(s, rng0(3))
    diff = out.image.astype(float) - image
    assert abs(diff.std() - std) <= 0.1 * std
    assert abs(diff.mean()) < 0.1 * std
    np.testing.assert_array_equal(out.mask, s.mask)


def test_blur_reduces_high_frequency_energy_monotonically_in_sigma():
    image = textured()
    energies = [high_freq_energy(image)]
    for sigma in (0.5, 1.0, 2.0, 4.0):
        energies.append(high_freq_energy(GaussianBlur(sigma=sigma).apply(image, block_mask(), rng0(0))[0]))
    assert all(a > b for a, b in zip(energies, energies[1:])), energies
    # a true Gaussian preserves the mean (reflect borders) and leaves a flat image flat
    flat = np.full((32, 32, 3), 77, np.uint8)
    np.testing.assert_array_equal(GaussianBlur(sigma=2).apply(flat, flat[..., 0], rng0(0))[0], flat)


# --- crop -----------------------------------------------------------------------------------------

def test_crop_cuts_the_fraction_and_the_mask_with_the_same_window():
    s = sample()
    out = Crop(fraction=0.25)(s, rng0(0))
    assert out.image.shape == (72, 96, 3)
    np.testing.assert_array_equal(out.image, s.image[12:84, 16:112])
    np.testing.assert_array_equal(out.mask, s.mask[12:84, 16:112])
    a = Crop(fraction=0.25, position="random")(s, rng0(1))
    b = Crop(fraction=0.25, position="random")(s, rng0(1))
    np.testing.assert_array_equal(a.image, b.image)
    # the random window is consistent between image and mask: find it from the image
    found = [(t, left) for t in range(25) for left in range(33)
             if np.array_equal(s.image[t:t + 72, left:left + 96], a.image)]
    assert len(found) == 1
    t, left = found[0]
    np.testing.assert_array_equal(a.mask, s.mask[t:t + 72, left:left + 96])


# --- chains, seeds, specs ------------------------------------------------------------------------

def test_chains_compose_left_to_right_and_order_matters():
    s = sample()
    chain = parse_chain("jpeg:quality=50+resize:scale=0.5,keep_new_size=true")
    by_hand = Resize(scale=0.5, keep_new_size=True)(JPEG(quality=50)(s, rng0(0)), rng0(0))
    out = chain(s, rng0(0))
    np.testing.assert_array_equal(out.image, by_hand.image)
    np.testing.assert_array_equal(out.mask, by_hand.mask)
    assert out.meta["attacks"] == ["jpeg:quality=50", "resize:scale=0.5,keep_new_size=true"]
    assert chain.geometric and chain.family == "jpeg+resize"
    reverse = parse_chain("resize:scale=0.5,keep_new_size=true+jpeg:quality=50")(s, rng0(0))
    assert reverse.image.shape == out.image.shape and not np.array_equal(reverse.image, out.image)
    nb = parse_chain("gaussian_noise:std=10+gaussian_blur:sigma=2")(s, rng0(0)).image
    bn = parse_chain("gaussian_blur:sigma=2+gaussian_noise:std=10")(s, rng0(0)).image
    assert high_freq_energy(nb) < 0.5 * high_freq_energy(bn)  # blur last removes the noise


def test_same_seed_repeats_exactly_through_the_data_pipeline(tmp_path):
    from inpaintbench.data.imageio import write_webp
    from inpaintbench.data.layout import LayoutDataset
    from inpaintbench.evaluation._tensors import SampleTensors
    from inpaintbench.evaluation.protocol import Protocol

    for i in range(3):
        write_webp(tmp_path / "test" / f"im{i}.realfake.webp", textured(48, 64, seed=i))
        write_webp(tmp_path / "test" / f"im{i}.mask.webp", block_mask(48, 64))
    ds = LayoutDataset(tmp_path)
    chain = parse_chain("gaussian_noise:std=8+crop:fraction=0.2,position=random+jpeg:quality=70")

    def run(seed):
        tensors = SampleTensors(ds, ds.records("test/realfake"), Protocol(32, attack=chain), seed=seed)
        return [tensors[i]["image"].numpy() for i in range(len(tensors))]

    first, again, other = run(5), run(5), run(6)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, c) for a, c in zip(first, other))
    # reversed order gives the same result too: the seed is per sample, not per position
    tensors = SampleTensors(ds, ds.records("test/realfake")[::-1], Protocol(32, attack=chain), seed=5)
    np.testing.assert_array_equal(tensors[2]["image"].numpy(), first[0])


def test_direct_construction_validates_too():
    with pytest.raises(AttackOptionError, match="0 <= std <= 128"):
        GaussianNoise(std=300)
    with pytest.raises(AttackOptionError, match="center, random, top_left"):
        Crop(position="middle")


def test_attacks_do_not_import_the_harness_or_cli():
    for path in (ROOT / "attacks").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                assert not any(part in name.split(".") for part in ("harness", "cli", "stress", "training")), \
                    f"{path.name} imports {name}"


@pytest.mark.skipif(not (TAEF2 / "taef2_encoder.pth").exists(), reason=f"TAEF2 weights absent at {TAEF2}")
def test_reencode_round_trips_the_whole_image():
    s = sample(90, 124)  # not a multiple of 8: padded and cropped back
    attack = parse_chain(f"reencode:weights={TAEF2}")
    out = attack(s, rng0(0))
    assert out.image.shape == s.image.shape
    np.testing.assert_array_equal(out.mask, s.mask)
    changed = np.abs(out.image.astype(int) - s.image).max(2) > 2
    assert changed[s.mask == 0].mean() > 0.3  # the authentic part is regenerated too
    assert 18 < psnr(s.image, out.image) < 45
    assert attack.spec == f"reencode:weights={TAEF2}"
