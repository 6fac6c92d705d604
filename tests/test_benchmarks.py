"""Metric accumulation against an FCN-ResNet50 forward pass on the same batch (pytest-benchmark).

Compare the two with ``python -m pytest tests/test_benchmarks.py --benchmark-enable``, or run
``python scripts/bench_metrics.py`` for the ratio. In the ordinary suite each runs once, as a test.
"""

import os

import pytest
import torch

from inpaintbench.baselines.fcn import FCNDetector
from inpaintbench.evaluation.metrics import MetricState

BATCH = int(os.environ.get("BENCH_BATCH", 4))
SIZE = int(os.environ.get("BENCH_SIZE", 256))


@pytest.fixture(scope="module")
def batch():
    torch.manual_seed(0)
    images = torch.rand(BATCH, 3, SIZE, SIZE)
    target = (torch.rand(BATCH, 1, SIZE, SIZE) > 0.8).float()
    return images, target


@pytest.mark.benchmark(group="metric-vs-forward")
def test_bench_metric_update(benchmark, batch):
    _, target = batch
    pred = torch.rand_like(target)

    def update():
        state = MetricState()
        state.update(pred, target)
        return state

    state = benchmark(update)
    assert len(state) == BATCH


@pytest.mark.benchmark(group="metric-vs-forward")
def test_bench_fcn_forward(benchmark, batch):
    images, _ = batch
    det = FCNDetector(weights="none")
    heat = benchmark.pedantic(det.predict, args=(images,), rounds=3, iterations=1, warmup_rounds=1) \
        if not benchmark.disabled else det.predict(images)
    assert heat.shape == (BATCH, 1, SIZE, SIZE)
