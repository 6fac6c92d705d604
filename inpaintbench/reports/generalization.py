"""The generalization matrix as tables, from result records alone (``training.train_set`` and
``training.test_set`` say which cell a result fills); ``matrix`` runs it, ``leaderboard`` shows it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from inpaintbench.reports._markdown import markdown_table
from inpaintbench.reports._rows import spec_folder


def is_matrix_result(result) -> bool:
    training = result.training or {}
    return bool(training.get("train_set") and training.get("test_set"))


def train_set(result) -> str:
    """The training set a result records (``DATASET[:KIND][@ROOT]``, or a study's own name)."""
    return str((result.training or {}).get("train_set", "?"))


def test_set(result) -> str:
    """The test set a result records, else its dataset."""
    return str((result.training or {}).get("test_set") or result.dataset)


def short_label(spec: str) -> str:
    """A set as a table shows it: ``freeform:fakefake@runs/data/bsds-freeform`` -> ``bsds-freeform (fakefake)``,
    ``universal@runs/photos/bsds`` -> ``bsds (universal)`` (the folder's name, then the kind or else the
    dataset), since whole paths make the matrix unreadable; a set without a folder stays as it is."""
    folder = spec_folder(spec)
    if not folder:
        return spec
    name, _, kind = spec.partition("@")[0].partition(":")
    return f"{folder} ({kind or name})"


def set_labels(specs: Iterable[str]) -> dict[str, str]:
    """Each set's ``short_label``, or the set as recorded where two sets' short labels would be the same."""
    specs = list(dict.fromkeys(specs))
    counts = Counter(map(short_label, specs))
    return {spec: short_label(spec) if counts[short_label(spec)] == 1 else spec for spec in specs}


def column_name(result, split: str, labels: dict[str, str] | None = None) -> str:
    """A result's column: its test set (as ``labels`` show it, default as recorded), with the split unless the
    set names its kind (then it has only that split)."""
    test = test_set(result)
    shown = (labels or {}).get(test, test)
    return shown if ":" in test.split("@")[0] else f"{shown} · {split}"


def matrix_labels(results: Sequence) -> dict[str, str]:
    """The label of every training and test set of the results (``set_labels``, one naming for both axes)."""
    return set_labels([train_set(r) for r in results] + [test_set(r) for r in results])


def matrix_cells(results: Sequence, metric: str = "iou",
                 authentic: bool = False) -> tuple[list[str], list[str], list[list[float | None]]]:
    """``(rows, columns, values)``: rows are training sets, columns test set · split, in first-seen order, both
    named by ``matrix_labels``. ``metric`` of the manipulated splits, or with ``authentic`` the pixel FPR of the
    authentic ones."""
    labels = matrix_labels(results)
    cells: dict[tuple[str, str], float | None] = {}
    rows: list[str] = []
    cols: list[str] = []
    for res in results:
        train = labels[train_set(res)]
        for split, m in res.metrics.items():
            if m["role"] != ("authentic" if authentic else "manipulated"):
                continue
            col = column_name(res, split, labels)
            rows += [train] if train not in rows else []
            cols += [col] if col not in cols else []
            cells[(train, col)] = m.get("fpr" if authentic else metric)
    return rows, cols, [[cells.get((r, c)) for c in cols] for r in rows]


def legend(results: Sequence) -> list[str]:
    """A line naming the recorded set behind each shortened label; nothing when no label was shortened."""
    shortened = [f"`{label}` = `{spec}`" for spec, label in matrix_labels(results).items() if label != spec]
    return [f"Sets: {'; '.join(shortened)}.", ""] if shortened else []


def matrix_tables(results: Sequence, metrics: Sequence[str] = ("iou", "f1", "auc")) -> list[str]:
    """Markdown tables of the matrix, one per metric, plus the authentic FPR table when present."""
    lines = legend(results)
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
