"""A detector from a separately pip-installed distribution is listed and evaluated, and its
IoU/F1 equal an independent NumPy computation."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy.ndimage import uniform_filter

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = ROOT / "examples" / "plugin-detector"


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory):
    target = tmp_path_factory.mktemp("plugin-site")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(PLUGIN)], check=True)
    return target


def _run(args, site, cwd):
    env = dict(os.environ, PYTHONPATH=str(site))
    return subprocess.run([sys.executable, "-m", "inpaintbench", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def reference(image: np.ndarray, window=7, scale=4.0) -> np.ndarray:
    grey = image.astype(np.float64).mean(2)
    residual = grey - uniform_filter(grey, 3, mode="nearest")
    energy = uniform_filter(residual ** 2, window, mode="nearest")
    return scale / (scale + energy)


@pytest.mark.slow
def test_plugin_is_listed_and_evaluated_without_training(plugin_site, tiny_layout, tmp_path):
    listed = _run(["list", "--detectors"], plugin_site, tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "blurdiff" in listed.stdout and "inpaintbench-blurdiff" in listed.stdout

    out = tmp_path / "plugin.json"
    done = _run(["evaluate", "--detector", "blurdiff", "--dataset", "provided", "--data-root", str(tiny_layout),
                 "--image-size", "native", "--split", "test/fakefake", "--output", str(out), "--quiet"],
                plugin_site, tmp_path)
    assert done.returncode == 0, done.stderr
    got = json.loads(out.read_text())["metrics"]["test/fakefake"]

    ious, f1s = [], []
    for mask_path in sorted((tiny_layout / "test").glob("*.mask.webp")):
        sid = mask_path.name[: -len(".mask.webp")]
        image = np.asarray(Image.open(tiny_layout / "test" / f"{sid}.fakefake.webp").convert("RGB"))
        gt = np.asarray(Image.open(mask_path).convert("L")) == 255
        pred = reference(image) >= 0.5
        tp, fp, fn = (pred & gt).sum(), (pred & ~gt).sum(), (~pred & gt).sum()
        ious.append(tp / (tp + fp + fn))
        f1s.append(2 * tp / (2 * tp + fp + fn))
    assert got["n_images"] == len(ious) == 3
    assert got["iou"] == pytest.approx(np.mean(ious), abs=1e-6)
    assert got["f1"] == pytest.approx(np.mean(f1s), abs=1e-6)
    assert got["iou"] > 0.05  # the smoothed regions are found at all
