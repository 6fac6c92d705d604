"""Inpainting generators: the blend, classical and vae generators, and the sd generator end to end
through the generate job on a tiny random-weight diffusers pipeline built here (no download)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from inpaintbench.data.generation.generate import GenerateConfig, generate
from inpaintbench.data.generation.generators import Item, blend
from inpaintbench.data.generation.masks import BrushMasks
from inpaintbench.data.layout import LayoutDataset
from inpaintbench.sdk import registry

from conftest import SHARED

KODAK = SHARED / "data" / "photos" / "kodak24"
TAEF2 = SHARED / "weights" / "taef2"


def test_blend_formula_and_exactness_outside_the_mask():
    rng = np.random.default_rng(0)
    orig = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)
    gen = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)
    soft = rng.integers(0, 256, (20, 30), dtype=np.uint8)
    soft[:5] = 0
    soft[-5:] = 255
    out = blend(orig, gen, soft)
    m = soft[..., None] / 255.0
    assert np.array_equal(out, np.rint(orig * (1 - m) + gen * m).astype(np.uint8))
    assert np.array_equal(out[:5], orig[:5]) and np.array_equal(out[-5:], gen[-5:])
    with pytest.raises(ValueError, match="differ in size"):
        blend(orig, gen[:10], soft)


def _items(n=3, size=64):
    rng = np.random.default_rng(1)
    yy, xx = np.mgrid[:size, :size]
    items = []
    for i in range(n):
        image = np.stack([(xx * 4 + i * 20) % 256, (yy * 3) % 256, ((xx + yy) * 2) % 256], -1).astype(np.uint8)
        mask = BrushMasks()(size, size, rng)
        items.append(Item(f"s{i}", image, mask, seed=i))
    return items


def _check_blended(item, out, kind):
    changed = np.abs(out[kind].astype(int) - item.image.astype(int)).max(-1) > 0
    assert not changed[item.mask == 0].any()
    assert changed[item.mask == 255].mean() > 0.3
    assert np.array_equal(out["original"], item.image)


@pytest.mark.parametrize("method", ["telea", "ns"])
def test_classical_generator_fills_only_the_masked_region(method):
    gen = registry.create("generators", "classical", method=method)
    assert gen.kinds == ("realfake", "original")
    items = _items()
    for item, out in zip(items, gen.run(items)):
        _check_blended(item, out, "realfake")
    with pytest.raises(registry.RegistryError, match="telea"):
        registry.create("generators", "classical", method="tela")


def test_vae_generator_writes_fakefake_inside_the_mask_only():
    gen = registry.create("generators", "vae", batch_size="4")  # nothing configured: the packaged TAEF2
    items = _items(2) + [Item("odd", np.full((40, 52, 3), 120, np.uint8), np.full((40, 52), 255, np.uint8), 0)]
    outputs = gen.run(items)
    for item, out in zip(items[:2], outputs[:2]):
        _check_blended(item, out, "fakefake")
    assert outputs[2]["fakefake"].shape == (40, 52, 3)
    assert gen.describe()["model"] == "taef2 (packaged with inpaintbench)"
    assert "taef2 (packaged with inpaintbench)" in gen.recipes()["fakefake"]
    if TAEF2.is_dir():  # other weights by folder: the same files give the same pixels
        other = registry.create("generators", "vae", autoencoder=str(TAEF2)).run(items[:1])[0]["fakefake"]
        assert np.array_equal(other, outputs[0]["fakefake"])


def test_latent_fill_realfake_is_the_decoded_classical_fill_inside_the_mask():
    from inpaintbench.data.generation.generators import ClassicalFill
    from inpaintbench.sdk import load_autoencoder

    gen = registry.create("generators", "latent-fill", method="telea")
    assert gen.kinds == ("realfake", "original")
    items = _items()
    outputs = gen.run(items)
    ae = load_autoencoder()
    for item, out in zip(items, outputs):
        _check_blended(item, out, "realfake")
        fill = ClassicalFill("telea")(item)
        decoded = ae.roundtrip_images(fill)
        core = item.mask == 255
        assert np.array_equal(out["realfake"][core], decoded[core])  # the decoder's pixels, not OpenCV's
        assert (out["realfake"][core] != fill[core]).any(-1).mean() > 0.3
    recipe = gen.recipes()["realfake"]
    assert "OpenCV Telea fill" in recipe and "encoded and decoded" in recipe and "packaged" in recipe


# --- sd: a tiny random-weight inpainting pipeline built from configs ------------------------

def build_tiny_inpainting_pipeline(folder: Path) -> Path:
    """A StableDiffusionInpaintPipeline with a tiny UNet (9 input channels), VAE, CLIP text
    encoder and a byte-level tokenizer, random weights, saved with ``save_pretrained``."""
    import torch
    from diffusers import AutoencoderKL, DDIMScheduler, StableDiffusionInpaintPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    printable = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    chars = [chr(b) for b in printable] + [chr(256 + i) for i in range(256 - len(printable))]
    vocab = {c: i for i, c in enumerate(chars)}
    vocab.update({c + "</w>": len(chars) + i for i, c in enumerate(chars)})
    vocab.update({"<|startoftext|>": len(vocab), "<|endoftext|>": len(vocab) + 1})
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    tokenizer = CLIPTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"), model_max_length=16)
    torch.manual_seed(0)
    text_encoder = CLIPTextModel(CLIPTextConfig(
        vocab_size=len(vocab), hidden_size=16, intermediate_size=32, num_attention_heads=2, num_hidden_layers=1,
        max_position_embeddings=16, projection_dim=16))
    unet = UNet2DConditionModel(
        sample_size=8, in_channels=9, out_channels=4, layers_per_block=1, block_out_channels=(16, 32),
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=16, attention_head_dim=2, norm_num_groups=8)
    vae = AutoencoderKL(block_out_channels=(8, 16), down_block_types=("DownEncoderBlock2D",) * 2,
                        up_block_types=("UpDecoderBlock2D",) * 2, latent_channels=4, norm_num_groups=8)
    pipe = StableDiffusionInpaintPipeline(vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet,
                                          scheduler=DDIMScheduler(steps_offset=1), safety_checker=None,
                                          feature_extractor=None, requires_safety_checker=False)
    pipe.save_pretrained(folder / "pipeline")
    return folder / "pipeline"


def _photos(folder: Path, n: int) -> Path:
    from PIL import Image

    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(n):
        base = rng.integers(0, 256, (1, 1, 3))
        noise = rng.integers(-30, 30, (70, 90, 3))
        Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8)).save(folder / f"photo{i}.png")
    return folder


def test_sd_generator_end_to_end_with_a_tiny_local_pipeline(tmp_path):
    model = build_tiny_inpainting_pipeline(tmp_path / "model")
    source = _photos(tmp_path / "photos", 3)
    (tmp_path / "captions.txt").write_text("photo0\ta red barn\nphoto2.png\ta blue boat\n")
    config = GenerateConfig("freeform", out=str(tmp_path / "out"), source=str(source), model=str(model),
                            image_size=60, captions=str(tmp_path / "captions.txt"), progress=False,
                            generator_options={"steps": 2, "batch_size": 2, "guidance": 2.0})
    report = generate(config)
    assert report.generator == "sd+vae" and "model configured" in report.reason and report.generated == 3
    dataset = LayoutDataset(tmp_path / "out")
    rows = list(csv.DictReader(open(tmp_path / "out" / "manifest.csv")))
    assert {r["prompt"] for r in rows} == {"a red barn", "a high quality photograph", "a blue boat"}
    assert {r["kinds"] for r in rows} == {"inpainted;realfake;fakefake;original"}
    assert len({r["seed"] for r in rows}) == 3
    assert {r["model"] for r in rows} == {f"{model}; taef2 (packaged with inpaintbench)"}
    for split in {r["split"] for r in rows}:
        by_kind = {}
        for record in dataset.records(split):
            by_kind.setdefault(record.id, {})[record.kind] = dataset.load(record)
        for kinds in by_kind.values():
            inpainted, realfake, original = kinds["inpainted"], kinds["realfake"], kinds["original"]
            soft = realfake.mask
            assert realfake.image.shape == (60, 60, 3)  # 60 is padded to 64 for the pipeline, then cropped
            assert np.array_equal(realfake.image[soft == 0], original.image[soft == 0])
            assert np.array_equal(realfake.image[soft == 255], inpainted.image[soft == 255])
            assert not np.array_equal(inpainted.image, original.image)
            fake = kinds["fakefake"]  # the same id's TAEF2 round trip, through the same soft mask
            assert np.array_equal(fake.mask, soft) and np.array_equal(fake.image[soft == 0], original.image[soft == 0])
    # one seed per sample: a second run into another folder reproduces the pixels exactly
    again = GenerateConfig(**{**config.__dict__, "out": str(tmp_path / "again"), "limit": 1})
    generate(again)
    first = sorted((tmp_path / "out").rglob("photo0.inpainted.webp"))[0]
    second = sorted((tmp_path / "again").rglob("photo0.inpainted.webp"))[0]
    from inpaintbench.data.imageio import read_rgb

    # alone in its batch the sample gets the same noise; only float summation order may differ
    # (batched convolutions), which moves a rare pixel by one grey level, never more
    diff = np.abs(read_rgb(first).astype(int) - read_rgb(second).astype(int))
    assert diff.max() <= 1 and diff.mean() < 1e-3


def test_sd_generator_clear_errors(tmp_path, monkeypatch):
    import huggingface_hub.constants

    monkeypatch.delenv("INPAINTBENCH_SD_MODEL", raising=False)
    with pytest.raises(ValueError, match="--model"):
        registry.create("generators", "sd")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(RuntimeError, match="nobody/no-such-inpainting.*offline"):
        registry.create("generators", "sd", model="nobody/no-such-inpainting")
