"""One ``--autoencoder`` for ``generate`` (named, a folder, a diffusers model) and ``stress``: the same photos and
masks for every autoencoder, the manifest's record of the weights, the deprecated ``--vae``/``--vae-weights``."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from test_generate import config, photos  # noqa: F401  (the photos fixture)

from inpaintbench import cli
from inpaintbench.data.generation.generate import generate
from inpaintbench.data.imageio import read_mask, read_rgb
from inpaintbench.evaluation._attack_spec import AttackSpecError, parse_attacks
from inpaintbench.sdk.autoencoders import AUTOENCODERS, packaged_autoencoder, tiny_decoder, tiny_encoder
from inpaintbench.sdk.weights import file_sha256

from conftest import SHARED

FAMILY_WEIGHTS = SHARED / "weights" / "taesd-family"


def random_tiny_folder(folder: Path, prefix: str = "mytae", latent: int = 4) -> Path:
    """A TAESD-family weights folder with random weights: another decoder, loaded like the real ones."""
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(1)
    torch.save(tiny_encoder(latent, set()).state_dict(), folder / f"{prefix}_encoder.pth")
    torch.save(tiny_decoder(latent, set()).state_dict(), folder / f"{prefix}_decoder.pth")
    return folder


def rows(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "manifest.csv", newline="") as fh:
        return {r["id"]: r for r in csv.DictReader(fh)}


def images(out: Path, kind: str) -> dict[str, object]:
    read = read_mask if kind == "mask" else read_rgb
    return {p.name.split(".")[0]: read(p) for p in sorted(out.rglob(f"*.{kind}.webp"))}


def made_with(photos, out, autoencoder):  # noqa: F811
    return generate(replace(config(photos, out, limit=3), generator="latent-fill,vae", autoencoder=autoencoder))


def test_same_seed_gives_the_same_crops_and_masks_whatever_the_autoencoder(photos, tmp_path):  # noqa: F811
    other = random_tiny_folder(tmp_path / "weights")
    made_with(photos, tmp_path / "a", None)  # the packaged default
    made_with(photos, tmp_path / "b", str(other))
    a, b = rows(tmp_path / "a"), rows(tmp_path / "b")
    assert a.keys() == b.keys() and len(a) == 3
    for key in ("crop", "seed", "mask_fraction", "source", "split"):
        assert [r[key] for r in a.values()] == [r[key] for r in b.values()]
    for kind in ("mask", "original"):
        first, second = images(tmp_path / "a", kind), images(tmp_path / "b", kind)
        assert first.keys() == second.keys() and all((first[k] == second[k]).all() for k in first)
    fakes_a, fakes_b = images(tmp_path / "a", "fakefake"), images(tmp_path / "b", "fakefake")
    assert any((fakes_a[k] != fakes_b[k]).any() for k in fakes_a)  # the decoders differ, the inputs do not


def test_the_manifest_records_the_family_weights_entry_and_sha256(photos, tmp_path):  # noqa: F811
    made_with(photos, tmp_path / "packaged", "taef2")
    row = next(iter(rows(tmp_path / "packaged").values()))
    packaged = packaged_autoencoder()
    assert row["autoencoder"] == "flux2" and row["autoencoder_weights"] == "taef2"
    assert row["autoencoder_sha256"] == ";".join(
        f"{f.name}={file_sha256(packaged / f.name)}" for f in sorted(AUTOENCODERS["taef2"].files, key=lambda f: f.name))
    folder = random_tiny_folder(tmp_path / "weights")
    made_with(photos, tmp_path / "folder", str(folder))
    row = next(iter(rows(tmp_path / "folder").values()))
    assert row["autoencoder"] == row["autoencoder_weights"] == str(folder)  # no known family: where it came from
    assert f"mytae_decoder.pth={file_sha256(folder / 'mytae_decoder.pth')}" in row["autoencoder_sha256"]
    settings = json.loads((tmp_path / "folder" / "generation.json").read_text())
    assert settings["generator_options"]["vae"] == {"autoencoder": str(folder)}


@pytest.mark.skipif(not (FAMILY_WEIGHTS / "taesd_encoder.safetensors").is_file(),
                    reason=f"TAESD-family weights not found at {FAMILY_WEIGHTS}")
def test_a_named_family_autoencoder(photos, tmp_path):  # noqa: F811
    made_with(photos, tmp_path / "sd1", "taesd")
    row = next(iter(rows(tmp_path / "sd1").values()))
    assert row["autoencoder"] == "sd1" and row["autoencoder_weights"] == "taesd"
    assert f"taesd_encoder.safetensors={file_sha256(FAMILY_WEIGHTS / 'taesd_encoder.safetensors')}" in \
        row["autoencoder_sha256"]
    assert "taesd" in row["model"]


def test_cli_autoencoder_and_its_deprecated_aliases(photos, tmp_path, capsys):  # noqa: F811
    folder = random_tiny_folder(tmp_path / "weights")
    common = ["generate", "freeform", "--source", str(photos), "--generator", "vae", "--limit", "1",
              "--crop-size", "48", "--quiet"]
    assert cli.main(common + ["--output-dir", str(tmp_path / "new"), "--autoencoder", str(folder)]) == 0
    assert "deprecated" not in capsys.readouterr().err
    assert cli.main(common + ["--output-dir", str(tmp_path / "old"), "--vae-weights", str(folder)]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"inpaintbench generate: warning: --vae-weights is deprecated and goes in the next release: use "
                   f"--autoencoder {folder}"]
    assert images(tmp_path / "old", "fakefake").keys() == images(tmp_path / "new", "fakefake").keys()
    assert all((images(tmp_path / "old", "fakefake")[k] == v).all()
               for k, v in images(tmp_path / "new", "fakefake").items())
    assert cli.main(common + ["--output-dir", str(tmp_path / "x"), "--autoencoder", "taef2", "--vae", "org/vae"]) == 2
    assert "autoencoder given twice" in capsys.readouterr().err
    assert cli.main(common + ["--output-dir", str(tmp_path / "y"), "--autoencoder", "nosuch"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "not a named autoencoder (taef2, taesd" in err
    assert not (tmp_path / "y" / "generation.json").exists()


def test_a_folder_generated_with_vae_weights_still_resumes(photos, tmp_path):  # noqa: F811
    out = tmp_path / "out"
    made_with(photos, out, None)
    path = out / "generation.json"
    settings = json.loads(path.read_text())
    for options in settings["generator_options"].values():  # as written before --autoencoder
        options["vae_weights"] = options.pop("autoencoder")
    path.write_text(json.dumps(settings))
    report = generate(replace(config(photos, out, limit=4), generator="latent-fill,vae"))
    assert report.already_done == 3 and report.generated == 1


@pytest.mark.skipif(not (FAMILY_WEIGHTS / "taesd_encoder.safetensors").is_file(),
                    reason=f"TAESD-family weights not found at {FAMILY_WEIGHTS}")
def test_stress_takes_a_named_autoencoder():
    specs = [c.spec for c in parse_attacks("default", "taesd")]
    assert specs[-1] == "reencode:weights=taesd"
    with pytest.raises(AttackSpecError, match="not a named autoencoder"):
        parse_attacks("default", "nosuch")
