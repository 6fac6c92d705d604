"""The one list of generated datasets: each name, the mask generator it uses and its description.

Read by the dataset factories (``data.datasets``), the ``generate`` job and the CLI's help; it
imports nothing heavy, so ``list`` stays fast.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class GeneratedDataset:
    """A dataset that ``generate`` builds from real photos: its masks and what it is."""

    name: str
    masks: str
    description: str
    mask_options: dict[str, Any] = field(default_factory=dict)


GENERATED_DATASETS: dict[str, GeneratedDataset] = {d.name: d for d in (
    GeneratedDataset("freeform", "brush", "Free-form brush masks (DeepFill v2 strokes) on real photos"),
    GeneratedDataset("object", "object", "Object-shaped masks from segmentations on real photos",
                     {"segmenter": "felzenszwalb"}),
    GeneratedDataset("rect", "rect", "Blurred rectangles (the provided recipe) on new photos"),
)}


def generated_dataset(name: str) -> GeneratedDataset:
    """The catalogue entry of ``name``, or a did-you-mean error listing the generated datasets."""
    if name not in GENERATED_DATASETS:
        from inpaintbench.sdk.registry import unknown_name_error

        raise unknown_name_error("datasets", name, sorted(GENERATED_DATASETS))
    return GENERATED_DATASETS[name]
