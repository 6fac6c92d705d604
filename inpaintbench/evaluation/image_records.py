"""Per-image records of an evaluation: one row per measured image (no pixels) with its metrics at the
threshold, f1_best, pixel AUC, image score, mask fraction, size buckets, attack and the record's own
columns; written beside the result JSON as Parquet (pandas with pyarrow) or else CSV."""

from __future__ import annotations

import importlib.util
import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inpaintbench.evaluation.slices import DERIVED_COLUMNS, SplitImages, column_values, mask_fractions
from inpaintbench.io._atomic import atomic_write_bytes

#: The per-image metrics every row holds (``MetricState.per_image``), besides the image score.
ROW_METRICS = ("iou", "f1", "precision", "recall", "f1_best", "auc", "fpr", "empty_prediction")
#: Columns every row has before the record's own; a record column of the same name is left out.
BASE_COLUMNS = ("id", "split", "kind", "height", "width", "manipulated", "mask_fraction", *DERIVED_COLUMNS,
                *ROW_METRICS, "image_score", "attack")


def _number(value: float) -> float | None:
    return None if math.isnan(value) else value


def split_rows(split: SplitImages, attack: str | None) -> list[dict[str, Any]]:
    """The rows of one evaluated split, in the order its images were measured."""
    per = {k: v.tolist() for k, v in split.state.per_image().items()}
    scores = split.state.image_scores().tolist()
    fractions = mask_fractions(split.state).tolist()
    _, _, manipulated = split.state.tensors()
    derived = {c: column_values(split, c) for c in DERIVED_COLUMNS}
    rows = []
    for i, info in enumerate(split.images):
        row: dict[str, Any] = {"id": info.id, "split": info.split, "kind": info.kind, "height": info.height,
                               "width": info.width, "manipulated": bool(manipulated[i]),
                               "mask_fraction": fractions[i], **{c: derived[c][i] for c in DERIVED_COLUMNS}}
        row.update({k: _number(per[k][i]) for k in ROW_METRICS})
        row["image_score"] = _number(scores[i])
        row["attack"] = attack or ""
        row.update({k: v for k, v in info.columns.items() if k not in BASE_COLUMNS})
        rows.append(row)
    return rows


def _parquet(frame: Any) -> bytes:
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


def _csv(frame: Any) -> bytes:
    return frame.to_csv(index=False).encode("utf-8")


#: File formats by suffix, preferred first; Parquet only when pyarrow is installed.
WRITERS: dict[str, Callable[[Any], bytes]] = {".parquet": _parquet, ".csv": _csv}


def records_format() -> str:
    """The suffix records are written with here: ``.parquet`` with pyarrow installed, else ``.csv``."""
    return ".parquet" if importlib.util.find_spec("pyarrow") is not None else ".csv"


def records_name(result_path: str | Path, suffix: str) -> Path:
    """``results/x.json`` -> ``results/x.records.<suffix>``."""
    path = Path(result_path)
    return path.with_name(f"{path.stem}.records{suffix}")


def write_rows(rows: list[dict[str, Any]], path: str | Path) -> Path:
    """Write rows atomically in the format of ``path``'s suffix."""
    import pandas as pd

    path = Path(path)
    atomic_write_bytes(path, WRITERS[path.suffix](pd.DataFrame(rows, columns=_columns(rows))))
    return path


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys([*BASE_COLUMNS, *(k for row in rows for k in row)]))


@dataclass
class ImageRecords:
    """A result's per-image records: rows still in memory, or a file already written (``source``)."""

    rows: list[dict[str, Any]] | None = None
    source: Path | None = None

    def frame(self) -> Any:
        """The records as a pandas ``DataFrame``, one row per image (read from ``source`` when written)."""
        import pandas as pd

        if self.rows is not None:
            return pd.DataFrame(self.rows, columns=_columns(self.rows))
        if self.source is None:
            raise ValueError("image records hold neither rows nor a file")
        return pd.read_parquet(self.source) if self.source.suffix == ".parquet" else pd.read_csv(self.source)

    def write_beside(self, result_path: str | Path) -> str:
        """Write (or copy) the records beside ``result_path``; return the file's name."""
        if self.rows is not None:
            return write_rows(self.rows, records_name(result_path, records_format())).name
        if self.source is None:
            raise ValueError("image records hold neither rows nor a file")
        target = records_name(result_path, self.source.suffix)
        if target.resolve() != self.source.resolve():
            atomic_write_bytes(target, self.source.read_bytes())
        return target.name
