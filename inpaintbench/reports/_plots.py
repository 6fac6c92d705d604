"""PNG figures from result-derived numbers (never from models): robustness curves and heatmaps.

matplotlib runs on the Agg backend and every figure is written atomically.
"""

from __future__ import annotations

import io
import math
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from inpaintbench.io._atomic import atomic_write_bytes
from inpaintbench.jobs.results import slug
from inpaintbench.reports.robustness import Curve


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> Path:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    _pyplot().close(fig)
    atomic_write_bytes(path, buf.getvalue())
    return path


def robustness_figures(curves: Sequence[Curve], out_dir: str | Path, prefix: str = "robustness") -> list[Path]:
    """One PNG per attack family: metric on y, strength on x (stronger to the right), one line per
    model and split; the clean value is drawn at the neutral strength with an open marker."""
    plt = _pyplot()
    by_family: dict[str, list[Curve]] = defaultdict(list)
    for curve in curves:
        by_family[curve.family].append(curve)
    paths = []
    for family, members in sorted(by_family.items()):
        datasets = {c.dataset for c in members}
        fig, ax = plt.subplots(figsize=(5.6, 3.8))
        for curve in members:
            xs = [v for v, m, _ in curve.points if m is not None]
            ys = [m for v, m, _ in curve.points if m is not None]
            name = curve.label + (f" · {curve.dataset}" if len(datasets) > 1 else "") + f" · {curve.split}"
            line, = ax.plot(xs, ys, marker="o", label=name)
            if curve.clean is not None and curve.neutral is not None and xs:
                ax.plot([curve.neutral, xs[0]], [curve.clean, ys[0]], linestyle=":", color=line.get_color())
                ax.plot([curve.neutral], [curve.clean], marker="o", markerfacecolor="white",
                        color=line.get_color())
        first = members[0]
        values = [v for c in members for v, _, _ in c.points]
        if first.neutral is not None and values and sum(values) / len(values) < first.neutral:
            ax.invert_xaxis()  # e.g. JPEG quality: lower quality is the stronger attack
        ax.set_xlabel(f"{first.strength} (stronger →; open marker: clean)")
        ax.set_ylabel(first.metric)
        ax.set_title(f"{family}: {first.metric} vs {first.strength}")
        finite = [m for c in members for _, m, _ in c.points if m is not None] + \
                 [c.clean for c in members if c.clean is not None]
        if finite and all(0 <= m <= 1 for m in finite):
            ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="best")
        paths.append(_save(fig, Path(out_dir) / f"{prefix}-{slug(family)}.png"))
    return paths


def heatmap(values: Sequence[Sequence[float | None]], rows: Sequence[str], columns: Sequence[str],
            path: str | Path, title: str, xlabel: str = "", ylabel: str = "") -> Path:
    """An annotated heatmap (0..1 colour scale for metrics in that range); missing cells are blank."""
    import numpy as np

    plt = _pyplot()
    data = np.array([[np.nan if v is None else float(v) for v in row] for row in values], dtype=float)
    fig, ax = plt.subplots(figsize=(1.2 + 1.1 * len(columns), 1.0 + 0.6 * len(rows)))
    finite = data[~np.isnan(data)]
    unit = finite.size and finite.min() >= 0 and finite.max() <= 1
    image = ax.imshow(data, cmap="viridis", vmin=0 if unit else None, vmax=1 if unit else None, aspect="auto")
    ax.set_xticks(range(len(columns)), labels=list(columns), rotation=35, ha="right", fontsize=8)
    ax.set_yticks(range(len(rows)), labels=list(rows), fontsize=8)
    for i in range(data.shape[0]):
        for j in range(data.shape[1]):
            if not math.isnan(data[i, j]):
                light = unit and data[i, j] < 0.5
                ax.text(j, i, f"{data[i, j]:.2f}", ha="center", va="center", fontsize=8,
                        color="white" if light else "black")
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    return _save(fig, Path(path))
