"""The Python API (``inpaintbench.load_detector`` / ``load_dataset`` / ``evaluate`` / ``train`` / ``list_*``)."""

import json
import subprocess
import sys

import pytest
import torch

import inpaintbench as ib
from inpaintbench.cli import main
from inpaintbench.io.paths import portable_path
from inpaintbench.sdk.errors import UserError
from inpaintbench.training.trainer import load_checkpoint


def test_api_evaluates_a_folder_like_the_cli(tiny_layout, tmp_path):
    out = tmp_path / "cli.json"
    assert main(["evaluate", "--detector", "noise-residual", "--dataset", "provided", "--data-root", str(tiny_layout),
                 "--image-size", "32", "--output", str(out), "--quiet", "--no-overlays"]) == 0
    cli = json.loads(out.read_text())
    detector = ib.load_detector("noise-residual")
    dataset = ib.load_dataset("provided", data_root=str(tiny_layout))
    result = ib.evaluate(detector, dataset, image_size=32)
    assert set(result.metrics) == set(cli["metrics"]) == {"test/realfake", "test/fakefake", "test/original"}
    for split, metrics in cli["metrics"].items():
        for key, value in metrics.items():
            assert result.metrics[split][key] == pytest.approx(value, nan_ok=True), (split, key)
    assert result.protocol == cli["protocol"]
    assert result.detector_info["card"] == cli["detector_info"]["card"]
    assert result.dataset_info["options"] == cli["dataset_info"]["options"]
    only = ib.evaluate("noise-residual", dataset, ["test/fakefake"], image_size=32, threshold=0.3)
    assert list(only.metrics) == ["test/fakefake"] and only.protocol["threshold"] == 0.3
    n = only.metrics["test/fakefake"]["n_images"] + only.metrics["test/fakefake"]["n_empty_mask"]
    assert only.timing["megapixels"] == pytest.approx(n * 32 * 32 / 1e6)  # measured pixels, for seconds per MP
    assert only.timing["seconds_per_megapixel"] == pytest.approx(only.timing["evaluate_seconds"] / (n * 32 * 32 / 1e6))
    with pytest.raises(LookupError, match="Did you mean image_size"):
        ib.evaluate(detector, dataset, imagesize=32)


def test_api_trains_and_loads_the_checkpoint(tiny_layout, tiny_detector, tmp_path):
    dataset = ib.load_dataset("provided", data_root=str(tiny_layout))
    report = ib.train("tiny", dataset, tmp_path / "run", epochs=1, lr=3e-3, image_size=32, batch_size=4,
                      crop=32)
    assert report.epochs_run == 1 and report.config["lr"] == 3e-3
    detector = ib.load_detector("tiny", report.best_checkpoint)
    result = ib.evaluate(detector, dataset, image_size=32)
    assert result.checkpoint == portable_path(report.best_checkpoint) and result.detector_info["checkpoint_sha256"]
    assert result.detector_info["weights"] == "checkpoint best.pt"
    saved = load_checkpoint(report.best_checkpoint)["state_dict"]
    assert all(torch.equal(saved[k], v) for k, v in detector.state_dict().items())
    with pytest.raises(UserError, match="not 'nixnet'"):
        ib.load_detector("nixnet", report.best_checkpoint)


def test_list_functions_and_a_light_import():
    assert "nixnet" in ib.list_detectors() and ib.list_detectors("unet-r*") == ["unet-r18", "unet-r34"]
    assert "provided" in ib.list_datasets() and "jpeg" in ib.list_attacks("j*")
    code = "import sys, inpaintbench; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
