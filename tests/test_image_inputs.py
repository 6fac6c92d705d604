"""Declared image inputs (the autoencoder trace): computed on the whole image once, cached on disk under
its key and the image's content, and cut with the image by crops, flips, padding and tiles."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch
from torch import nn

from inpaintbench.data.layout import LayoutDataset
from inpaintbench.evaluation._image_inputs import InputMaker
from inpaintbench.evaluation._tensors import SampleTensors, collate
from inpaintbench.evaluation.harness import predictions
from inpaintbench.evaluation.protocol import Protocol
from inpaintbench.io._feature_cache import FeatureCache
from inpaintbench.sdk import ImageInput, ModuleDetector
from inpaintbench.training._crops import CropTensors
from inpaintbench.training.trainer import TrainConfig, Trainer

from layout_factory import make_layout

#: Row and column indices are stored divided by this: exact in float16 for indices below 2048.
SCALE = 1024.0


class Position(ImageInput):
    """A map that depends on where a pixel lies in the whole image: red channel, row / 1024, column / 1024.
    A map computed on a crop or a tile instead of the whole image starts its rows and columns at 0."""

    name, channels = "position", 3
    computed = 0  # images computed, over all instances

    def __init__(self, key: str = "v1") -> None:
        self._key = key

    def key(self) -> str:
        return self._key

    def compute(self, images: torch.Tensor) -> torch.Tensor:
        Position.computed += images.shape[0]
        b, _, h, w = images.shape
        rows = torch.arange(h, dtype=torch.float32).view(1, 1, h, 1).expand(b, 1, h, w) / SCALE
        cols = torch.arange(w, dtype=torch.float32).view(1, 1, 1, w).expand(b, 1, h, w) / SCALE
        return torch.cat([images[:, :1], rows, cols], 1)


class RowNet(nn.Module):
    """Logits whose sigmoid is 0.25 + the row channel of the position input (a learnable scale on it)."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(()))
        self.seen: list[tuple] = []  # (training, *shape of the input) per call

    def forward(self, images: torch.Tensor, inputs: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
        assert inputs is not None, "the pipeline must pass the declared inputs"
        self.seen.append((self.training, *inputs["position"].shape))
        return torch.logit(0.25 + self.scale * inputs["position"][:, 1:2])


class RowDetector(ModuleDetector):
    def __init__(self, key: str = "v1") -> None:
        super().__init__(RowNet())
        self.inputs = (Position(key),)

    def image_inputs(self) -> tuple[Position, ...]:
        return self.inputs


def _data(root, inputs, split="train/fakefake", protocol=None):
    ds = LayoutDataset(root)
    return SampleTensors(ds, ds.records(split), protocol or Protocol(None), inputs=inputs)


def _window(whole: torch.Tensor, crop: torch.Tensor) -> tuple[int, int]:
    """Where ``crop`` lies in ``whole`` ([C, H, W]); the first exact match."""
    h, w = crop.shape[1:]
    for top in range(whole.shape[1] - h + 1):
        for left in range(whole.shape[2] - w + 1):
            if torch.equal(whole[:, top:top + h, left:left + w], crop):
                return top, left
    raise AssertionError("the crop is nowhere in the image")


def test_the_feature_cache_stores_checks_and_evicts_the_least_recently_used(tmp_path):
    cache = FeatureCache(tmp_path, max_bytes=10_000)
    arrays = {f"k{i}": np.full((4, 8), i, np.float16) for i in range(5)}
    assert cache.get("k0", (4, 8), np.float16) is None
    for key in ("k0", "k1", "k2"):
        assert cache.put(key, arrays[key])
    assert np.array_equal(cache.get("k1", (4, 8), np.float16), arrays["k1"])
    assert cache.get("k1", (4, 9), np.float16) is None and cache.get("k1", (4, 8), np.float32) is None
    size = cache.path("k0").stat().st_size
    for i, key in enumerate(("k1", "k2", "k0")):  # last used: k1 first, k0 last
        os.utime(cache.path(key), (1000 + i, 1000 + i))
    cache.max_bytes = int(3.5 * size)
    cache.put("k3", arrays["k3"])  # four entries: over budget, the least recently used go until 80 % of it
    assert {p.stem for _, _, p in cache.entries()} == {"k0", "k3"}
    assert cache.disk_usage() == 2 * size <= 0.8 * cache.max_bytes
    cache.get("k0", (4, 8), np.float16)
    assert cache.path("k0").stat().st_mtime > 1002  # a hit marks it as recently used
    cache.path("k0").write_bytes(b"not an array")  # damaged: a miss, rewritten by the next put
    assert cache.get("k0", (4, 8), np.float16) is None
    assert not FeatureCache(tmp_path, max_bytes=10).put("big", arrays["k4"])  # larger than the whole budget
    with pytest.raises(ValueError):
        cache.path("../escape")


def test_training_crops_of_the_inputs_are_crops_of_the_whole_image_map_flips_and_padding_alike(tmp_path):
    root = make_layout(tmp_path / "d", {"train": 3}, size=40)
    maker = InputMaker((Position(),), cache=FeatureCache(tmp_path / "cache"))
    whole = _data(root, maker)
    crops = CropTensors(_data(root, maker), 24, ("flip",), seed=3)
    flipped = 0
    for index in range(len(crops)):
        for epoch in range(3):
            crops.epoch = epoch
            item = crops[index]
            image, pos = item["image"], item["inputs"]["position"]
            assert pos.shape == (3, 24, 24)
            assert torch.equal(pos[0], image[0].half().float())  # the map and the image agree pixel for pixel
            dims = [d for d, turned in ((1, pos[1, 0, 0] > pos[1, -1, 0]), (2, pos[2, 0, 0] > pos[2, 0, -1])) if turned]
            flipped += len(dims)
            image, pos = image.flip(dims), pos.flip(dims)  # undo the flips
            top, left = int(pos[1, 0, 0] * SCALE), int(pos[2, 0, 0] * SCALE)  # the window in the whole image
            full = whole[index]
            assert torch.equal(full["image"][:, top:top + 24, left:left + 24], image)
            assert torch.equal(full["inputs"]["position"][:, top:top + 24, left:left + 24], pos)
    assert flipped > 0
    small = make_layout(tmp_path / "s", {"train": 1}, size=20)
    batch = collate([CropTensors(_data(small, maker), 24)[0], crops[0]])
    assert batch["inputs"]["position"].shape == (2, 3, 24, 24)
    assert torch.equal(batch["inputs"]["position"][0, 1, 19:, 0], torch.full((5,), 19 / SCALE))  # edge replicated


def test_the_trace_a_model_trains_on_is_the_crop_of_the_whole_image_trace(tmp_path):
    """The choice documented in NIXNET.md: not the round trip of the crop, which differs at its border."""
    from inpaintbench.baselines.nixnet import NIXNetDetector

    (trace,) = NIXNetDetector(width=4, residual="aerecon").image_inputs()
    root = make_layout(tmp_path / "d", {"train": 1}, size=48)
    cache = FeatureCache(tmp_path / "cache")
    item = CropTensors(_data(root, InputMaker((trace,), cache=cache)), 24, seed=1)[0]
    image = _data(root, None)[0]["image"]
    top, left = _window(image, item["image"])
    whole_trace = trace.stored(image[None])[0]
    assert torch.equal(item["inputs"]["aetrace"], whole_trace[:, top:top + 24, left:left + 24])
    crop_trace = trace.stored(item["image"][None])[0]
    assert not torch.equal(crop_trace, item["inputs"]["aetrace"])
    again = InputMaker((trace,), cache=cache)  # a new run: read from the cache, the same numbers
    cached = CropTensors(_data(root, again), 24, seed=1)[0]
    assert again.hits == 1 and again.misses == 0
    assert torch.equal(cached["inputs"]["aetrace"], item["inputs"]["aetrace"])
    assert "taef2_encoder.pth" in trace.key() and "10a4e1021e89d755" in trace.key()  # keyed on the weights sha256


def test_a_changed_image_or_input_key_misses_and_attacked_images_are_not_stored(tmp_path):
    from inpaintbench.evaluation._attack_spec import parse_attacks

    root = make_layout(tmp_path / "d", {"train": 2}, size=24)
    cache = FeatureCache(tmp_path / "cache")
    first = InputMaker((Position("v1"),), cache=cache)
    data = _data(root, first)
    [data[i] for i in range(2)]
    assert (first.hits, first.misses) == (0, 2) and len(cache.entries()) == 2
    [data[i] for i in range(2)]
    assert (first.hits, first.misses) == (0 + 2, 2)
    other_key = InputMaker((Position("v2"),), cache=cache)  # e.g. another autoencoder's weights
    _data(root, other_key)[0]
    assert (other_key.hits, other_key.misses) == (0, 1)
    on_gpu = InputMaker((Position("v1"),), cache=cache)
    on_gpu.key_device = "cuda"  # as if a GPU had computed it (float16 there): not the CPU's entry
    _data(root, on_gpu)[0]
    assert (on_gpu.hits, on_gpu.misses) == (0, 1)
    worker = on_gpu.on("cpu")  # a loader worker reads what its main process computed
    _data(root, worker)[0]
    assert (worker.hits, worker.misses) == (1, 1)
    resized = InputMaker((Position("v1"),), cache=cache)  # other pixels: another key
    _data(root, resized, protocol=Protocol(16))[0]
    assert (resized.hits, resized.misses) == (0, 1)
    attacked = InputMaker((Position("v1"),), cache=cache)
    before = len(cache.entries())
    protocol = Protocol(None, attack=parse_attacks("jpeg:quality=50")[0])
    item = _data(root, attacked, protocol=protocol)[0]
    assert attacked.misses == 1 and len(cache.entries()) == before  # computed on the attacked image, not stored
    assert torch.equal(item["inputs"]["position"][0], item["image"][0].half().float())


def test_evaluation_tiles_cut_the_whole_image_map(tmp_path, monkeypatch):
    monkeypatch.setenv("INPAINTBENCH_CACHE", str(tmp_path / "cache"))
    root = make_layout(tmp_path / "d", {"test": 2}, size=48)
    det = RowDetector()

    def heat(protocol):
        data = _data(root, None, "test/fakefake", protocol)
        return torch.cat([h for _, h in predictions(det, data, batch_size=2, progress=False)])

    whole = heat(Protocol(None))
    tiled = heat(Protocol(None, max_pixels=24 * 24, tile_overlap=8))
    rows = torch.arange(48, dtype=torch.float32).view(1, 1, 48, 1) / SCALE
    torch.testing.assert_close(whole, (0.25 + rows).expand(2, 1, 48, 48))
    torch.testing.assert_close(tiled, whole)  # a tile's own map would restart its rows at 0
    assert any(shape[-2:] != (48, 48) for shape in det.module.seen)  # it did run on tiles


def test_an_evaluation_counts_the_inputs_it_computed_and_those_it_read_from_the_cache(tmp_path, monkeypatch):
    from collections import Counter

    from inpaintbench.evaluation._attack_spec import parse_attacks
    from inpaintbench.evaluation.harness import evaluate

    monkeypatch.setenv("INPAINTBENCH_CACHE", str(tmp_path / "cache"))
    root = make_layout(tmp_path / "d", {"test": 3}, size=32)
    images, distinct = 3 * 3, 2 * 3  # realfake, fakefake (the same pixels in this layout) and originals

    def tally(detector, **protocol):
        counts: Counter = Counter()
        evaluate(detector, LayoutDataset(root), protocol=Protocol(None, **protocol), tally=counts)
        return dict(counts)

    assert tally(RowDetector()) == {"computed": distinct, "from_cache": images - distinct}
    assert tally(RowDetector()) == {"computed": 0, "from_cache": images}  # the seconds paid for the forward only
    assert tally(RowDetector(key="v2"))["computed"] == distinct  # another key: computed again
    protocol = {"attack": parse_attacks("jpeg:quality=50")[0]}
    assert tally(RowDetector(), **protocol) == {"computed": images, "from_cache": 0}  # attacked: never cached


@pytest.mark.filterwarnings("ignore:.*collapsed")
def test_the_trainer_passes_crops_of_the_cached_inputs_and_computes_them_once(tmp_path, monkeypatch):
    monkeypatch.setenv("INPAINTBENCH_CACHE", str(tmp_path / "cache"))
    root = make_layout(tmp_path / "d", {"train": 4, "val": 2}, size=32)
    config = TrainConfig(epochs=2, batch_size=4, lr=1e-3, crop=16, progress=False)
    Position.computed = 0
    det = RowDetector()
    report = Trainer(det, LayoutDataset(root), config, Protocol(None), tmp_path / "a").run()
    stored = 2 * (4 + 2)  # distinct images of train and val (this layout's realfake and fakefake are the same)
    assert Position.computed == stored
    trained = [shape[1:] for shape in det.module.seen if shape[0]]
    assert len(trained) == report.steps and set(trained) == {(4, 3, 16, 16)}  # training batches: crops of the maps
    assert {shape[-2:] for shape in det.module.seen if not shape[0]} == {(32, 32)}  # validation: whole images
    assert report.data["image_inputs"]["inputs"]["position"] == {"channels": 3, "key": "v1"}
    Trainer(RowDetector(), LayoutDataset(root), config, Protocol(None), tmp_path / "b").run()
    assert Position.computed == stored  # the second run read every map from the cache


def test_a_failing_transform_or_image_input_names_the_file(tmp_path):
    from inpaintbench.sdk.errors import PluginFailure

    class Broken(Position):
        def compute(self, images):
            raise ValueError("no trace today")

    root = make_layout(tmp_path / "d", {"train": 1}, size=24)
    data = _data(root, InputMaker((Broken(),)))
    with pytest.raises(PluginFailure, match=r"fakefake.*preparing the image failed.*ValueError: no trace today"):
        data[0]
    data = _data(root, None)
    data.transform = lambda sample, rng: 1 / 0
    with pytest.raises(PluginFailure, match=r"\.(png|webp|jpg).*ZeroDivisionError"):
        data[0]
