"""The smp detector: any size in and out, trainable by the common trainer, offline-safe weights, aliases."""

import re

import pytest
import torch

from inpaintbench.baselines import smp as smpdet
from inpaintbench.data.layout import LayoutDataset
from inpaintbench.evaluation.protocol import Protocol
from inpaintbench.jobs.job import Job, make_detector
from inpaintbench.sdk import WeightsUnavailable
from inpaintbench.sdk.registry import OptionValueError, RegistryError, create
from inpaintbench.training.trainer import TrainConfig, load_checkpoint, train

RESNET18 = smpdet.pretrained_settings("resnet18")["imagenet"]


@pytest.fixture
def hf_cache(tmp_path, monkeypatch):
    """An empty Hugging Face cache, and a hub that fails like an offline machine if it is called."""
    from huggingface_hub import constants

    calls = []

    def offline(*args, **kwargs):
        calls.append(args)
        raise OSError("Temporary failure in name resolution")

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setattr("huggingface_hub.hf_hub_download", offline)
    return calls


@pytest.mark.parametrize("arch,encoder,stride", [("unet", "resnet18", 1), ("fpn", "resnet18", 32),
                                                 ("deeplabv3plus", "resnet18", 16), ("segformer", "mit_b0", 32)])
def test_odd_sizes_come_back_at_input_size(arch, encoder, stride, hf_cache):
    det = smpdet.SMPDetector(arch, encoder)
    assert det.weights == "none" and not hf_cache  # auto with an empty cache: no weights, no download
    assert det.module.net.multiple == stride
    x = torch.rand(2, 3, 37, 53)
    heat = det.predict(x)
    assert heat.shape == (2, 1, 37, 53) and 0 <= heat.min() and heat.max() <= 1
    assert not torch.allclose(heat[0], heat[1])  # the two images are scored separately


def test_padding_crops_back_to_the_original_pixels():
    seen = []

    class Probe(torch.nn.Module):
        def forward(self, x):
            seen.append(x.shape)
            return x[:, :1] * 2

    x = torch.rand(1, 3, 37, 53)
    out = smpdet.PadToMultiple(Probe(), 32)(x)
    assert seen == [(1, 3, 64, 64)]
    assert torch.equal(out, x[:, :1] * 2)


@pytest.mark.slow
def test_trainable_by_the_common_trainer(tiny_layout, tmp_path, hf_cache):
    det = create("detectors", "unet-r18")
    before = {k: v.clone() for k, v in det.state_dict().items()}
    config = TrainConfig(epochs=1, batch_size=4, max_steps=2, lr=1e-3, progress=False, crop=32)
    report = train(det, LayoutDataset(tiny_layout), config, Protocol(32), tmp_path / "run", name="unet-r18")
    assert report.steps == 2
    ckpt = load_checkpoint(report.best_checkpoint)
    assert ckpt["options"] == {"arch": "unet", "encoder": "resnet18", "encoder_weights": "auto"}
    changed = [k for k, v in ckpt["state_dict"].items() if v.is_floating_point() and not torch.equal(v, before[k])]
    assert any(k.startswith("net.net.encoder.") for k in changed)
    assert any(k.startswith("net.net.decoder.") or k.startswith("net.net.segmentation_head.") for k in changed)
    fresh = create("detectors", "smp", arch="unet", encoder="resnet18", encoder_weights="none")
    fresh.load_state_dict(ckpt["state_dict"])  # the alias and the plain name build the same module
    # the alias loads its own checkpoint by name (its recorded arch and encoder are its own)
    again, info = make_detector(Job("unet-r18", "provided"), report.best_checkpoint)
    head = "net.net.segmentation_head.0.weight"
    assert info["weights"] == "checkpoint best.pt"
    assert torch.equal(again.state_dict()[head], ckpt["state_dict"][head])


def test_explicit_weights_offline_name_the_cache_file(hf_cache):
    with pytest.raises(WeightsUnavailable, match="offline") as err:
        smpdet.SMPDetector("unet", "resnet18", "imagenet")
    expected = smpdet.weights_cache_path(RESNET18["repo_id"], RESNET18["revision"])
    assert str(expected) in str(err.value) and "encoder_weights=none" in str(err.value)
    assert len(hf_cache) == 1  # one download attempt, reported, not retried
    with pytest.raises(WeightsUnavailable, match="does not exist"):
        smpdet.SMPDetector("unet", "resnet18", "/nowhere/resnet18.safetensors")
    with pytest.raises(ValueError, match="no weights 'imagenett'.*imagenet"):
        smpdet.SMPDetector("unet", "resnet18", "imagenett")


def test_cached_weights_are_used_by_auto_without_a_download(hf_cache, tmp_path):
    from safetensors.torch import save_file

    source = smpdet.SMPDetector("unet", "resnet18", "none").net.encoder.state_dict()
    source = {k: torch.randn_like(v) if v.is_floating_point() else v for k, v in source.items()}
    path = smpdet.weights_cache_path(RESNET18["repo_id"], RESNET18["revision"])
    path.parent.mkdir(parents=True)
    save_file(source, str(path))
    det = create("detectors", "unet-r18")  # auto
    assert det.weights.startswith("imagenet") and not hf_cache
    got = det.net.encoder.state_dict()
    assert torch.equal(got["conv1.weight"], source["conv1.weight"])
    assert torch.equal(got["layer4.1.conv2.weight"], source["layer4.1.conv2.weight"])
    # a local file given by path loads the same way; a file for another encoder is refused clearly
    local = tmp_path / "enc.pth"
    torch.save(source, local)
    assert torch.equal(smpdet.SMPDetector("unet", "resnet18", str(local)).net.encoder.state_dict()["conv1.weight"],
                       source["conv1.weight"])
    with pytest.raises(WeightsUnavailable, match="does not fit encoder resnet34"):
        smpdet.SMPDetector("unet", "resnet34", str(local))


def test_aliases_build_their_setting_and_unknown_names_suggest(hf_cache):
    import segmentation_models_pytorch as smp

    for name, arch_cls, encoder in [("unet-r34", smp.Unet, "resnet34"), ("unet-r18", smp.Unet, "resnet18"),
                                    ("segformer-b0", smp.Segformer, "mit_b0")]:
        det = create("detectors", name)
        assert type(det.net) is arch_cls and det.options["encoder"] == encoder
        assert det.card.description != smpdet.SMPDetector.card.description and det.card.trainable
    with pytest.raises(OptionValueError, match="arch=unet encoder=resnet18, not arch=fpn.*detector `smp`"):
        create("detectors", "unet-r18", arch="fpn")
    with pytest.raises(RegistryError, match="Did you mean encoder_weights"):
        create("detectors", "unet-r18", encoder_weight="none")
    with pytest.raises(RegistryError, match="Did you mean 'unetplusplus'"):
        smpdet.SMPDetector("unetplusplu", "resnet18")
    with pytest.raises(RegistryError, match="Did you mean 'resnet34'"):
        smpdet.SMPDetector("unet", "resnet43")


def test_verbose_listing_prints_cards_and_parameter_counts(fake_distribution, hf_cache, capsys):
    from inpaintbench.cli import main

    fake_distribution("brokenplug", {"inpaintbench.detectors": {"broken": "brokenplug:Broken"}},
                      {"brokenplug.py": "class Broken:\n    def __init__(self, size: int = 1):\n"
                                        "        raise OSError('weights file gone')\n"})
    assert main(["list", "--detectors", "-v"]) == 0
    out = capsys.readouterr().out
    blocks = {b.split()[0]: b for b in re.split(r"\n  (?=\S)", out)[1:]}  # one block per detector
    expected = f"parameters: {smpdet.SMPDetector('unet', 'resnet18', 'none').info()['parameters']:,}"
    assert expected in blocks["unet-r18"] and "--opt encoder_weights=" in blocks["unet-r18"]
    assert "parameters: 0" in blocks["noise-residual"] and "Mahdian" in blocks["noise-residual"]
    assert "[brokenplug]" in blocks["broken"]  # listed from its entry point, never built: no weights are read
    assert "segformer-b0" in blocks and "2105.15203" in blocks["segformer-b0"]
