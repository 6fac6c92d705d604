"""Bad input and bad options under a hostile user: each is refused (or read) with a message naming
what is wrong, never passed over in silence."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from inpaintbench.cli import main
from inpaintbench.data.imageio import read_mask, write_webp
from inpaintbench.evaluation._attack_spec import AttackSpecError, parse_attacks

from layout_factory import make_layout

# --- options that make no sense ------------------------------------------------------------------


@pytest.mark.parametrize("argv, text", [
    (["--threshold", "1.5"], "strictly between 0 and 1"),
    (["--threshold", "nan"], "strictly between 0 and 1"),
    (["--threshold", "0"], "strictly between 0 and 1"),
    (["--image-size", "0"], "at least 8, or 'native'"),
])
def test_job_options_out_of_range_are_refused(argv, text, tiny_layout, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["evaluate", "--detector", "noise-residual", "--dataset", "provided", "--data-root", str(tiny_layout),
              "--quiet", *argv])
    assert exit_.value.code == 2 and text in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["--limit", "-1"], ["--crops-per-image", "0"]])
def test_generate_counts_below_one_are_refused(argv, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["generate", "freeform", "--output-dir", str(tmp_path / "g"), *argv])
    assert exit_.value.code == 2 and "must be at least 1" in capsys.readouterr().err
    assert not (tmp_path / "g").exists()


def test_an_attack_list_of_only_commas_is_a_clear_error():
    with pytest.raises(AttackSpecError, match="no attacks given in ',,'"):
        parse_attacks(",,")


def test_missing_reencode_weights_are_refused_when_parsed(tmp_path):
    with pytest.raises(AttackSpecError, match="weights=/missing.*not an autoencoder folder"):
        parse_attacks("jpeg:quality=90,reencode:weights=/missing")
    with pytest.raises(AttackSpecError, match="neither TAESD-family"):
        parse_attacks(f"reencode:weights={tmp_path}")


def test_run_without_a_test_split_stops_before_training(tiny_detector, tmp_path, capsys):
    data = make_layout(tmp_path / "data", {"train": 3, "val": 1}, size=16)
    run_dir = tmp_path / "run"
    assert main(["run", "--detector", tiny_detector, "--dataset", "provided", "--data-root", str(data),
                 "--epochs", "1", "--crop", "16", "--run-dir", str(run_dir), "--quiet", "--no-overlays",
                 "--output", str(tmp_path / "R.json")]) == 2
    assert "has no test split" in capsys.readouterr().err
    assert not run_dir.exists()


# --- silent bad input ----------------------------------------------------------------------------


def _evaluate(data, tmp_path, *extra: str) -> list[str]:
    return ["evaluate", "--detector", "noise-residual", "--dataset", "provided", "--data-root", str(data),
            "--quiet", "--no-overlays", "--output", str(tmp_path / "R.json"), *extra]


def test_masks_of_zero_and_one_are_refused_naming_the_file_and_the_fix(tmp_path, capsys):
    data = make_layout(tmp_path / "data", {"test": 2}, size=16, kinds=("realfake",))
    for path in data.rglob("*.mask.webp"):
        write_webp(path, (read_mask(path) > 127).astype(np.uint8))
    assert main(_evaluate(data, tmp_path)) == 2
    err = capsys.readouterr().err
    assert ".mask.webp: mask values are 0 and 1" in err and "--mask-binarization 1" in err
    assert main(_evaluate(data, tmp_path, "--mask-binarization", "1")) == 0
    assert json.loads((tmp_path / "R.json").read_text())["metrics"]["test/realfake"]["n_images"] == 2


def test_16_bit_and_palette_source_photos_keep_their_pixels(tmp_path):
    from inpaintbench.data.generation.sources import folder_photos

    ramp = np.linspace(0, 65535, 32 * 32).reshape(32, 32).astype(np.uint16)
    Image.fromarray(ramp).save(tmp_path / "deep.png")
    rgb = (np.random.default_rng(0).integers(0, 4, (32, 32, 3)) * 60).astype(np.uint8)
    Image.fromarray(rgb).quantize(colors=64).save(tmp_path / "palette.png")
    photos = {p.key: p.load() for p in folder_photos(str(tmp_path))}
    deep = photos["deep"]
    assert deep.shape == (32, 32, 3) and deep.dtype == np.uint8
    assert deep.min() == 0 and deep.max() == 255 and 120 < deep.mean() < 135  # was all white (255)
    assert np.array_equal(deep[..., 0], np.rint(ramp / 257).astype(np.uint8))
    assert np.array_equal(photos["palette"], rgb)


def test_skip_bad_counts_files_rejected_when_scanning_and_when_reading(tmp_path, capsys):
    data = make_layout(tmp_path / "data", {"test": 3}, size=16, kinds=("realfake",))
    write_webp(data / "test" / "test000.realfake.webp", np.zeros((8, 8, 3), np.uint8))  # size mismatch: at scan
    mask = data / "test" / "test001.mask.webp"
    write_webp(mask, (read_mask(mask) > 127).astype(np.uint8))  # a 0/1 mask: found when read
    with pytest.warns(UserWarning, match="skipped 1 bad file.*when scanning"):
        assert main(_evaluate(data, tmp_path, "--skip-bad")) == 0
    result = json.loads((tmp_path / "R.json").read_text())
    assert result["dataset_info"]["n_skipped"] == 2 and result["dataset_info"]["n_skipped_at_scan"] == 1
    counted = result["metrics"]["test/realfake"]
    assert counted["n_images"] + counted["n_empty_mask"] == 1
    assert "skipped 2 bad file(s): 1 when scanning the dataset, 1 when reading" in capsys.readouterr().out


def test_near_miss_files_are_read_or_reported(tmp_path):
    from inpaintbench.data.layout import LayoutDataset

    data = make_layout(tmp_path / "data", {"test": 2}, size=16, kinds=("realfake",))
    photo = np.zeros((16, 16, 3), np.uint8)
    (data / "test" / "test001.realfake.webp").rename(data / "test" / "test001.realfake.WEBP")
    for name in ("test/realfake.jpg", "extra/a.png", "extra/b.png"):
        (data / name).parent.mkdir(exist_ok=True)
        Image.fromarray(photo).save(data / name)
    with pytest.warns(UserWarning, match=r"2 \.png files, 1 \.jpg file ignored .*--dataset pairs"):
        dataset = LayoutDataset(data)
    assert len(dataset.records("test/realfake")) == 2  # the upper-case suffix is read
    assert dataset.info()["ignored_files"] == "2 .png files, 1 .jpg file"


# --- messages ------------------------------------------------------------------------------------

BROKEN = '''
import torch


class PredictFails:
    """A detector whose predict raises."""

    def predict(self, images):
        raise KeyError("logits")


class BuildFails:
    """A detector whose constructor raises."""

    def __init__(self):
        raise KeyError("backbone")

    def predict(self, images):
        return torch.zeros_like(images[:, :1])
'''


@pytest.fixture
def broken_detectors(fake_distribution):
    fake_distribution("hostileplug", {"inpaintbench.detectors": {"predict-fails": "hostileplug:PredictFails",
                                                                "build-fails": "hostileplug:BuildFails"}},
                      {"hostileplug.py": BROKEN})


def test_a_detector_that_raises_is_named_with_the_file_in_one_line(broken_detectors, tiny_layout, tmp_path, capsys):
    argv = ["evaluate", "--detector", "predict-fails", "--dataset", "provided", "--data-root", str(tiny_layout),
            "--quiet", "--no-overlays", "--output", str(tmp_path / "R.json")]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "detector 'predict-fails' failed on " in err and ".realfake.webp" in err and "KeyError: 'logits'" in err
    assert len(err.splitlines()) == 1
    assert main(["--debug", *argv]) == 2
    assert "Traceback" in capsys.readouterr().err
    argv[2] = "build-fails"
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "detector 'build-fails' failed to build: KeyError: 'backbone'" in err and len(err.splitlines()) == 1


def test_weights_of_another_width_give_one_summary_line(tiny_detector, tiny_layout, tmp_path, capsys):
    import torch
    from tinyplug import TinyDetector

    ckpt = tmp_path / "w8.pt"
    torch.save(TinyDetector(width=8).module.state_dict(), ckpt)
    assert main(["evaluate", "--detector", "tiny", "--opt", "width=16", "--checkpoint", str(ckpt), "--dataset",
                 "provided", "--data-root", str(tiny_layout), "--quiet", "--no-overlays"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and len(err) < 600, err
    assert "weights do not fit" in err
    assert "of 6 tensors, 5 of other shapes (0.weight: file 8x3x3x3, model 16x3x3x3" in err


class RunsCode:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_pickles_passed_as_weights_are_refused_in_one_line(tmp_path, capsys):
    import torch
    from torch import nn

    from inpaintbench.baselines.nixnet import load_backbone_weights
    from inpaintbench.baselines.smp import read_state_dict
    from inpaintbench.sdk.autoencoders import load_autoencoder
    from inpaintbench.sdk.errors import CheckpointError

    evil = tmp_path / "evil.pt"
    torch.save({"weight": RunsCode()}, evil)
    folder = tmp_path / "ae"
    folder.mkdir()
    for part in ("encoder", "decoder"):
        torch.save({"weight": RunsCode()}, folder / f"x_{part}.pth")
    for load in (lambda: load_backbone_weights(nn.Linear(2, 2), str(evil)), lambda: read_state_dict(evil),
                 lambda: load_autoencoder(str(folder))):
        with pytest.raises(CheckpointError, match="refused: it holds Python objects other than tensors") as err:
            load()
        assert len(str(err.value).splitlines()) == 1
    assert "this must never run" not in capsys.readouterr().out


# --- plugins that shadow built-ins ---------------------------------------------------------------


def test_a_plugin_taking_a_builtin_name_does_not_replace_it(fake_distribution):
    from inpaintbench.sdk import registry

    fake_distribution("shadowplug", {"inpaintbench.detectors": {"fcn": "shadowplug:Other"}},
                      {"shadowplug.py": "class Other:\n    def predict(self, images):\n        return images[:, :1]\n"})
    with pytest.warns(UserWarning, match="'fcn' is registered by distributions .*'shadowplug'.*'inpaintbench'|"
                                         "'fcn' is registered by distributions .*'inpaintbench'.*'shadowplug'"):
        entry = registry.get("detectors", "fcn")
    assert entry.distribution == "inpaintbench"
    chosen = registry.get("detectors", "shadowplug:fcn")
    assert chosen.distribution == "shadowplug" and chosen.load().__name__ == "Other"
    with pytest.raises(registry.RegistryError, match="registers no detector 'fcn'; 'fcn' comes from"):
        registry.get("detectors", "nosuch:fcn")
