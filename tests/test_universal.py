"""Universal training data: changes only inside the soft mask, deterministic, and each operation
moves the noise statistics inside the mask the intended way."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from inpaintbench.baselines.srm import NoiseResidual
from inpaintbench.data.generation.generators import blend
from inpaintbench.data.generation.universal import UniversalDataset, UniversalTransform, photos_in_folder
from inpaintbench.data.imageio import DataError
from inpaintbench.evaluation._tensors import SampleTensors
from inpaintbench.evaluation.protocol import Protocol
from inpaintbench.sdk.contracts import Sample
from inpaintbench.sdk.registry import RegistryError, create
from inpaintbench.training.trainer import TrainConfig, load_checkpoint, train

from conftest import SHARED


def box_mask(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """A local stand-in mask generator: a random box with a 3-px soft ramp at its border."""
    h, w = height // 2, width // 2
    y, x = int(rng.integers(4, height - h - 4)), int(rng.integers(4, width - w - 4))
    soft = np.zeros((height, width), np.float32)
    for k, value in enumerate((64, 128, 192)):
        soft[y - 3 + k:y + h + 3 - k, x - 3 + k:x + w + 3 - k] = value
    soft[y:y + h, x:x + w] = 255
    return soft.astype(np.uint8)


def noisy_photo(size: int = 96, sigma: float = 4.0, seed: int = 0) -> Sample:
    """A smooth colour gradient with camera-like noise: a stand-in for a real photo."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / size
    base = np.stack([60 + 120 * xx, 80 + 100 * yy, 150 - 60 * xx * yy], -1)
    image = np.clip(np.rint(base + rng.normal(0, sigma, base.shape)), 0, 255).astype(np.uint8)
    return Sample("p0", "train", "original", image, np.zeros((size, size), np.uint8))


def residual_var(image: np.ndarray, where: np.ndarray) -> float:
    x = torch.from_numpy(image).permute(2, 0, 1)[None].float() / 255
    res = NoiseResidual("srm", "none")(x)[0]
    return float(res[:, torch.from_numpy(where)].var())


OPS = ("gaussian", "poisson", "blur", "median", "jpeg")


@pytest.mark.parametrize("op", OPS)
def test_changes_only_inside_the_soft_mask(op):
    sample = noisy_photo()
    out = UniversalTransform(op, masks=box_mask)(sample, np.random.default_rng(3))
    soft = box_mask(96, 96, np.random.default_rng(3))  # the transform draws the mask first
    assert np.array_equal(out.mask, soft)
    outside = soft == 0
    assert np.array_equal(out.image[outside], sample.image[outside])
    assert (out.image[soft == 255] != sample.image[soft == 255]).mean() > 0.3
    assert out.kind == "fakefake" and out.meta["universal"]["operation"] == op
    assert out.image.dtype == np.uint8 and out.image.shape == sample.image.shape


def test_deterministic_per_seed():
    t = UniversalTransform(masks=box_mask)
    sample = noisy_photo()
    a, b = t(sample, np.random.default_rng(11)), t(sample, np.random.default_rng(11))
    assert np.array_equal(a.image, b.image) and np.array_equal(a.mask, b.mask) and a.meta == b.meta
    others = [t(sample, np.random.default_rng(s)) for s in range(12, 16)]
    assert any(not np.array_equal(a.image, o.image) for o in others)
    assert len({o.meta["universal"]["operation"] for o in others + [a]}) > 1


@pytest.mark.parametrize("op,direction", [("gaussian", "up"), ("poisson", "up"), ("blur", "down"),
                                          ("median", "down"), ("jpeg", "down")])
def test_noise_statistics_move_inside_the_mask(op, direction):
    sample = noisy_photo(sigma=4.0)
    for seed in range(3):  # every drawn strength, not one lucky draw
        out = UniversalTransform(op, masks=box_mask)(sample, np.random.default_rng(seed))
        core = np.zeros_like(out.mask, dtype=bool)
        core[3:-3, 3:-3] = out.mask[3:-3, 3:-3] == 255
        inner = np.zeros_like(core)  # keep the 5x5 filter support inside the changed region
        inner[2:-2, 2:-2] = core[:-4, :-4] & core[4:, 4:] & core[2:-2, 2:-2]
        before, after = residual_var(sample.image, inner), residual_var(out.image, inner)
        if direction == "up":
            assert after > 1.5 * before, (op, seed, before, after)
        else:
            assert after < 0.8 * before, (op, seed, before, after)


def test_union_with_an_existing_mask_and_blend_formula():
    sample = noisy_photo()
    own = np.zeros((96, 96), np.uint8)
    own[:10, :10] = 255
    out = UniversalTransform("blur", masks=box_mask)(
        Sample("x", "train", "fakefake", sample.image, own), np.random.default_rng(0))
    assert (out.mask[:10, :10] == 255).all() and out.meta["source_kind"] == "fakefake"
    orig = np.full((2, 2, 3), 100, np.uint8)
    changed = np.full((2, 2, 3), 200.0)
    soft = np.array([[0, 255], [128, 64]], np.uint8)
    got = blend(orig, changed, soft)[..., 0]
    assert got.tolist() == [[100, 200], [round(100 + 100 * 128 / 255), round(100 + 100 * 64 / 255)]]


def test_bad_options_are_named():
    with pytest.raises(RegistryError, match="gaussian"):
        UniversalTransform("gausian", masks=box_mask)
    with pytest.raises(RegistryError, match="operation 'autoencodr'"):
        UniversalTransform("blur,autoencodr", masks=box_mask)


def _photo_folder(root: Path) -> None:
    rng = np.random.default_rng(0)
    for split in ("train", "test"):
        for i in range(3):
            (root / "imgs" / split).mkdir(parents=True, exist_ok=True)
            arr = rng.integers(0, 256, size=(50 + 10 * i, 70, 3), dtype=np.uint8)
            Image.fromarray(arr).save(root / "imgs" / split / f"ph{i}.png")
    Image.fromarray(rng.integers(0, 256, size=(40, 40), dtype=np.uint8)).save(root / "imgs" / "grey.jpg")


def test_dataset_from_a_photo_folder_is_deterministic_and_serves_as_a_transform(tmp_path):
    _photo_folder(tmp_path)
    photos = photos_in_folder(tmp_path / "imgs")
    assert {p.split for p in photos if p.id.startswith("train")} == {"train"}
    assert len(photos) == 7
    ds = UniversalDataset(photos, UniversalTransform(masks=box_mask), image_size=32, seed=5, originals=True)
    assert "train/fakefake" in ds.splits() and "test/original" in ds.splits()
    rec = ds.records("train/fakefake")[0]
    a, b = ds.load(rec), ds.load(rec)
    assert a.image.shape == (32, 32, 3) and np.array_equal(a.image, b.image) and a.mask.max() == 255
    orig = ds.load(ds.records("train/original")[0])
    assert orig.mask.max() == 0 and orig.kind == "original"
    # used as a training-time transform on another dataset's samples
    tensors = SampleTensors(ds, ds.records("train/original"), Protocol(image_size=32),
                            transform=UniversalTransform("median", masks=box_mask))
    item = tensors[0]
    assert item["kind"] == "fakefake" and item["target"].sum() > 0
    with pytest.raises(RegistryError, match="fakefake"):
        ds.records("train/fakefak")


def test_universal_data_trains_a_detector(tmp_path, tiny_detector):
    for split, count in (("train", 8), ("val", 2)):
        (tmp_path / "imgs" / split).mkdir(parents=True)
        for i in range(count):
            photo = noisy_photo(size=48, seed=100 * len(split) + i).image
            Image.fromarray(photo).save(tmp_path / "imgs" / split / f"p{i}.png")
    ds = UniversalDataset(photos_in_folder(tmp_path / "imgs"), UniversalTransform(masks=box_mask),
                          image_size=32, seed=0)
    detector = create("detectors", tiny_detector)
    before = {k: v.clone() for k, v in detector.module.state_dict().items()}
    config = TrainConfig(epochs=4, batch_size=4, lr=3e-3, progress=False, seed=1)
    report = train(detector, ds, config, Protocol(32), tmp_path / "run", name=tiny_detector)
    assert report.steps == 4 * 2 and report.history[-1]["train_loss"] < report.history[0]["train_loss"]
    saved = load_checkpoint(report.last_checkpoint)
    assert saved["steps"] == report.steps
    assert any(not torch.equal(before[k], saved["state_dict"][k].cpu()) for k in before)


def test_registered_dataset_reads_a_folder(tmp_path):
    from inpaintbench.sdk import registry

    _photo_folder(tmp_path)
    ds = registry.create("datasets", "universal", data_root=str(tmp_path / "imgs"), image_size="32",
                         operations="blur,jpeg")
    assert isinstance(ds, UniversalDataset) and ds.transform.operations == ("blur", "jpeg")
    (tmp_path / "imgs" / "broken.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match="broken.png"):
        registry.create("datasets", "universal", data_root=str(tmp_path / "imgs"))
    ds = registry.create("datasets", "universal", data_root=str(tmp_path / "imgs"), image_size="32", on_bad="skip")
    assert len(ds.problems) == 1 and "broken.png" in ds.info()["skipped_at_scan"][0]
    ids = {r.id for r in ds.records("test")}
    assert {"test_ph0", "test_ph1", "test_ph2"} <= ids and not any(i.startswith("train_") for i in ids)


def test_autoencoder_reencoding_inside_the_mask():
    sample = noisy_photo(size=64)
    transform = UniversalTransform("autoencoder", masks=box_mask)  # none configured: the packaged TAEF2
    out = transform(sample, np.random.default_rng(0))
    soft = box_mask(64, 64, np.random.default_rng(0))
    assert np.array_equal(out.image[soft == 0], sample.image[soft == 0])
    assert out.meta["universal"] == {"operation": "autoencoder", "weights": "taef2"}
    assert np.abs(out.image[soft == 255].astype(int) - sample.image[soft == 255]).mean() > 1
    weights = SHARED / "weights" / "taef2"
    if weights.is_dir():  # a weights folder gives the same round trip as the packaged name
        other = UniversalTransform("autoencoder", masks=box_mask, autoencoder=str(weights))
        assert np.array_equal(other(sample, np.random.default_rng(0)).image, out.image)
