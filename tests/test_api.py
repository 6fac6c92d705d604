"""The Python API (``inpaintbench.load_detector`` / ``load_dataset`` / ``evaluate`` / ``train`` / ``list_*``)."""

import json
import subprocess
import sys

import pytest
import torch

import inpaintbench as ib
from inpaintbench.cli import main
from inpaintbench.io._paths import portable_path
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


# --- a notebook-friendly API -----------------------------------------------------------------------

def test_a_result_reads_well_in_a_notebook(tiny_layout, tmp_path):
    from inpaintbench.jobs.results import read_result, write_result

    dataset = ib.load_dataset("provided", data_root=str(tiny_layout))
    result = ib.evaluate("noise-residual", dataset, splits=["test/fakefake", "test/original"])
    short = repr(result)
    assert "\n" not in short and len(short) < 300 and short.startswith("Result(noise-residual on provided (data, ")
    fake, real = result.metrics["test/fakefake"], result.metrics["test/original"]
    assert f"test/fakefake IoU {fake['iou']:.3f} AUC {fake['auc']:.3f} n={fake['n_images']}" in short
    assert f"test/original FPR {real['fpr']:.3f} n={real['n_authentic']}" in short
    frame = result.metrics_frame()
    assert list(frame.index) == ["test/fakefake", "test/original"] and frame.index.name == "split"
    assert frame.loc["test/fakefake", "iou"] == fake["iou"] and frame.loc["test/original", "fpr"] == real["fpr"]
    images = result.to_dataframe()
    assert len(images) == 6 and set(images["split"]) == {"test/fakefake", "test/original"}
    per_image = images[images["split"] == "test/fakefake"].dropna(subset=["iou"])
    assert per_image["iou"].mean() == pytest.approx(fake["iou"])  # the split's IoU is the mean over its images
    html = result._repr_html_()
    assert html.count("<table") == 1 and "test/fakefake" in html and "test/original" in html
    assert f"<td>{fake['iou']:.3f}</td>" in html and "native resolution" in html
    assert f"<td>{fake['n_images']}</td>" in html and "NA" not in html and "nan" not in html
    write_result(result, tmp_path / "r.json")  # read back, the records come from the file beside it
    assert read_result(tmp_path / "r.json").to_dataframe()["id"].tolist() == images["id"].tolist()


def test_detectors_and_datasets_have_readable_reprs(tiny_layout):
    detector = ib.load_detector("noise-residual", block=8)
    assert repr(detector).startswith("NoiseResidualDetector(block=8, ")
    assert "object at 0x" not in repr(detector)
    net = ib.load_detector("nixnet", width=4)
    assert repr(net).startswith("NIXNetDetector(width=4, ") and "parameters on cpu" in repr(net)
    dataset = ib.load_dataset("provided", data_root=str(tiny_layout))
    assert repr(dataset) == (f"LayoutDataset('provided', root={str(tiny_layout)!r}, 39 records: train/realfake 8, "
                             "train/fakefake 8, train/original 8, val/realfake 2, val/fakefake 2, val/original 2, "
                             "test/realfake 3, test/fakefake 3, test/original 3)")


def test_dir_shows_only_the_api():
    code = ("import inpaintbench as ib; ib.load_dataset; import inpaintbench.jobs.results; "
            "print(sorted(n for n in dir(ib)))")
    shown = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert eval(shown) == sorted([*ib.__all__, "__version__"])
    assert not {"dataclasses", "fnmatch", "weakref", "Any", "jobs", "sdk"} & set(dir(ib))


def test_keyword_names_are_the_command_lines():
    """Every keyword of evaluate and train is a command-line option of `evaluate` or `run` with the same name
    (the few the command line spells as a switch are listed); the old field names are refused with a hint."""
    from inpaintbench import _keyword_groups
    from inpaintbench.cli import build_parser
    from inpaintbench.training.trainer import TrainConfig

    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a.choices, dict)).choices
    flags = {s for name in ("evaluate", "run") for a in commands[name]._actions for s in a.option_strings}
    switches = {"progress": "--quiet", "amp": "--no-amp", "resume": "--no-resume", "tile_overlap": None,
                "from_card": None, "transform": None}  # the last three: Python only (no command-line form)
    keywords = {k for group in _keyword_groups(TrainConfig) for k in group}
    assert "mask_binarization" in keywords and "skip_bad" in keywords and "binarization" not in keywords
    for keyword in keywords - set(switches):
        assert "--" + keyword.replace("_", "-") in flags, keyword
    dataset = "provided"
    with pytest.raises(UserError, match="unknown option 'binarization'. Did you mean mask_binarization"):
        ib.evaluate("noise-residual", dataset, binarization="half")
