"""What a run folder holds stays true: the same seed gives the same weights, a resume only on the same
data, temporary files of a killed run removed, files with the ordinary permissions."""

from __future__ import annotations

import os
import stat

import pytest
import torch

from inpaintbench.evaluation.protocol import Execution, Protocol
from inpaintbench.io._atomic import atomic_write_bytes
from inpaintbench.jobs.job import Job, train_job
from inpaintbench.sdk.errors import CheckpointError
from inpaintbench.training.trainer import TrainConfig, load_checkpoint

from layout_factory import make_layout

UNSEEDED = '''
from torch import nn
from inpaintbench.sdk.contracts import Card, ModuleDetector


class Unseeded(ModuleDetector):
    """A conv net that draws its initial weights from the global generator, like most models."""

    card = Card(description="unseeded conv net for tests", trainable=True)

    def __init__(self):
        super().__init__(nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 1, 3, padding=1)))
'''


@pytest.fixture
def unseeded(fake_distribution):
    fake_distribution("unseededplug", {"inpaintbench.detectors": {"unseeded": "unseededplug:Unseeded"}},
                      {"unseededplug.py": UNSEEDED})
    return "unseeded"


def one_step(detector: str, data, run_dir, **kw) -> dict[str, torch.Tensor]:
    job = Job(detector, "provided", dataset_options={"data_root": str(data)}, protocol=Protocol(None),
              run=Execution(progress=False))
    config = TrainConfig(epochs=1, max_steps=1, batch_size=2, crop=0, seed=3, progress=False, **kw)
    report, _ = train_job(job, config, run_dir)
    return load_checkpoint(report.last_checkpoint)["state_dict"]


def test_the_same_seed_gives_the_same_weights(unseeded, tiny_layout, tmp_path):
    torch.manual_seed(123)  # whatever the process did before must not matter
    first = one_step(unseeded, tiny_layout, tmp_path / "a")
    second = one_step(unseeded, tiny_layout, tmp_path / "b")
    assert first.keys() == second.keys()
    assert all(torch.equal(first[k], second[k]) for k in first)


def test_a_finished_run_does_not_resume_onto_other_data(tiny_detector, tmp_path):
    data_a = make_layout(tmp_path / "a", {"train": 2, "val": 1, "test": 1}, size=16, seed=0)
    data_b = make_layout(tmp_path / "b", {"train": 2, "val": 1, "test": 1}, size=16, seed=1)
    one_step(tiny_detector, data_a, tmp_path / "run")
    with pytest.raises(CheckpointError, match="cannot resume on this data: the data changed"):
        one_step(tiny_detector, data_b, tmp_path / "run")
    one_step(tiny_detector, data_b, tmp_path / "run", resume=False)  # a fresh start is allowed


def test_temporary_files_of_a_killed_run_are_removed(tiny_detector, tiny_layout, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    left = run / ".best.pt.99999999-0a1b2c3d.tmp"  # its writer (pid) is gone
    left.write_bytes(b"x" * 1000)
    old = run / ".last.pt.k2_8xq0a.tmp"  # an older version's name, without a pid
    old.write_bytes(b"x" * 1000)
    os.utime(old, (0, 0))
    one_step(tiny_detector, tiny_layout, run)
    assert not left.exists() and not old.exists()
    assert not [p.name for p in run.iterdir() if p.name.endswith(".tmp")]


def test_written_files_get_the_ordinary_permissions(tmp_path):
    previous = os.umask(0o022)
    try:
        atomic_write_bytes(tmp_path / "result.json", b"{}")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "result.json").stat().st_mode) == 0o644
