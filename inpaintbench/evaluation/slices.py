"""Slices of a split: its images grouped by one column (a manifest column the dataset gives each
record, or a derived bucket of mask or image size), each group measured from the split's per-image
metric state (``MetricState.select``), so a slice costs no second pass over the images."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import reduce
from typing import Any

import torch

from inpaintbench.evaluation._extremes import Extremes
from inpaintbench.evaluation.metric_presets import DEFAULT_CONVENTION
from inpaintbench.evaluation.metrics import MetricState
from inpaintbench.sdk.contracts import SplitName

#: What a slice's metrics are; recorded with every result that has slices.
AGGREGATION = ("each value's metrics are the split's metrics (same conventions, see the protocol) over the "
               "split's images whose column has that value; n counts every image of the slice, n_images "
               "the scored manipulated ones, so a slice's mean times its n_images, summed over the values, "
               "is the split's mean times its n_images; <part>/* is the part's manipulated splits taken "
               "together (their metric states merged)")
#: The kind of a part's manipulated splits taken together in ``slices`` (``test/*``).
ALL_KINDS = "*"
#: The value of an image that has no such column.
MISSING = "none"


@dataclass(frozen=True)
class ImageInfo:
    """What the harness keeps of one measured image beside its metric state: where it came from
    (``index`` into ``dataset.records(split)``), its measured size and its record's columns."""

    id: str
    split: str
    kind: str
    index: int
    height: int
    width: int
    columns: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass
class SplitImages:
    """One evaluated split: its metric state and, in the same order, what is known of each image; with
    ``extremes``, the pixels of the images a gallery may show (kept while the split was evaluated)."""

    state: MetricState
    images: list[ImageInfo]
    extremes: Extremes | None = None


def mask_fractions(state: MetricState) -> torch.Tensor:
    """Each image's ground-truth share of its valid pixels, as measured (binarized, at the metric size)."""
    counts, _, _ = state.tensors()
    total = counts.sum(1).double()
    return (counts[:, 0] + counts[:, 2]).double() / total.clamp_min(1)


def _bucket(value: float, edges: Sequence[tuple[float, str]], last: str) -> str:
    return next((label for edge, label in edges if value < edge), last)


MASK_SIZE_EDGES = ((0.02, "<2%"), (0.10, "2-10%"), (0.30, "10-30%"))
IMAGE_SIZE_EDGES = ((257, "<=256px"), (513, "257-512px"), (1025, "513-1024px"), (2049, "1025-2048px"))


def mask_size(fraction: float, info: ImageInfo) -> str:
    return "empty" if fraction == 0 else _bucket(fraction, MASK_SIZE_EDGES, ">=30%")


def image_size(fraction: float, info: ImageInfo) -> str:
    return _bucket(max(info.height, info.width), IMAGE_SIZE_EDGES, ">2048px")


@dataclass(frozen=True)
class DerivedColumn:
    """A column computed from the measurement itself; ``order`` lists its values smallest first."""

    definition: str
    order: tuple[str, ...]
    value: Callable[[float, ImageInfo], str]


DERIVED_COLUMNS = {
    "mask_size": DerivedColumn(
        "share of the image's measured pixels that are inpainted in the binarized ground truth: empty (0), "
        "<2%, 2-10%, 10-30%, >=30%", ("empty", "<2%", "2-10%", "10-30%", ">=30%"), mask_size),
    "image_size": DerivedColumn(
        "longer side of the image as measured (after any protocol resize): <=256px, 257-512px, 513-1024px, "
        "1025-2048px, >2048px", ("<=256px", "257-512px", "513-1024px", "1025-2048px", ">2048px"), image_size),
}


def parse_columns(text: str | Sequence[str] | None) -> list[str]:
    """``"generator,mask_size"`` (or a list of such) as column names, in order, each once."""
    if not text:
        return []
    parts = [text] if isinstance(text, str) else list(text)
    return list(dict.fromkeys(c.strip() for p in parts for c in p.split(",") if c.strip()))


def available_columns(manifest_columns: Sequence[str]) -> list[str]:
    """The columns a split can be sliced by: the derived ones, then the dataset's own."""
    return list(DERIVED_COLUMNS) + sorted(set(manifest_columns) - set(DERIVED_COLUMNS))


def dataset_columns(dataset: Any, split: str) -> list[str]:
    """The columns the dataset gives the records of ``split``, read from the first record that loads."""
    from inpaintbench.data.imageio import DataError

    for record in dataset.records(split):
        try:
            meta = dataset.load(record).meta
        except DataError:
            continue
        return [k for k, v in meta.items() if isinstance(v, (str, int, float, bool))]
    return []


def check_columns(columns: Sequence[str], manifest_columns: Sequence[str]) -> None:
    """Raise naming the columns that exist when one of ``columns`` is not among them."""
    from inpaintbench.sdk.registry import unknown_name_error

    known = available_columns(manifest_columns)
    for column in columns:
        if column not in known:
            raise unknown_name_error("slice columns", column, known)


def column_values(split: SplitImages, column: str) -> list[str]:
    """Each image's value of ``column`` (derived columns shadow a manifest column of the same name)."""
    derived = DERIVED_COLUMNS.get(column)
    if derived is not None:
        fractions = mask_fractions(split.state).tolist()
        return [derived.value(f, info) for f, info in zip(fractions, split.images)]
    return [str(info.columns.get(column, MISSING)) for info in split.images]


def _ordered(values: Sequence[str], column: str) -> list[str]:
    derived = DERIVED_COLUMNS.get(column)
    if derived is not None:
        return [v for v in derived.order if v in values]
    return sorted(values)


def slice_split(split: SplitImages, columns: Sequence[str],
                convention: str = DEFAULT_CONVENTION) -> dict[str, dict[str, dict[str, Any]]]:
    """``{column: {value: metrics}}`` of one split under the split's metrics ``convention``; every value
    present is reported, with its ``n``."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for column in columns:
        groups: dict[str, list[int]] = defaultdict(list)
        for i, value in enumerate(column_values(split, column)):
            groups[value].append(i)
        out[column] = {value: {"n": len(groups[value]), **split.state.select(groups[value]).compute(convention)}
                       for value in _ordered(list(groups), column)}
    return out


def pooled_parts(per_image: dict[str, SplitImages]) -> dict[str, SplitImages]:
    """Each part's manipulated splits merged into one, ``<part>/*``, where the part has several: e.g. a
    generated set's per-kind generators side by side in one per-generator table of the whole part."""
    groups: dict[str, list[SplitImages]] = defaultdict(list)
    for split, images in per_image.items():
        name = SplitName.parse(split)
        if name.role == "manipulated":
            groups[name.part].append(images)
    return {f"{part}/{ALL_KINDS}": SplitImages(reduce(MetricState.merge, (m.state for m in members)),
                                               [info for m in members for info in m.images])
            for part, members in groups.items() if len(members) > 1}


def slicing_record(columns: Sequence[str]) -> dict[str, Any]:
    """What a result records about its slices: the columns, how each derived one is defined, the aggregation."""
    return {"by": list(columns), "aggregation": AGGREGATION,
            "definitions": {c: DERIVED_COLUMNS[c].definition if c in DERIVED_COLUMNS else "the dataset's column"
                            for c in columns}}

