"""The leaderboard's "Real generators" section, from result JSONs alone: every detector on the ``wild`` set of
real inpaintings, overall (with the false-positive rate on the originals) and per autoencoder family and
generator, n in every header; cells of fewer than ``SMALL_CELL`` images in italics, never bolded as wins."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from inpaintbench.evaluation.protocol import Protocol
from inpaintbench.jobs.results import Result, option_labels
from inpaintbench.reports._markdown import SMALL_CELL, markdown_table, ranked_cells
from inpaintbench.reports._protocol_ids import ProtocolIds
from inpaintbench.reports._rows import anchor, is_floor, spec_folder, training_data
from inpaintbench.sdk.contracts import SplitName

#: The dataset the section reads (by the name its results record), and the columns it breaks down by.
DATASET = "wild"
COLUMNS = ("autoencoder", "generator")
#: The localization metrics of every table: (header, metric key); higher is better for each.
METRICS = (("pixel AUC", "auc"), ("F1-best", "f1_best"), ("IoU", "iou"))
INTRO = ("Every detector on `wild`: real outputs of public inpainting models (their repositories' example files: "
         "SD1.5, SDXL and FLUX.1 latent diffusion, GAN and pixel-space inpainters) with pixel masks, and the "
         "pre-edit originals where a pixel-aligned one exists. Evaluation only: no model here was trained or tuned "
         "on it. Per-image means at the stored size; the best detector of a column is bolded only among cells of "
         f"at least {SMALL_CELL} images, every detector tied at the shown value in bold and none when all tie; "
         "cells of fewer are in italics: too few images to rank detectors. The false-positive rate is never "
         "bolded: a detector that flags nothing has the lowest. A reference floor (`all-positive`: every pixel "
         "marked) is shown for scale and never bolded, and no cell at or below it is bolded: an IoU or F1 not "
         "above its row means nothing.")


def is_wild(result: Result) -> bool:
    """Whether a result was measured on the wild set (by the dataset name it recorded)."""
    return (result.dataset_info or {}).get("name") == DATASET


def _split_of(result: Result, role: str) -> tuple[str | None, dict[str, Any]]:
    """The result's first split of ``role`` and its metrics (``None`` and nothing when it has none)."""
    for split, metrics in result.metrics.items():
        if metrics.get("role", SplitName.parse(split).role) == role:
            return split, metrics
    return None, {}


def row_labels(results: Sequence[Result]) -> dict[int, str]:
    """``option_labels``, with the training set added where one label names several models (the same detector
    and options trained on other data), so that rows of tables without a training column stay apart."""
    labels = option_labels(results)
    counts = Counter(labels.values())
    for res in results:
        if counts[labels[id(res)]] > 1 and (res.training or {}):
            labels[id(res)] += f" · {trained_on(res)}"
    return labels


def trained_on(result: Result) -> str:
    """A short name of a model's training data: the matrix training set, else the training dataset's folder."""
    training = result.training or {}
    if training.get("train_set"):
        return str(training["train_set"])
    data = str((training.get("data") or {}).get("dataset") or "")
    return spec_folder(data) or data or "trained"


def _label(result: Result, labels: dict[int, str]) -> str:
    return f"[{labels[id(result)]}](#{anchor(result.detector)})"


def overall_table(results: Sequence[Result]) -> str:
    """Rows: detectors, best pixel AUC first; columns: the localization metrics on the manipulated images, their
    n, the pixel false-positive rate on the originals and its n, and the image-level AUC."""
    labels = row_labels(results)
    order = sorted(results, key=lambda r: -(_split_of(r, "manipulated")[1].get("auc") or -1.0))
    fake = [_split_of(r, "manipulated")[1] for r in order]
    real = [_split_of(r, "authentic")[1] for r in order]
    n_fake, n_real = [m.get("n_images") for m in fake], [m.get("n_authentic") for m in real]
    competes = [not is_floor(r) for r in order]
    columns = [ranked_cells([m.get(key) for m in fake], n_fake, competes=competes) for _, key in METRICS]
    columns.append(ranked_cells([m.get("fpr") for m in real], n_real, bold=False))  # flagging nothing wins it
    # the image AUC weighs both sides: it is as small as its smaller side
    columns.append(ranked_cells([m.get("image_auc") for m in fake], [min(a or 0, b or 0) for a, b in
                                                                    zip(n_fake, n_real)], competes=competes))
    header = ["detector", "training data", *[h for h, _ in METRICS], "n", "FPR on originals", "n originals",
              "image AUC"]
    rows = [[_label(r, labels), training_data(r), *[c[i] for c in columns[:3]], n_fake[i], columns[3][i],
             n_real[i], columns[4][i]] for i, r in enumerate(order)]
    return markdown_table(header, rows)


def slice_values(results: Sequence[Result], split: str, column: str) -> list[tuple[str, int]]:
    """The column's values with their n (the most any result gives), largest first, then by name."""
    counts: dict[str, int] = {}
    for res in results:
        for value, metrics in res.slices.get(split, {}).get(column, {}).items():
            counts[value] = max(counts.get(value, 0), int(metrics.get("n_images", metrics.get("n", 0)) or 0))
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def by_column_table(results: Sequence[Result], split: str, column: str, metric: str) -> str | None:
    """Rows: detectors (in the given order); columns: the values of ``column`` headed with their n, small ones
    marked; cells: ``metric`` of that slice. ``None`` when no result was sliced by ``column``."""
    values = slice_values(results, split, column)
    if not values:
        return None
    labels = row_labels(results)
    cells = []
    for value, _ in values:
        got = [res.slices.get(split, {}).get(column, {}).get(value, {}) for res in results]
        cells.append(ranked_cells([m.get(metric) for m in got], [m.get("n_images", m.get("n")) for m in got],
                                  competes=[not is_floor(res) for res in results]))
    header = ["detector"] + [f"{v} (n={n}{', small' if n < SMALL_CELL else ''})" for v, n in values]
    rows = [[_label(res, labels)] + [c[i] for c in cells] for i, res in enumerate(results)]
    return markdown_table(header, rows)


def real_generators_section(results: Sequence[Result], ids: ProtocolIds | None = None) -> list[str]:
    """Per protocol: the overall table, then per breakdown column a table per metric (see the module)."""
    wild = [r for r in results if is_wild(r) and not r.attack]
    if not wild:
        return []
    ids = ids or ProtocolIds(wild)
    groups: dict[str, list[Result]] = defaultdict(list)
    for res in wild:
        groups[Protocol.from_record(res.protocol).key()].append(res)
    lines = ["## Real generators", "", INTRO, ""]
    for _, members in sorted(groups.items(), key=lambda kv: int(ids.of(kv[1][0].protocol)[1:])):
        pid = ids.of(members[0].protocol)
        members.sort(key=lambda r: -(_split_of(r, "manipulated")[1].get("auc") or -1.0))
        lines += [f"### wild · {pid} · overall", "", overall_table(members), ""]
        split = _split_of(members[0], "manipulated")[0]
        for column in COLUMNS:
            for header, metric in METRICS:
                table = by_column_table(members, split, column, metric) if split else None
                if table:
                    lines += [f"### wild · {split} · {pid} · {header} by {column}", "", table, ""]
    return lines
