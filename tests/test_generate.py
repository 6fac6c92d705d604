"""The generate job and generated datasets: layout and manifest, shards, resume after an
interruption, settings checks, object masks from BSDS500, the CLI and the embedded default."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from inpaintbench.data.generation import generate as gen_module
from inpaintbench.data.generation.generate import (
    GenerateConfig,
    choose_generators,
    generate,
    load_captions,
    parse_shard,
)
from inpaintbench.data.generation.masks.labels import read_bsds_segmentations
from inpaintbench.data.generation.sources import embedded_photos
from inpaintbench.data.imageio import DataError, read_mask, read_rgb
from inpaintbench.data.layout import LayoutDataset
from inpaintbench.sdk import registry
from inpaintbench.sdk.contracts import SPLITS

from conftest import SHARED

KODAK = SHARED / "data" / "photos" / "kodak24"
BSDS = SHARED / "data" / "bsds500"


@pytest.fixture()
def photos(tmp_path):
    from PIL import Image

    folder = tmp_path / "photos"
    rng = np.random.default_rng(0)
    for i, sub in enumerate(["a", "a", "b/c", "b/c", "d", "d"]):
        (folder / sub).mkdir(parents=True, exist_ok=True)
        yy, xx = np.mgrid[:80, :100]
        img = np.stack([(xx * (i + 2)) % 256, (yy * 3 + i * 40) % 256, rng.integers(0, 256, (80, 100))], -1)
        Image.fromarray(img.astype(np.uint8)).save(folder / sub / f"p{i}.{'png' if i % 2 else 'jpg'}")
    return folder


def config(photos, out, **kw):
    return GenerateConfig("freeform", out=str(out), source=str(photos), generator="classical", image_size=64,
                          progress=False, **kw)


def manifest(out):
    with open(Path(out) / "manifest.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def pixels(out):
    return {p.relative_to(out).as_posix(): read_rgb(p) if ".mask." not in p.name else read_mask(p)
            for p in sorted(Path(out).rglob("*.webp"))}


def test_layout_and_manifest(photos, tmp_path):
    report = generate(config(photos, tmp_path / "out"))
    assert report.generated == 6 and report.already_done == 0 and report.generator == "classical"
    rows = manifest(tmp_path / "out")
    assert [r["id"] for r in rows if r["split"] == "train"] == sorted(r["id"] for r in rows if r["split"] == "train")
    assert {r["id"] for r in rows} == {"a_p0", "a_p1", "b_c_p2", "b_c_p3", "d_p4", "d_p5"}
    assert set(rows[0]) >= {"id", "split", "kinds", "generator", "model", "mask_type", "mask_fraction", "seed",
                            "prompt", "source"}
    dataset = LayoutDataset(tmp_path / "out")
    assert len(dataset) == 12
    for row in rows:
        assert row["mask_type"] == "brush" and row["model"] == "opencv-telea" and row["kinds"] == "realfake;original"
        mask = read_mask(tmp_path / "out" / row["split"] / f"{row['id']}.mask.webp")
        assert float(row["mask_fraction"]) == pytest.approx((mask == 255).mean(), abs=1e-6)
        assert Path(row["source"]).is_file()


def test_shards_split_the_work_and_match_a_single_run(photos, tmp_path):
    generate(config(photos, tmp_path / "single"))
    parts = [generate(config(photos, tmp_path / "sharded", shard=(i, 3))) for i in range(3)]
    assert [p.planned for p in parts] == [2, 2, 2]
    single, sharded = pixels(tmp_path / "single"), pixels(tmp_path / "sharded")
    assert single.keys() == sharded.keys() and all(np.array_equal(single[k], sharded[k]) for k in single)
    assert manifest(tmp_path / "single") == manifest(tmp_path / "sharded")


def test_resume_after_interruption_loses_and_duplicates_nothing(photos, tmp_path, monkeypatch):
    out = tmp_path / "out"
    real_create = registry.create
    calls = {"n": 0}

    def failing_create(kind, name, **options):
        obj = real_create(kind, name, **options)
        if kind == "generators":
            obj.batch_size = 2
            real_run = obj.run

            def run(items):
                calls["n"] += 1
                if calls["n"] == 2:
                    raise KeyboardInterrupt  # the process is stopped mid-job
                return real_run(items)

            obj.run = run
        return obj

    monkeypatch.setattr(gen_module.registry, "create", failing_create)
    with pytest.raises(KeyboardInterrupt):
        generate(config(photos, out))
    assert len(list((out / "manifest.d").glob("*.json"))) == 2
    monkeypatch.setattr(gen_module.registry, "create", real_create)
    # a crash after an id's images but before its record: the id is redone, same names, same pixels
    done = sorted((out / "manifest.d").glob("*.json"))
    done[0].unlink()
    before = pixels(out)
    report = generate(config(photos, out))
    assert report.already_done == 1 and report.generated == 5
    after = pixels(out)
    assert all(np.array_equal(before[k], after[k]) for k in before)
    rows = manifest(out)
    assert len(rows) == 6 and len({r["id"] for r in rows}) == 6
    assert len(list(out.rglob("*.webp"))) == 18 and not list(out.rglob("*.tmp"))
    assert generate(config(photos, out)).generated == 0


def test_other_settings_into_the_same_folder_are_refused(photos, tmp_path):
    generate(config(photos, tmp_path / "out", limit=2))
    generate(config(photos, tmp_path / "out", limit=3))  # extending a run is fine
    with pytest.raises(DataError, match="seed.*new --output-dir"):
        generate(config(photos, tmp_path / "out", seed=1))


@pytest.mark.skipif(not (BSDS / "groundTruth").is_dir(), reason=f"BSDS500 not found at {BSDS}")
def test_object_masks_come_from_bsds500_human_segmentations(tmp_path):
    out = tmp_path / "obj"
    generate(GenerateConfig("object", out=str(out), source=str(BSDS), generator="classical", image_size=128,
                            limit=4, progress=False))
    rows = manifest(out)
    assert len(rows) >= 3 and {r["split"] for r in rows} <= {"test"}  # BSDS folder split kept
    for row in rows:
        top, left, size = (int(v) for v in row["crop"].split(","))
        stem = Path(row["source"]).stem
        maps = read_bsds_segmentations(BSDS / "groundTruth" / row["split"] / f"{stem}.mat")
        gt = read_mask(out / row["split"] / f"{row['id']}.mask.webp") == 255
        crops = [m[top:top + size, left:left + size] for m in maps]
        # the ground truth is one human segment, plus a thin rim and narrow gaps the feather closes
        assert any(((c == v) <= gt).all() and (gt & (c != v)).sum() <= 0.2 * gt.sum()
                   for c in crops for v in np.unique(c[gt]))


def test_generator_choice(tmp_path, monkeypatch):
    for var in ("INPAINTBENCH_SD_MODEL", "INPAINTBENCH_VAE_WEIGHTS", "INPAINTBENCH_VAE"):
        monkeypatch.delenv(var, raising=False)
    base = GenerateConfig("freeform", out="x")
    choice = choose_generators(base)  # nothing configured: realfake and fakefake from the packaged TAEF2
    assert choice.names == ("latent-fill", "vae") and choice.label == "latent-fill+vae"
    assert "packaged taef2" in choice.reason
    assert choice.options["vae"] == choice.options["latent-fill"] == {"autoencoder": "taef2"}
    monkeypatch.setenv("INPAINTBENCH_VAE", "org/vae")
    assert choose_generators(base).options["vae"] == {"autoencoder": "org/vae"}
    assert choose_generators(GenerateConfig("freeform", out="x", autoencoder="taesd")).options["vae"] == {
        "autoencoder": "taesd"}
    monkeypatch.setenv("INPAINTBENCH_SD_MODEL", "org/inpaint")
    choice = choose_generators(base)
    assert choice.names == ("sd", "vae") and choice.options["sd"]["model"] == "org/inpaint"
    assert choose_generators(GenerateConfig("freeform", out="x", generator="classical")).names == ("classical",)
    # --gen-opt goes to every chosen generator that takes it; one that none takes is refused
    routed = choose_generators(GenerateConfig("freeform", out="x", generator="latent-fill,vae",
                                              generator_options={"method": "ns", "batch_size": "2"}))
    assert routed.options["latent-fill"]["method"] == "ns" and "method" not in routed.options["vae"]
    assert routed.options["vae"]["batch_size"] == routed.options["latent-fill"]["batch_size"] == "2"
    with pytest.raises(registry.RegistryError, match="takes option 'steps'"):
        choose_generators(GenerateConfig("freeform", out="x", generator="classical", generator_options={"steps": "3"}))
    with pytest.raises(ValueError, match="both write 'realfake'"):
        choose_generators(GenerateConfig("freeform", out="x", generator="classical,latent-fill"))
    with pytest.raises(registry.RegistryError, match="latent-fill"):
        choose_generators(GenerateConfig("freeform", out="x", generator="latent-fil"))
    with pytest.raises(registry.RegistryError, match="freeform"):
        generate(GenerateConfig("freefrom", out=str(tmp_path / "o"), generator="classical"))
    assert parse_shard("2/4") == (2, 4)
    with pytest.raises(ValueError, match="0 <= i < n"):
        parse_shard("4/4")


def test_captions_files(tmp_path):
    (tmp_path / "c.json").write_text('{"a": "one", "b.jpg": "two"}')
    (tmp_path / "c.csv").write_text("a,one, with comma\n\nb,two\n")
    (tmp_path / "c.txt").write_text("a\tone\nbroken line\n")
    assert load_captions(str(tmp_path / "c.json")) == {"a": "one", "b.jpg": "two"}
    assert load_captions(str(tmp_path / "c.csv")) == {"a": "one, with comma", "b": "two"}
    with pytest.raises(DataError, match="c.txt: line 2"):
        load_captions(str(tmp_path / "c.txt"))


@pytest.mark.skipif(not KODAK.is_dir(), reason=f"Kodak photos not found at {KODAK}")
def test_cli_generate_vae_fakefake_differs_only_inside_the_mask(tmp_path, capsys):
    from inpaintbench.cli import main

    out = tmp_path / "gen"
    code = main(["generate", "freeform", "--source", str(KODAK), "--generator", "vae",
                 "--limit", "3", "--crop-size", "96", "--output-dir", str(out), "--quiet"])
    assert code == 0
    assert "generator 'vae' (requested)" in capsys.readouterr().out
    dataset = LayoutDataset(out)
    fakes = [r for s in dataset.splits() if s.endswith("fakefake") for r in dataset.records(s)]
    assert len(fakes) == 3
    for record in fakes:
        fake = dataset.load(record)
        original = read_rgb(record.image.with_name(f"{record.id}.original.webp"))
        changed = (fake.image != original).any(-1)
        assert not changed[fake.mask == 0].any() and changed[fake.mask == 255].mean() > 0.5
    assert main(["generate", "nosuch", "--output-dir", str(tmp_path / "x")]) == 2
    assert "unknown dataset 'nosuch'" in capsys.readouterr().err


def test_embedded_default_offline_has_three_kinds_from_the_packaged_autoencoder(tmp_path, monkeypatch):
    for var in ("INPAINTBENCH_SD_MODEL", "INPAINTBENCH_VAE_WEIGHTS", "INPAINTBENCH_VAE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("INPAINTBENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # two small crops per photo keep the test fast; the photos and their splits are the default's
    dataset = registry.create("datasets", "freeform", image_size="48", crops_per_photo="2")
    info = dataset.info()
    photos = embedded_photos(48)
    for split in SPLITS:
        crops = 2 * sum(p.split == split for p in photos)
        assert all(info["splits"][f"{split}/{kind}"] == crops for kind in ("realfake", "fakefake", "original"))
    root = Path(info["root"])
    assert root.parent == tmp_path / "cache" and root.name.startswith("freeform-")
    rows = manifest(root)
    assert {r["generator"] for r in rows} == {"latent-fill+vae"}
    assert {r["kinds"] for r in rows} == {"realfake;fakefake;original"}
    for row in rows:  # the manifest says what was done, with the packaged autoencoder
        assert row["model"] == "opencv-telea + taef2 (packaged with inpaintbench); taef2 (packaged with inpaintbench)"
        realfake, fakefake = row["recipe"].split(" | ")
        assert realfake.startswith("realfake: OpenCV Telea fill") and "encoded and decoded" in realfake
        assert fakefake.startswith("fakefake: the whole crop encoded and decoded") and "soft mask" in fakefake
    splits_of = {}
    for row in rows:
        splits_of.setdefault(row["source"], set()).add(row["split"])
    assert all(len(s) == 1 for s in splits_of.values())  # split by photo
    tested = {source for source, s in splits_of.items() if s == {"test"}}
    assert len(tested) >= 3 and "matplotlib sample_data/grace_hopper.jpg" in tested
    by_id = {}
    for split in ("test/realfake", "test/fakefake", "test/original"):
        for record in dataset.records(split):
            by_id.setdefault(record.id, {})[record.kind] = dataset.load(record)
    for kinds in list(by_id.values())[:4]:
        original, soft = kinds["original"].image, kinds["realfake"].mask
        for kind in ("realfake", "fakefake"):
            changed = (kinds[kind].image != original).any(-1)
            assert not changed[soft == 0].any() and changed[soft == 255].mean() > 0.3, kind
    stamps = {p: p.stat().st_mtime_ns for p in root.rglob("*.webp")}
    again = registry.create("datasets", "freeform", image_size="48", crops_per_photo="2")
    assert again.root == root and {p: p.stat().st_mtime_ns for p in root.rglob("*.webp")} == stamps
    with pytest.raises(DataError, match="python -m inpaintbench generate freeform"):
        registry.create("datasets", "freeform", data_root=str(tmp_path / "empty"))


def test_generate_split_test_puts_every_id_in_test_for_evaluation(photos, tmp_path, capsys):
    """`--split test` makes a set to evaluate on: every id in test/, the same pixels as the hash split, the
    choice recorded, and a folder made the other way refused."""
    from inpaintbench.cli import main

    hashed = tmp_path / "hashed"
    generate(config(photos, hashed))
    assert len({r["split"] for r in manifest(hashed)}) > 1  # the hash rule spreads these six ids
    out = tmp_path / "all-test"
    assert main(["generate", "freeform", "--source", str(photos), "--generator", "classical", "--crop-size", "64",
                 "--split", "test", "--output-dir", str(out), "--quiet"]) == 0
    rows = manifest(out)
    assert len(rows) == 6 and {r["split"] for r in rows} == {"test"}
    assert LayoutDataset(out).splits() == ["test/realfake", "test/original"]
    by_id = {r["id"]: r["split"] for r in manifest(hashed)}
    assert {Path(k).name: v for k, v in pixels(out).items()}.keys() == {Path(k).name for k in pixels(hashed)}
    for name, value in pixels(out).items():  # where an id goes does not change its pixels
        stem = Path(name).name.split(".")[0]
        assert np.array_equal(value, pixels(hashed)[f"{by_id[stem]}/{Path(name).name}"])
    assert json.loads((out / "generation.json").read_text())["split"] == "test"
    capsys.readouterr()
    assert main(["generate", "freeform", "--source", str(photos), "--generator", "classical", "--crop-size", "64",
                 "--output-dir", str(out), "--quiet"]) == 2
    assert "split" in capsys.readouterr().err
