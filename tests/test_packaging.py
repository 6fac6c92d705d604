"""Packaging: one top-level package. ``baselines/`` and ``attacks/`` install as
``inpaintbench.baselines`` and ``inpaintbench.attacks``, from a wheel and from the editable install."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import importlib, importlib.util, sys
import inpaintbench.baselines.fcn, inpaintbench.attacks.jpeg
for name in ("baselines", "attacks"):
    assert importlib.util.find_spec(name) is None, f"top-level {name!r} is importable"
from inpaintbench.sdk import registry
det = registry.get("detectors", "fcn").load()
att = registry.get("attacks", "jpeg").load()
print(det.__module__, att.__module__, inpaintbench.baselines.fcn.__file__)
"""


def _python(code: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)


def test_installed_namespace_from_a_neutral_folder(tmp_path):
    done = _python(PROBE, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[:2] == ["inpaintbench.baselines.fcn", "inpaintbench.attacks.jpeg"]


def test_a_users_baselines_folder_does_not_shadow_ours(tmp_path):
    (tmp_path / "baselines").mkdir()
    (tmp_path / "baselines" / "fcn.py").write_text("raise SystemExit('the wrong baselines were loaded')\n")
    done = subprocess.run([sys.executable, "-m", "inpaintbench", "list", "--detectors"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "fcn" in done.stdout and "failed to import" not in done.stdout


@pytest.mark.slow
def test_wheel_installs_one_top_level_package(tmp_path):
    # build from a copy: setuptools leaves build/ and *.egg-info in the source folder, and a stale
    # egg-info in the checkout would shadow the installed entry points
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".*", "build", "*.egg-info", "__pycache__",
                                                                 "leaderboards", "runs", "results"))
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(wheels), str(source)], check=True, cwd=tmp_path)
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site),
                    *map(str, wheels.glob("inpaintbench-*.whl"))], check=True, cwd=tmp_path)
    top = sorted(p.name for p in site.iterdir() if not p.name.endswith(".dist-info") and p.name != "bin")
    assert top == ["inpaintbench"], top
    assert (site / "inpaintbench" / "baselines" / "NIXNET.md").is_file()
    taef2 = site / "inpaintbench" / "data" / "weights" / "taef2"  # the packaged autoencoder, with its licence
    assert {p.name for p in taef2.iterdir()} == {"taef2_encoder.pth", "taef2_decoder.pth", "LICENSE", "README.md"}
    env = dict(os.environ, PYTHONPATH=str(site))
    done = _python(PROBE, tmp_path, env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[2].startswith(str(site))
    listed = subprocess.run([sys.executable, "-m", "inpaintbench", "list"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert listed.returncode == 0 and "nixnet" in listed.stdout and "reencode" in listed.stdout, listed.stderr
