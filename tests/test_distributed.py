"""Runs under torchrun: two CPU processes (gloo) train, evaluate and generate exactly as one does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from inpaintbench.cli import main
from inpaintbench.io.distributed import EvalBatches

from layout_factory import make_layout

SMALL = ["--detector", "nixnet", "--opt", "width=4", "--dataset", "provided", "--device", "cpu", "--quiet"]


def torchrun(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """``python -m torch.distributed.run --standalone --nproc_per_node 2 -m inpaintbench ARGS``."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                           "-m", "inpaintbench", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


@pytest.mark.parametrize("n, batch, world", [(7, 2, 2), (7, 3, 2), (5, 1, 3), (1, 4, 2), (0, 2, 2), (9, 2, 4)])
def test_eval_batches_count_every_image_once_in_order(n, batch, world):
    shares = [list(EvalBatches(n, batch, r, world)) for r in range(world)]
    assert [b for share in shares for b in share] == list(EvalBatches(n, batch))  # the one-process batches
    assert [i for share in shares for b in share for i in b] == list(range(n))
    assert max(map(len, shares)) - min(map(len, shares)) <= 1


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A 2-process training run of one epoch, then its resumption to a second epoch."""
    root = tmp_path_factory.mktemp("ddp")
    data = make_layout(root / "data", {"train": 6, "val": 3, "test": 7}, size=32)
    base = [*SMALL, "--data-root", str(data), "--batch-size", "2", "--crop", "0", "--run-dir", str(root / "run")]
    first = torchrun("train", *base, "--epochs", "1", cwd=root)
    second = torchrun("train", *base, "--epochs", "2", cwd=root)
    return root, data, first, second


@pytest.mark.slow
def test_two_process_training_writes_one_checkpoint_and_resumes(trained):
    import torch

    root, _, first, second = trained
    assert sorted(p.name for p in (root / "run").iterdir()) == ["best.pt", "last.pt"]
    assert first.stdout.count("trained 1 epoch(s)") == 1  # rank 0 alone prints
    last = torch.load(root / "run" / "last.pt", weights_only=True)
    assert last["epoch"] == 1 and [row["epoch"] for row in last["history"]] == [0, 1]
    # 6 train ids x 3 kinds = 18 images, 9 per rank: 5 batches of 2 per epoch (one process would take 9)
    assert last["steps"] == 10 and "trained 2 epoch(s), 10 steps" in second.stdout


@pytest.mark.slow
def test_two_process_evaluation_equals_one_process_to_the_last_digit(trained):
    root, data, _, _ = trained
    common = ["evaluate", *SMALL, "--data-root", str(data), "--batch-size", "2", "--no-overlays",
              "--checkpoint", str(root / "run" / "best.pt")]
    assert main([*common, "--output", str(root / "one.json")]) == 0
    torchrun(*common, "--output", str(root / "two.json"), cwd=root)
    one, two = (json.loads((root / f"{n}.json").read_text()) for n in ("one", "two"))
    assert json.dumps(one["metrics"], sort_keys=True) == json.dumps(two["metrics"], sort_keys=True)
    counted = two["metrics"]["test/realfake"]
    assert counted["n_images"] + counted.get("n_empty_mask", 0) == 7  # an odd count, none padded in twice
    assert two["metrics"]["test/original"]["n_authentic"] == 7
    assert (one["timing"]["processes"], two["timing"]["processes"]) == (1, 2)


@pytest.mark.slow
def test_two_process_generate_equals_one_process(tmp_path):
    import numpy as np
    from PIL import Image

    photos = tmp_path / "photos"
    photos.mkdir()
    rng = np.random.default_rng(0)
    for i in range(5):
        Image.fromarray(rng.integers(0, 256, (70, 90, 3), dtype=np.uint8)).save(photos / f"p{i}.png")
    args = ["freeform", "--source", str(photos), "--generator", "classical", "--crop-size", "48", "--quiet",
            "--device", "cpu"]
    assert main(["generate", *args, "--output-dir", str(tmp_path / "one")]) == 0
    torchrun("generate", *args, "--output-dir", str(tmp_path / "two"), cwd=tmp_path)

    def files(out: Path) -> dict[str, bytes]:
        return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}

    one, two = files(tmp_path / "one"), files(tmp_path / "two")
    assert one.keys() == two.keys() and "manifest.csv" in one
    assert [k for k in one if one[k] != two[k]] == []
