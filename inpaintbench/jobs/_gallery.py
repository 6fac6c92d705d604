"""The gallery beside a result: the k manipulated images where the detector does worst and the k where it
does best, each as image, ground truth, heatmap and prediction at the threshold, titled with its id,
slice values and metric. The images are chosen from the evaluation's per-image metrics and drawn from
the pixels the evaluation kept of its candidates while it ran (``evaluation._extremes``): no image is
predicted twice."""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from inpaintbench.evaluation._extremes import GALLERY_METRICS, tie_break
from inpaintbench.evaluation.slices import SplitImages, column_values
from inpaintbench.io._atomic import atomic_write_bytes

__all__ = ["GALLERY_METRICS", "DEFAULT_GALLERY_K", "GalleryImage", "choose", "gallery_png"]
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
    pool = []
    for split, images in per_image.items():
        per = images.state.per_image()
        values, ties = per[metric].tolist(), per[tie_break(metric)].tolist()
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


def gallery_png(per_image: dict[str, SplitImages], chosen: Sequence[GalleryImage], threshold: float,
                path: str | Path, *, metric: str = "iou", title: str = "") -> Path:
    """Write one row per chosen image (image | truth | heatmap | prediction at ``threshold``) from the
    pixels the evaluation kept (``evaluate(..., gallery=(k, metric))``): no second prediction."""
    if not chosen:
        raise ValueError("no scored manipulated images to draw")
    rows = []
    for item in chosen:
        extremes = per_image[item.split].extremes
        if extremes is None:
            raise ValueError(f"split {item.split} was evaluated without keeping gallery candidates")
        kept = extremes.get(item.index)
        rows.append((item, kept.image.astype(np.float32) / 255, kept.truth, kept.heat))
    _draw(rows, path, metric, threshold, title)
    return Path(path)


def _caption(item: GalleryImage, metric: str) -> str:
    """Rank and metric, id and split, then the slice values, wrapped to the panel's width."""
    values = ", ".join(f"{k}={v}" for k, v in item.slice_values.items())
    return "\n".join([f"{item.rank}: {metric} {item.value:.2f}", f"{item.id} ({item.split})",
                      *textwrap.wrap(values, 40)])


def _draw(rows: list, path: str | Path, metric: str, threshold: float, title: str) -> None:
    """Write the gallery PNG of ``rows`` (see ``_figure``)."""
    import matplotlib.pyplot as plt

    fig = _figure(rows, metric, threshold, title)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())


def gallery_title(rows: list, metric: str, title: str) -> str:
    """``title``, then how many worst and best images the rows show (counted, not asked for)."""
    worst = sum(item.rank.startswith("worst") for item, *_ in rows)
    best = len(rows) - worst
    shown = (f"all {worst} scored image(s), worst first" if not best else f"{worst} worst and {best} best")
    return f"{title}: {shown}, by {metric}" if title else f"{shown}, by {metric}"


def _figure(rows: list, metric: str, threshold: float, title: str):
    """One row per image: image (captioned), ground truth, heatmap with its colour bar, prediction at the
    threshold; titled with what is shown."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(rows), 4, figsize=(10.5, 3.1 * len(rows)), squeeze=False)
    for r, (item, image, truth, heat) in enumerate(rows):
        panels = [(image, _caption(item, metric)), (image, "ground truth"), (heat, "heatmap"),
                  (image, f"pred >= {threshold}")]
        for c, (content, label) in enumerate(panels):
            ax = axes[r, c]
            shown = ax.imshow(content, cmap="magma" if c == 2 else None, vmin=0, vmax=1)
            if c == 2:
                fig.colorbar(shown, ax=ax, fraction=0.046, pad=0.03).ax.tick_params(labelsize=6)
            if c == 3:
                ax.imshow(np.ma.masked_where(heat < threshold, np.ones_like(heat)), cmap="autumn", alpha=0.5,
                          vmin=0, vmax=1)
            if c in (1, 3) and truth.any():
                ax.contour(truth, levels=[0.5], colors="lime", linewidths=1)
            ax.set_title(label, fontsize=7)
            ax.set(xticks=[], yticks=[])  # no tick artists at all: a third of the drawing time, all hidden
            ax.axis("off")
    fig.suptitle(gallery_title(rows, metric, title), fontsize=10)
    height = fig.get_size_inches()[1]
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.35 / height))  # room for the title above the first row
    return fig
