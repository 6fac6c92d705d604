"""The leaderboard's "Published detectors" section: the methods of the literature (cards marked
``published``) side by side, with what their cards say (paper, licence of code and weights, what they
were designed for) and, per protocol, their numbers on every set and their speed."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence

from inpaintbench.jobs.results import Result, data_heading, option_labels
from inpaintbench.reports._markdown import cell, markdown_table
from inpaintbench.reports._protocol_ids import ProtocolIds
from inpaintbench.reports._rows import card_of_result, weights_entries

#: The metrics shown per set: (header, key, role of the split).
COLUMNS = (("pixel AUC", "auc", "manipulated"), ("IoU", "iou", "manipulated"), ("F1-best", "f1_best", "manipulated"),
           ("FPR", "fpr", "authentic"))


def published_section(results: Iterable[Result], ids: ProtocolIds | None = None) -> list[str]:
    """Markdown: the published detectors' cards in one table, then per protocol and metric a table with
    the detectors as rows and every ``dataset · split`` as columns; clean results only."""
    chosen = [r for r in results if not r.attack and card_of_result(r).get("published")]
    if not chosen:
        return []
    ids = ids or ProtocolIds(chosen)
    labels = option_labels(chosen)
    lines = ["## Published detectors", "",
             "Methods of the literature, each written from its paper and run with its authors' weights where "
             "they exist; they were designed for camera, JPEG or noise traces, not for generator traces, so "
             "read their rows as how those traces fare on inpainted images.", "",
             card_table(chosen, labels), ""]
    by_protocol: dict[str, list[Result]] = defaultdict(list)
    for res in chosen:
        by_protocol[ids.of(res.protocol)].append(res)
    for pid, members in sorted(by_protocol.items()):
        for header, key, role in COLUMNS:
            table = metric_table(members, labels, key, role)
            if table:
                lines += [f"### {header} · {pid}", "", table, ""]
    return lines


def speed_text(seconds: Sequence[float]) -> str | None:
    """Seconds per megapixel over a detector's results as ``median (min–max)``, since one detector's speed can
    differ 30-fold between sets; one value alone, ``None`` when no result was timed."""
    if not seconds:
        return None
    low, high = min(seconds), max(seconds)
    median = cell(float(statistics.median(seconds)))
    return median if low == high else f"{median} ({cell(float(low))}–{cell(float(high))})"


def card_table(results: list[Result], labels: dict[int, str]) -> str:
    """One row per detector: reference, licence, designed for, weights entries (of every variant), seconds
    per megapixel (median and range over its results, ``speed_text``)."""
    rows, seen = [], set()
    for res in results:
        name = res.detector
        if name in seen:
            continue
        seen.add(name)
        card = card_of_result(res)
        mine = [r for r in results if r.detector == name]
        speed = [s for s in (r.timing.get("seconds_per_megapixel") for r in mine) if isinstance(s, (int, float))]
        entries = ", ".join(entry["entry"] for entry in weights_entries(mine))
        rows.append([name, card.get("reference", "").split(",")[0], card.get("licence", ""),
                     card.get("designed_for", ""), entries or "none", speed_text(speed)])
    return markdown_table(["detector", "paper", "licence", "designed for", "weights", "s / MP median (range)"],
                          rows)


def metric_table(results: list[Result], labels: dict[int, str], key: str, role: str) -> str:
    """Detectors (variants apart) as rows, ``dataset · split`` of ``role`` as columns, ``n`` in the header."""
    cells: dict[str, dict[str, object]] = defaultdict(dict)
    counts: dict[str, int] = {}
    for res in results:
        for split, metrics in res.metrics.items():
            if metrics.get("role") != role or key not in metrics:
                continue
            column = f"{data_heading(res)} · {split}"
            cells[labels[id(res)]][column] = metrics[key]
            counts[column] = metrics.get("n_images" if role == "manipulated" else "n_authentic") or 0
    if not cells:
        return ""
    columns = sorted(counts)
    header = ["detector"] + [f"{c} (n={counts[c]})" for c in columns]
    return markdown_table(header, [[label] + [row.get(c) for c in columns] for label, row in sorted(cells.items())])
