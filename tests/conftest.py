"""Shared fixtures: tiny datasets in the provided layout and throw-away plugin distributions."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from layout_factory import make_layout  # noqa: E402

#: Data and weights beside the checkout; ``INPAINTBENCH_SHARED`` points elsewhere (e.g. from a worktree).
SHARED = Path(os.environ.get("INPAINTBENCH_SHARED") or Path(__file__).resolve().parents[1] / ".." / "shared")

TINY_DETECTOR = '''
import torch
from torch import nn
from inpaintbench.sdk.contracts import Card, ModuleDetector


class TinyDetector(ModuleDetector):
    """A three-layer conv net: small enough to train in seconds in tests."""

    card = Card(description="tiny conv net for tests", trainable=True, params={"width": "channels"})

    def __init__(self, width: int = 8):
        torch.manual_seed(0)
        module = nn.Sequential(nn.Conv2d(3, width, 3, padding=1), nn.ReLU(),
                               nn.Conv2d(width, width, 3, padding=1), nn.ReLU(),
                               nn.Conv2d(width, 1, 3, padding=1))
        super().__init__(module, options={"width": width})
'''


@pytest.fixture
def tiny_layout(tmp_path: Path) -> Path:
    return make_layout(tmp_path / "data", {"train": 8, "val": 2, "test": 3}, size=32)


@pytest.fixture
def fake_distribution(tmp_path: Path, monkeypatch):
    """Install a distribution by putting a dist-info folder and modules on sys.path."""

    def install(name: str, entry_points: dict[str, dict[str, str]], modules: dict[str, str]) -> Path:
        site = tmp_path / f"site-{name}"
        info = site / f"{name}-0.1.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
        lines = []
        for group, eps in entry_points.items():
            lines.append(f"[{group}]")
            lines += [f"{k} = {v}" for k, v in eps.items()]
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
        for filename, source in modules.items():
            (site / filename).write_text(textwrap.dedent(source))
        monkeypatch.syspath_prepend(str(site))
        return site

    return install


@pytest.fixture
def tiny_detector(fake_distribution):
    """Register detector ``tiny`` (trainable) from a throw-away distribution ``tinyplug``."""
    fake_distribution("tinyplug", {"inpaintbench.detectors": {"tiny": "tinyplug:TinyDetector"}},
                      {"tinyplug.py": TINY_DETECTOR})
    return "tiny"
