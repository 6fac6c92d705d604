"""scripts/reference.py: the cpu budget gives every trained model the same wall-clock time, the gpu one steps."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "reference.py"


@pytest.fixture(scope="module")
def reference():
    spec = importlib.util.spec_from_file_location("reference_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


class FakeReport:
    best_checkpoint = "best.pt"

    def record(self) -> dict:
        return {"steps": 1}


@pytest.mark.parametrize("budget,minutes,steps", [("cpu", 8.0, None), ("gpu", None, 4000)])
def test_every_model_gets_the_budget_s_time_or_steps(reference, monkeypatch, tmp_path, budget, minutes, steps):
    import inpaintbench.jobs.job as jobs

    configs = {}

    def fake_train_job(job, config, out_dir):
        configs[Path(out_dir).name] = config
        return FakeReport(), Path(out_dir)

    monkeypatch.setattr(jobs, "train_job", fake_train_job)
    data = {reference.TRAIN_SET: ("freeform", tmp_path)}
    reference.train_models(tmp_path, reference.BUDGETS[budget], data, quiet=True)
    assert set(configs) == set(reference.MODELS)
    assert {c.max_minutes for c in configs.values()} == {minutes}
    if steps is None:
        assert {c.max_steps for c in configs.values()} == {None}
    else:
        assert configs["nixnet"].max_steps == configs["nixnet-srm+trace"].max_steps == steps
    text = reference.budget_text(reference.BUDGETS[budget])
    assert ("8 min of wall-clock time per model" in text) == (budget == "cpu")
