"""Training to a wall-clock budget (``max_minutes``), measured on a fake clock: no test sleeps or times."""

from __future__ import annotations

import pytest

from inpaintbench.data.layout import LayoutDataset
from inpaintbench.evaluation.protocol import Protocol
from inpaintbench.sdk.errors import ConfigError
from inpaintbench.sdk.registry import create
from inpaintbench.training.trainer import TrainConfig, Trainer, load_checkpoint

pytestmark = pytest.mark.filterwarnings("ignore:.*collapsed")

#: Seconds each optimizer step takes on the fake clock.
STEP_SECONDS = 10.0


class FakeClock:
    """A monotonic clock that moves only when a training step runs."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _trainer(root, out, clock, **config) -> Trainer:
    base = dict(epochs=1000, batch_size=4, lr=1e-3, crop=16, progress=False, patience=1000)
    trainer = Trainer(create("detectors", "tiny"), LayoutDataset(root), TrainConfig(**{**base, **config}),
                      Protocol(None), out, name="tiny", clock=clock)
    step = trainer.step

    def timed_step(*args, **kwargs):
        clock.now += STEP_SECONDS
        return step(*args, **kwargs)

    trainer.step = timed_step
    return trainer


def test_training_stops_at_the_time_budget_and_records_steps_and_minutes(tiny_layout, tiny_detector, tmp_path):
    clock = FakeClock()
    report = _trainer(tiny_layout, tmp_path / "run", clock, max_minutes=1.0).run()
    # 8 ids x 3 kinds in batches of 4: 6 steps an epoch; the budget ends with the 6th step, mid-run
    assert report.steps == 6 and report.stopped_by == "max_minutes" and not report.stopped_early
    assert report.stop_reason == "time budget reached: 1.0 min, 6 steps (--max-minutes 1)"
    assert report.minutes == pytest.approx(1.0) and report.record()["minutes"] == 1.0
    assert report.epochs_run == 1 and report.history[-1]["minutes"] == pytest.approx(1.0)
    last = load_checkpoint(report.last_checkpoint)
    assert last["steps"] == 6 and last["minutes"] == pytest.approx(1.0)
    assert last["config"]["max_minutes"] == 1.0

    # a longer budget resumes the folder: the minutes of the first run count, six more steps fill it
    resumed = _trainer(tiny_layout, tmp_path / "run", FakeClock(), max_minutes=2.0).run()
    assert resumed.resumed_from_epoch == 0 and resumed.steps == 12 and resumed.minutes == pytest.approx(2.0)


def test_a_budget_that_ends_mid_epoch_stops_there(tiny_layout, tiny_detector, tmp_path):
    clock = FakeClock()
    report = _trainer(tiny_layout, tmp_path / "run", clock, max_minutes=0.5).run()  # 3 of the epoch's 6 steps
    assert report.steps == 3 and report.epochs_run == 1 and report.stopped_by == "max_minutes"
    assert clock.now == 100.0 + 3 * STEP_SECONDS  # no step ran past the budget


def test_steps_and_minutes_together_stop_at_whichever_comes_first(tiny_layout, tiny_detector, tmp_path):
    by_steps = _trainer(tiny_layout, tmp_path / "a", FakeClock(), max_minutes=1.0, max_steps=4).run()
    assert by_steps.steps == 4 and by_steps.stopped_by == "max_steps"
    by_epochs = _trainer(tiny_layout, tmp_path / "b", FakeClock(), max_minutes=60.0, epochs=2).run()
    assert by_epochs.steps == 12 and by_epochs.stopped_by == "epochs" and by_epochs.minutes == pytest.approx(2.0)


def test_a_run_that_finished_its_epochs_says_so_though_validation_crossed_the_budget(tiny_layout, tiny_detector,
                                                                                      tmp_path):
    clock = FakeClock()
    trainer = _trainer(tiny_layout, tmp_path / "run", clock, max_minutes=1.5, epochs=1)
    validate = trainer.validate

    def slow_validation():
        clock.now += 60.0  # the epoch's 6 steps take 1 min, its validation another: 2 min in all
        return validate()

    trainer.validate = slow_validation
    report = trainer.run()
    assert report.steps == 6 and report.minutes == pytest.approx(2.0)
    assert report.stopped_by == "epochs" and "1 epoch" in report.stop_reason


def test_bad_budgets_are_refused():
    for bad in ({"max_minutes": 0}, {"max_minutes": -1.0}, {"max_steps": 0}):
        with pytest.raises(ConfigError):
            TrainConfig(**bad)


def test_the_cli_passes_max_minutes_and_the_leaderboard_shows_steps_and_minutes():
    import argparse

    from inpaintbench.cli import add_training
    from inpaintbench.jobs.results import Result
    from inpaintbench.reports.leaderboard import training_budget

    parser = argparse.ArgumentParser()
    add_training(parser)
    assert parser.parse_args(["--max-minutes", "15"]).max_minutes == 15.0
    result = Result(detector="nixnet", dataset="d", protocol={}, metrics={})
    result.training = {"steps": 412, "seconds": 1000.0, "minutes": 15.02,
                       "config": {"batch_size": 8, "crop": 64, "max_minutes": 15.0}}
    assert training_budget(result) == "412 steps × 8, crop 64, 15.0 min (budget 15 min)"
    result.training = {"steps": 80, "seconds": 90.0, "config": {"batch_size": 8, "crop": 64}}
    assert training_budget(result) == "80 steps × 8, crop 64, 1.5 min"
