"""Prediction overlays: for a few test images, the image, its ground truth and the detector's heatmap."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from .data.imageio import atomic_write_bytes
from .data.tensors import SampleTensors, TensorProtocol
from .harness import predictions
from .metrics import confusion_counts, counts_iou


def overlay_png(detector, dataset, split: str, protocol: TensorProtocol, path: str | Path, *, n: int = 6,
                device: str = "cpu", threshold: float = 0.5, title: str = "") -> Path:
    """Write a grid PNG: one row per image (image | truth contour | heatmap | prediction at threshold)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    records = dataset.records(split)[:n]
    data = SampleTensors(dataset, records, protocol)
    rows = []
    for batch, heat in predictions(detector, data, batch_size=n, device=device, progress=False):
        heat = heat.cpu()
        ious = counts_iou(confusion_counts(heat, batch["target"], threshold, batch["valid"])).tolist()
        for i, (h, w) in enumerate(batch["size"]):  # each image without the batch's padding
            rows.append((batch["id"][i], batch["image"][i, :, :h, :w].permute(1, 2, 0).numpy(),
                         batch["target"][i, 0, :h, :w].numpy(), heat[i, 0, :h, :w].numpy(), ious[i]))
    if not rows:
        raise ValueError(f"{split}: no images to draw")
    fig, axes = plt.subplots(len(rows), 4, figsize=(10, 2.6 * len(rows)), squeeze=False)
    for r, (sid, image, truth, heat, iou) in enumerate(rows):
        panels = [(image, f"{sid}"), (image, "ground truth"), (heat, "heatmap"),
                  (image, f"pred >= {threshold}: IoU {iou:.2f}")]
        for c, (content, label) in enumerate(panels):
            ax = axes[r, c]
            ax.imshow(content, cmap="magma" if c == 2 else None, vmin=0, vmax=1)
            if c == 1 and truth.any():
                ax.contour(truth, levels=[0.5], colors="lime", linewidths=1)
            if c == 3:
                ax.imshow(np.ma.masked_where(heat < threshold, np.ones_like(heat)), cmap="autumn", alpha=0.5,
                          vmin=0, vmax=1)
                if truth.any():
                    ax.contour(truth, levels=[0.5], colors="lime", linewidths=1)
            ax.set_title(label, fontsize=8)
            ax.axis("off")
    fig.suptitle(title or split, fontsize=10)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())
    return Path(path)


def first_manipulated_split(metrics: dict) -> str | None:
    """The first split of a result's metrics whose recorded role is manipulated."""
    return next((s for s, m in metrics.items() if m["role"] == "manipulated"), None)
