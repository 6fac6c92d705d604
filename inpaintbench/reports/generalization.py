"""The generalization matrix as tables, from result records alone (``training.train_set`` and
``training.test_set`` say which cell a result fills); ``matrix`` runs it, ``leaderboard`` shows it."""

from __future__ import annotations

from collections.abc import Sequence

from inpaintbench.reports._markdown import markdown_table


def is_matrix_result(result) -> bool:
    training = result.training or {}
    return bool(training.get("train_set") and training.get("test_set"))


def column_name(result, split: str) -> str:
    test = (result.training or {}).get("test_set") or result.dataset
    return test if ":" in test.split("@")[0] else f"{test} · {split}"


def matrix_cells(results: Sequence, metric: str = "iou",
                 authentic: bool = False) -> tuple[list[str], list[str], list[list[float | None]]]:
    """``(rows, columns, values)``: rows are training sets, columns test set · split, in first-seen order.
    ``metric`` of the manipulated splits, or with ``authentic`` the pixel FPR of the authentic ones."""
    cells: dict[tuple[str, str], float | None] = {}
    rows: list[str] = []
    cols: list[str] = []
    for res in results:
        train = (res.training or {}).get("train_set", "?")
        for split, m in res.metrics.items():
            if m["role"] != ("authentic" if authentic else "manipulated"):
                continue
            col = column_name(res, split)
            rows += [train] if train not in rows else []
            cols += [col] if col not in cols else []
            cells[(train, col)] = m.get("fpr" if authentic else metric)
    return rows, cols, [[cells.get((r, c)) for c in cols] for r in rows]


def matrix_tables(results: Sequence, metrics: Sequence[str] = ("iou", "f1", "auc")) -> list[str]:
    """Markdown tables of the matrix, one per metric, plus the authentic FPR table when present."""
    lines = []
    for metric in metrics:
        rows, cols, values = matrix_cells(results, metric)
        if rows:
            lines += [f"**{metric}** (rows: trained on; columns: tested on)", "",
                      markdown_table(["trained on \\ tested on"] + cols, [[r] + v for r, v in zip(rows, values)]), ""]
    rows, cols, values = matrix_cells(results, authentic=True)
    if rows:
        lines += ["**pixel false-positive rate on authentic images**", "",
                  markdown_table(["trained on \\ tested on"] + cols, [[r] + v for r, v in zip(rows, values)]), ""]
    return lines
