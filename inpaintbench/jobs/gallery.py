"""The gallery beside a result: the k manipulated images where the detector does worst and the k where it
does best, each as image, ground truth, heatmap and prediction at the threshold, titled with its id,
slice values and metric. The images are chosen from the evaluation's per-image metrics and predicted
again (under the same attack and seed), so the evaluation itself keeps no heatmaps."""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from inpaintbench.evaluation.harness import predictions
from inpaintbench.evaluation.protocol import Execution, Protocol
from inpaintbench.evaluation.slices import SplitImages, column_values
from inpaintbench.evaluation.tensors import SampleTensors
from inpaintbench.io.atomic import atomic_write_bytes
from inpaintbench.sdk.contracts import as_detector

#: The per-image metrics a gallery can rank by.
GALLERY_METRICS = ("iou", "f1_best")
DEFAULT_GALLERY_K = 4


@dataclass(frozen=True)
class GalleryImage:
    """One chosen image: its split, position in the split's records, id, metric and slice values."""

    rank: str
    split: str
    index: int
    id: str
    value: float
    slice_values: dict[str, str]


def choose(per_image: dict[str, SplitImages], k: int = DEFAULT_GALLERY_K, metric: str = "iou",
           columns: Sequence[str] = ()) -> list[GalleryImage]:
    """The ``k`` worst then the ``k`` best scored manipulated images (non-empty ground truth) of all splits,
    by ``metric``, ties broken by the other gallery metric, then evaluation order. ``columns`` (default
    ``mask_size``) go in the titles."""
    if metric not in GALLERY_METRICS:
        from inpaintbench.sdk.registry import unknown_name_error

        raise unknown_name_error("gallery metrics", metric, list(GALLERY_METRICS))
    shown = list(columns) or ["mask_size"]
    tie_break = next(m for m in GALLERY_METRICS if m != metric)
    pool = []
    for split, images in per_image.items():
        per = images.state.per_image()
        values, ties = per[metric].tolist(), per[tie_break].tolist()
        counts, _, manipulated = images.state.tensors()
        labels = {c: column_values(images, c) for c in shown}
        for i, info in enumerate(images.images):
            if bool(manipulated[i]) and int(counts[i, 0] + counts[i, 2]) > 0 and not math.isnan(values[i]):
                pool.append(((values[i], ties[i]), split, info.index, info.id, {c: labels[c][i] for c in shown}))
    ordered = sorted(range(len(pool)), key=lambda n: pool[n][0])
    worst = ordered[:k]
    best = [n for n in reversed(ordered) if n not in worst][:k]
    return ([GalleryImage(f"worst {r + 1}", *pool[n][1:4], pool[n][0][0], pool[n][4]) for r, n in enumerate(worst)]
            + [GalleryImage(f"best {r + 1}", *pool[n][1:4], pool[n][0][0], pool[n][4]) for r, n in enumerate(best)])


def gallery_png(detector, dataset, chosen: Sequence[GalleryImage], protocol: Protocol, run: Execution,
                path: str | Path, *, metric: str = "iou", title: str = "") -> Path:
    """Predict the chosen images again (under the protocol's attack, with the run's seed) and write one row
    per image (image | truth | heatmap | prediction at the protocol's threshold)."""
    if not chosen:
        raise ValueError("no scored manipulated images to draw")
    rows = []
    for split in dict.fromkeys(c.split for c in chosen):
        mine = [c for c in chosen if c.split == split]
        records = dataset.records(split)
        data = SampleTensors(dataset, [records[c.index] for c in mine], protocol, seed=run.seed,
                             facts=as_detector(detector).observes_files)
        drawn = iter(mine)
        for batch, heat in predictions(detector, data, batch_size=len(mine), device=run.device, progress=False):
            heat = heat.cpu()
            for i, (h, w) in enumerate(batch["size"]):  # each image without the batch's padding
                rows.append((next(drawn), batch["image"][i, :, :h, :w].permute(1, 2, 0).numpy(),
                             batch["target"][i, 0, :h, :w].numpy(), heat[i, 0, :h, :w].numpy()))
    order = {id(c): n for n, c in enumerate(chosen)}
    rows.sort(key=lambda row: order[id(row[0])])
    _draw(rows, path, metric, protocol.threshold, title)
    return Path(path)


def _caption(item: GalleryImage, metric: str) -> str:
    """Rank and metric, id and split, then the slice values, wrapped to the panel's width."""
    values = ", ".join(f"{k}={v}" for k, v in item.slice_values.items())
    return "\n".join([f"{item.rank}: {metric} {item.value:.2f}", f"{item.id} ({item.split})",
                      *textwrap.wrap(values, 40)])


def _draw(rows: list, path: str | Path, metric: str, threshold: float, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(rows), 4, figsize=(10, 2.9 * len(rows)), squeeze=False)
    for r, (item, image, truth, heat) in enumerate(rows):
        panels = [(image, _caption(item, metric)), (image, "ground truth"), (heat, "heatmap"),
                  (image, f"pred >= {threshold}")]
        for c, (content, label) in enumerate(panels):
            ax = axes[r, c]
            ax.imshow(content, cmap="magma" if c == 2 else None, vmin=0, vmax=1)
            if c == 3:
                ax.imshow(np.ma.masked_where(heat < threshold, np.ones_like(heat)), cmap="autumn", alpha=0.5,
                          vmin=0, vmax=1)
            if c in (1, 3) and truth.any():
                ax.contour(truth, levels=[0.5], colors="lime", linewidths=1)
            ax.set_title(label, fontsize=7)
            ax.axis("off")
    fig.suptitle(title, fontsize=10)
    height = fig.get_size_inches()[1]
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.35 / height))  # room for the title above the first row
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())
