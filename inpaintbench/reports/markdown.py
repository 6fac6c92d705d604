"""The one markdown helper of the reports: rows to a pipe table, and a protocol as a bullet list."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

#: The metric columns a table shows for a split, by the split's role.
ROLE_COLUMNS = {"manipulated": ("iou", "f1", "iou_pooled", "f1_pooled", "f1_best", "auc", "n_images"),
                "authentic": ("fpr", "fpr_pooled", "any_positive_rate", "n_authentic")}
#: The image-level detection columns a manipulated split shows beside its localization table.
DETECTION_COLUMNS = ("image_auc", "image_bacc", "image_tpr_at_5fpr", "image_threshold")


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def cell(value: Any) -> str:
    """How a table shows a value: floats to 3 decimals, a missing or undefined value as ``–``."""
    if _missing(value):
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A pipe table; columns holding only numbers (or nothing) are right-aligned, the others left."""
    from tabulate import tabulate

    numeric = [all(_missing(row[i]) or _number(row[i]) for row in rows) for i in range(len(header))]
    return tabulate([[cell(v) for v in row] for row in rows], headers=list(header), tablefmt="pipe",
                    disable_numparse=True, colalign=["right" if n else "left" for n in numeric])


def protocol_lines(protocol: dict[str, Any]) -> list[str]:
    """A protocol record as markdown bullets, keys sorted."""
    return [f"- **{k}**: {v}" for k, v in sorted(protocol.items())]
