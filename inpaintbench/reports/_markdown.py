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


def n_text(ns: Sequence[int]) -> str:
    """``n=4``, or ``n=3-4`` when the results counted differ: the images a table cell or column stands on."""
    ns = sorted(set(ns))
    return f"n={ns[0]}" if len(ns) == 1 else f"n={ns[0]}-{ns[-1]}"


#: Cells measured on fewer images than this are shown in italics with their n and never marked as a win.
SMALL_CELL = 5


def _shown(value: Any) -> float:
    """A number as a table shows it (``cell``), so that cells that print alike compare alike."""
    return float(cell(value))


def best_shown(values: Sequence[Any], ns: Sequence[int | None],
               competes: Sequence[bool] | None = None, chance: float | None = None) -> float | None:
    """The highest value as shown among cells of at least ``SMALL_CELL`` images (and, given ``competes``, of
    the rows that compete: a reference floor does not); ``None`` when fewer than two such cells compete, all
    of them show the same value (a tie of everyone is no win), or the best does not beat a floor's value or
    ``chance`` (e.g. 0.5 for an AUC)."""
    competes = competes if competes is not None else [True] * len(values)
    shown = [_shown(v) for v, n, c in zip(values, ns, competes)
             if c and _number(v) and not _missing(v) and (n or 0) >= SMALL_CELL]
    floors = [_shown(v) for v, c in zip(values, competes) if not c and _number(v) and not _missing(v)]
    floors += [] if chance is None else [chance]
    if len(shown) < 2 or min(shown) == max(shown) or (floors and max(shown) <= max(floors)):
        return None
    return max(shown)


def _is_best(value: Any, best: float | None) -> bool:
    """Whether a cell shows the column's best value (``best_shown``; ``None``: no cell wins)."""
    return best is not None and _number(value) and _shown(value) == best


def ranked_cells(values: Sequence[Any], ns: Sequence[int | None], bold: bool = True,
                 with_n: bool = False, competes: Sequence[bool] | None = None,
                 chance: float | None = None) -> list[str]:
    """One column's cells as text: every cell of at least ``SMALL_CELL`` images tied at the best value as shown
    in bold (see ``best_shown``), cells of fewer images in italics; ``bold=False`` marks no win (a column with
    no better direction, e.g. a false-positive rate, which a detector that flags nothing would win);
    ``with_n`` adds each cell's n; ``competes`` (default: every row) names the rows that can win (a reference
    floor such as ``all-positive`` is shown, never bolded, and does not hide a win); no cell at or below a
    floor or ``chance`` wins."""
    competes = competes if competes is not None else [True] * len(values)
    best = best_shown(values, ns, competes, chance) if bold else None
    out = []
    for value, n, competing in zip(values, ns, competes):
        text = cell(value)
        if not _missing(value):
            small = (n or 0) < SMALL_CELL
            text = f"_{text}_" if small else f"**{text}**" if competing and _is_best(value, best) else text
        out.append(f"{text} (n={n})" if with_n and n is not None else text)
    return out


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A pipe table; columns holding only numbers (or nothing) are right-aligned, the others left."""
    from tabulate import tabulate

    numeric = [all(_missing(row[i]) or _number(row[i]) for row in rows) for i in range(len(header))]
    return tabulate([[cell(v) for v in row] for row in rows], headers=list(header), tablefmt="pipe",
                    disable_numparse=True, colalign=["right" if n else "left" for n in numeric])


def protocol_lines(protocol: dict[str, Any]) -> list[str]:
    """A protocol record as markdown bullets, keys sorted."""
    return [f"- **{k}**: {v}" for k, v in sorted(protocol.items())]
