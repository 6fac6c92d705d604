"""Weights as typed data: one resolver finds every entry's files, checks their sha256 and says in one
line what it looked for where; detectors and autoencoders record the entry and the sha256 they used."""

from __future__ import annotations

import hashlib
import shutil

import pytest
import torch

from inpaintbench.sdk import env
from inpaintbench.sdk.autoencoders import AUTOENCODERS, load_autoencoder, packaged_autoencoder
from inpaintbench.sdk.errors import CheckpointError
from inpaintbench.sdk.weights import (
    WeightsEntry,
    WeightsFile,
    WeightsUnavailable,
    file_sha256,
    get_weights,
    read_weights,
)

from conftest import SHARED


def entry_for(tmp_path, data: bytes = b"weights", name: str = "w.pth") -> WeightsEntry:
    return WeightsEntry(name="test-entry", folder="test-folder",
                        files=(WeightsFile(name, hashlib.sha256(data).hexdigest()),),
                        licence="MIT", source="https://example.org/weights")


def test_packaged_taef2_resolves_from_package_data_with_its_sha256(monkeypatch):
    monkeypatch.delenv(env.WEIGHTS.name, raising=False)
    paths = AUTOENCODERS["taef2"].resolve()
    assert {p.parent for p in paths.values()} == {packaged_autoencoder()}
    record = AUTOENCODERS["taef2"].record(paths)
    encoder = paths["taef2_encoder.pth"]
    assert record["entry"] == "taef2" and record["files"]["taef2_encoder.pth"] == file_sha256(encoder)


def test_user_folder_comes_first_and_a_wrong_file_is_refused(tmp_path, monkeypatch):
    entry = entry_for(tmp_path)
    folder = tmp_path / "mine" / entry.folder
    folder.mkdir(parents=True)
    (folder / "w.pth").write_bytes(b"weights")
    monkeypatch.setenv(env.WEIGHTS.name, str(tmp_path / "mine"))
    assert entry.path() == folder / "w.pth"
    (folder / "w.pth").write_bytes(b"other weights")
    with pytest.raises(CheckpointError, match="sha256 .* is not that of weights test-entry"):
        entry.path()


def test_missing_weights_name_every_place_and_the_source(tmp_path, monkeypatch):
    monkeypatch.setenv(env.WEIGHTS.name, str(tmp_path / "nowhere"))
    with pytest.raises(WeightsUnavailable) as err:
        entry_for(tmp_path).path()
    message = str(err.value)
    assert "\n" not in message and "w.pth not found" in message and "https://example.org/weights" in message
    assert "$INPAINTBENCH_WEIGHTS" in message and "package data" in message and "shared weights" in message


def test_an_explicit_file_is_the_users_own(tmp_path):
    mine = tmp_path / "fine-tuned.pth"
    torch.save({"x": torch.ones(2)}, mine)
    entry = entry_for(tmp_path)
    assert entry.path(explicit=mine) == mine  # no sha256 check: another file than the entry's, recorded as such
    assert entry.record(mine)["files"] == {"fine-tuned.pth": file_sha256(mine)}
    with pytest.raises(WeightsUnavailable, match="not found"):
        entry.path(explicit=tmp_path / "missing.pth")


def test_safetensors_and_pth_both_read(tmp_path):
    from safetensors.torch import save_file

    state = {"w": torch.arange(6.0).view(2, 3)}
    save_file(state, tmp_path / "a.safetensors")
    torch.save(state, tmp_path / "a.pth")
    for name in ("a.safetensors", "a.pth"):
        assert torch.equal(read_weights(tmp_path / name, "test weights")["w"], state["w"])


def test_unknown_entry_suggests_the_closest():
    with pytest.raises(LookupError, match="Did you mean 'taesdxl'"):
        get_weights("taesdx")


@pytest.mark.skipif(not (SHARED / "weights" / "taesd-family").is_dir(), reason="../shared/weights/taesd-family absent")
@pytest.mark.parametrize("name", ["taesd", "taesdxl", "taesd3", "taef1"])
def test_the_taesd_family_loads_from_shared_and_reconstructs_photos(name, tmp_path, monkeypatch):
    """Each family member resolves through ../shared (sha256 checked), loads its bf16 safetensors and
    gives a plausible reconstruction: on this Kodak crop 28.8-34.6 dB across the family (measured;
    a wrong key map or input scaling falls far below)."""
    import numpy as np
    from PIL import Image

    monkeypatch.delenv(env.WEIGHTS.name, raising=False)
    ae = load_autoencoder(name)
    assert ae.describe()["weights"]["entry"] == name
    photo = np.asarray(Image.open(SHARED / "data" / "photos" / "kodak24" / "kodim19.png").convert("RGB"))[:256, :256]
    x = torch.from_numpy(photo.copy()).permute(2, 0, 1)[None].float() / 255
    mse = float((ae.roundtrip(x) - x).pow(2).mean())
    assert 26 < 10 * np.log10(1 / mse) < 40


def test_a_copy_in_the_users_folder_must_be_the_published_file(tmp_path, monkeypatch):
    """$INPAINTBENCH_WEIGHTS/taef2 holding another file is refused with the file named."""
    folder = tmp_path / "taef2"
    shutil.copytree(packaged_autoencoder(), folder)
    (folder / "taef2_decoder.pth").write_bytes(b"not the decoder")
    monkeypatch.setenv(env.WEIGHTS.name, str(tmp_path))
    with pytest.raises(CheckpointError, match="taef2_decoder.pth: sha256"):
        AUTOENCODERS["taef2"].resolve()
