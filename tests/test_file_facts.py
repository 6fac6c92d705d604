"""Detectors that observe files: the harness tells them each stored file's facts (path, JPEG tables)
before it predicts that image alone, at its own size; attacks keep the facts true to the pixels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

import inpaintbench as ib
from inpaintbench.attacks.jpeg import JPEG
from inpaintbench.attacks.resize import Resize
from inpaintbench.baselines.jpeg_quality import quality_of_tables
from inpaintbench.data.datasets import pairs
from inpaintbench.evaluation.harness import evaluate_split
from inpaintbench.evaluation.protocol import DEFAULT_PROTOCOL, Execution, Protocol
from inpaintbench.sdk.contracts import BaseDetector, as_detector

SIZES = {"a.jpg": (24, 40), "b.png": (32, 20), "c.jpg": (16, 16)}


class Recorder(BaseDetector):
    """Remembers what it observed and the shape of every predict call."""

    observes_files = True

    def __init__(self) -> None:
        self.seen: list[dict] = []
        self.calls: list[tuple[tuple[int, ...], list[str]]] = []

    def observe(self, files):
        self.seen = list(files)

    def predict(self, images):
        self.calls.append((tuple(images.shape), [Path(f["path"]).name for f in self.seen]))
        return torch.full_like(images[:, :1], 0.5)


def dataset(root: Path):
    rng = np.random.default_rng(0)
    lines = ["image,mask,split"]
    for name, (h, w) in SIZES.items():
        options = {"quality": 83 if name == "a.jpg" else 61} if name.endswith(".jpg") else {}
        Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(root / name, **options)
        mask = np.zeros((h, w), np.uint8)
        mask[2:8, 3:9] = 255
        Image.fromarray(mask).save(root / f"m_{name}.png")
        lines.append(f"{name},m_{name}.png,test")
    (root / "pairs.csv").write_text("\n".join(lines) + "\n")
    return pairs(data_root=str(root / "pairs.csv"))


RUN = Execution(batch_size=3, progress=False)


def observed_qualities(detector: Recorder, ds, protocol: Protocol = DEFAULT_PROTOCOL) -> dict[str, int | None]:
    split = ds.splits()[0]
    facts: dict[str, int | None] = {}
    original = detector.observe

    def spy(files):
        facts.update({Path(f["path"]).name: quality_of_tables(f["jpeg_qtables"]) for f in files})
        original(files)

    detector.observe = spy
    evaluate_split(detector, ds, split, protocol=protocol, run=RUN)
    return facts


def test_each_image_is_predicted_alone_at_its_size_after_its_facts(tmp_path):
    detector = Recorder()
    assert observed_qualities(detector, dataset(tmp_path)) == {"a.jpg": 83, "b.png": None, "c.jpg": 61}
    assert sorted(detector.calls) == sorted(((1, 3, h, w), [name]) for name, (h, w) in SIZES.items())


def test_attacks_keep_the_facts_true_to_the_pixels(tmp_path):
    ds = dataset(tmp_path)
    assert set(observed_qualities(Recorder(), ds, Protocol(attack=JPEG(quality=70))).values()) == {70}
    assert set(observed_qualities(Recorder(), ds, Protocol(attack=Resize(scale=0.5))).values()) == {None}
    # a resize for the network leaves no JPEG grid either; the image already at that size keeps its tables
    resized = observed_qualities(Recorder(), ds, Protocol(image_size=16))
    assert resized == {"a.jpg": None, "b.png": None, "c.jpg": 61}


def test_what_a_detector_learns_while_evaluating_is_recorded_in_the_result(tmp_path):
    class Counting(Recorder):
        def info(self):
            return {"options": {}, **({"files_seen": len(self.calls)} if self.calls else {})}

    detector = Counting()
    assert "files_seen" not in detector.info()
    result = ib.evaluate(detector, dataset(tmp_path))
    assert result.detector_info["files_seen"] == 3


def test_detectors_that_do_not_observe_get_the_padded_batch(tmp_path):
    class Plain:
        def __init__(self):
            self.shapes = []

        def predict(self, images):
            self.shapes.append(tuple(images.shape))
            return torch.zeros_like(images[:, :1])

    plain = Plain()
    ds = dataset(tmp_path)
    evaluate_split(plain, ds, ds.splits()[0], run=RUN)
    assert plain.shapes == [(3, 3, 32, 40)]
    assert not as_detector(plain).observes_files


def test_a_plain_detector_with_observe_is_given_the_facts():
    class PlainObserver:
        def __init__(self):
            self.files = None

        def observe(self, files):
            self.files = files

        def predict(self, images):
            return torch.zeros_like(images[:, :1])

    inner = PlainObserver()
    wrapped = as_detector(inner)
    assert wrapped.observes_files
    wrapped.observe([{"path": "x", "jpeg_qtables": None}])
    assert inner.files == [{"path": "x", "jpeg_qtables": None}]
