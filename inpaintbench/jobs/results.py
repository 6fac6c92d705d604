"""Result records: one self-describing JSON per evaluation, enough to rebuild any leaderboard."""

from __future__ import annotations

import hashlib
import json
import math
import platform
import re
import secrets
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from inpaintbench.evaluation.image_records import ImageRecords
from inpaintbench.evaluation.metric_presets import DEFAULT_CONVENTION
from inpaintbench.evaluation.protocol import Protocol
from inpaintbench.io._atomic import atomic_write_bytes
from inpaintbench.sdk.contracts import SplitName
from inpaintbench.sdk.errors import UserError

SCHEMA = "inpaintbench-result-1"
REQUIRED_SPLIT_KEYS = ("iou", "f1", "iou_pooled", "f1_pooled", "f1_best", "auc", "n_images")


@dataclass
class Result:
    """What one ``evaluate`` / ``run`` produced, with the protocol it was measured under."""

    detector: str
    dataset: str
    protocol: dict[str, Any]
    metrics: dict[str, dict[str, Any]]
    checkpoint: str | None = None
    detector_info: dict[str, Any] = field(default_factory=dict)
    dataset_info: dict[str, Any] = field(default_factory=dict)
    environment: dict[str, Any] = field(default_factory=dict)
    timing: dict[str, float] = field(default_factory=dict)
    training: dict[str, Any] | None = None
    attack: str | None = None
    #: The per-image records file beside this JSON (its name), written by ``write_result``.
    records: str | None = None
    #: ``{split: {column: {value: metrics}}}`` and what they are (``slices.slicing_record``).
    slices: dict[str, dict[str, dict[str, dict[str, Any]]]] = field(default_factory=dict)
    slicing: dict[str, Any] = field(default_factory=dict)
    created: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    schema: str = SCHEMA
    #: The per-image records themselves (not part of the JSON): rows in memory, or the file read beside it.
    image_records: ImageRecords | None = field(default=None, repr=False, compare=False)

    def to_json(self) -> str:
        record = asdict(self)
        del record["image_records"]
        return json.dumps(_clean(record), indent=2, sort_keys=False, allow_nan=False)

    # --- in a notebook ------------------------------------------------------------------------------
    def title(self) -> str:
        """Detector, dataset and its data (folder, fingerprint), and the attack: what this result measured."""
        data = data_label(self)
        head = f"{self.detector} on {self.dataset}" + (f" ({data})" if data else "")
        return head + (f" under {self.attack}" if self.attack else "")

    def __repr__(self) -> str:
        """One line: ``title()`` and each split's headline metric with its n."""
        return f"Result({self.title()}: " + "; ".join(_headline(s, m) for s, m in self.metrics.items()) + ")"

    def metrics_frame(self) -> Any:
        """A pandas ``DataFrame`` with one row per split (index: the split) and a column per metric."""
        import pandas as pd

        frame = pd.DataFrame.from_dict({split: dict(m) for split, m in self.metrics.items()}, orient="index")
        frame.index.name = "split"
        for column in [c for c in frame.columns if c.startswith("n_") or c.startswith("image_n_")]:
            frame[column] = pd.to_numeric(frame[column]).round().astype("Int64")  # counts stay whole numbers
        return frame

    def to_dataframe(self) -> Any:
        """The per-image records as a pandas ``DataFrame``, one row per measured image: id, split, kind,
        sizes, mask fraction, per-image metrics, image score and the dataset's own columns."""
        if self.image_records is None:
            raise ResultFileError(f"result of {self.detector} on {self.dataset} has no per-image records "
                                  f"(records file: {self.records or 'none'})")
        return self.image_records.frame()

    def _repr_html_(self) -> str:
        """A notebook's view: who on what data under which protocol, then a metrics table per split."""
        from html import escape

        import pandas as pd

        shown = [c for c in HTML_COLUMNS if any(c in m for m in self.metrics.values())]
        cells = {split: {c: _html_cell(c, m) for c in shown} for split, m in self.metrics.items()}
        frame = pd.DataFrame.from_dict(cells, orient="index", columns=shown)
        frame.index.name = "split"
        what = escape(self.title())
        protocol = escape(Protocol.from_record(self.protocol).summary())
        weights = escape(str((self.detector_info or {}).get("weights") or "none recorded"))
        return f"<p><b>{what}</b><br>protocol: {protocol}<br>weights: {weights}</p>" + frame.to_html()


#: The metrics a notebook's table shows per split, those a split has.
HTML_COLUMNS = ("role", "iou", "f1", "f1_best", "auc", "image_auc", "image_bacc", "image_tpr_at_5fpr", "fpr",
                "any_positive_rate", "n_images", "n_authentic", "n_empty_mask")


def _headline(split: str, m: dict[str, Any]) -> str:
    """A split's main figure for a one-line view: IoU and AUC (FPR on authentic images), with its n."""
    def number(key: str) -> str:
        value = m.get(key)
        return f"{value:.3f}" if isinstance(value, (int, float)) else "–"

    if m.get("role") == "authentic":
        return f"{split} FPR {number('fpr')} n={m.get('n_authentic', 0)}"
    if "iou" not in m:  # a preset's metrics
        return f"{split} f1 {number('f1')} n={m.get('n_images', 0)}"
    return f"{split} IoU {number('iou')} AUC {number('auc')} n={m.get('n_images', 0)}"


def _html_cell(key: str, m: dict[str, Any]) -> str:
    """One metric as a notebook's table shows it: 3 decimals, whole counts, ``–`` where undefined, and a bAcc
    whose threshold decides nothing said in words."""
    value = m.get(key)
    if key == "image_bacc" and m.get("image_threshold_outside"):
        return f"none (threshold {m['image_threshold_outside']})"
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _clean(value: Any) -> Any:
    """JSON has no NaN: undefined metrics are written as null."""
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def environment(device: str) -> dict[str, Any]:
    """Versions and hardware that a reader needs to judge a number."""
    import numpy
    import torch
    import torchvision

    env = {"python": sys.version.split()[0], "platform": platform.platform(), "torch": torch.__version__,
           "torchvision": torchvision.__version__, "numpy": numpy.__version__, "device": device}
    try:
        from importlib.metadata import version

        env["inpaintbench"] = version("inpaintbench")
    except Exception:
        env["inpaintbench"] = "unknown"
    if device.startswith("cuda") and torch.cuda.is_available():
        env["gpu"] = torch.cuda.get_device_name(torch.device(device))
    else:
        env["cpu_threads"] = torch.get_num_threads()
    return env


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_result(result: Result, path: str | Path) -> Path:
    """Write the result JSON, and its per-image records beside it (named in the JSON); under torchrun
    on rank 0 alone (every rank holds the same result), so that any job may call it on every rank."""
    from inpaintbench.io.distributed import is_main

    path = Path(path)
    if not is_main():
        return path
    if result.image_records is not None:
        result.records = result.image_records.write_beside(path)
    atomic_write_bytes(path, result.to_json().encode("utf-8"))
    return path


class ResultFileError(UserError, ValueError):
    """A result JSON that does not parse or lacks what a result must hold."""


def read_result(path: str | Path) -> Result:
    """Load and check a result JSON; a missing key or schema names the file.

    Upgrade of older files: results written before splits recorded their role get it here, once,
    from the split name's kind (``SplitName.parse(name).role``); results written before the metrics
    convention was named were measured under ours, and their protocol says so here.
    """
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: result file not found") from None
    except IsADirectoryError:
        raise ResultFileError(f"{path}: a folder, not a result file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ResultFileError(f"{path}: not a result JSON file (not valid JSON text: {exc})") from exc
    if not isinstance(raw, dict):
        raise ResultFileError(f"{path}: not a result JSON file (a JSON {type(raw).__name__}, not an object)")
    if raw.get("schema") != SCHEMA:
        raise ResultFileError(f"{path}: schema {raw.get('schema')!r} is not {SCHEMA!r}")
    missing = [k for k in ("detector", "dataset", "protocol", "metrics") if k not in raw]
    if missing:
        raise ResultFileError(f"{path}: missing keys {missing}")
    raw["metrics"] = {split: m if "role" in m else {"role": SplitName.parse(split).role, **m}
                      for split, m in raw["metrics"].items()}
    raw["protocol"] = {"metrics_convention": DEFAULT_CONVENTION, **raw["protocol"]}
    known = set(Result.__dataclass_fields__) - {"image_records"}
    result = Result(**{k: v for k, v in raw.items() if k in known})
    beside = Path(path).parent / result.records if result.records else None
    if beside is not None and beside.is_file():
        result.image_records = ImageRecords(source=beside)
    return result


def result_files(items: Iterable[str | Path]) -> list[Path]:
    """The given files, and for a folder every ``*.json`` under it (sorted)."""
    paths: list[Path] = []
    for item in items:
        path = Path(item)
        paths.extend(sorted(path.rglob("*.json")) if path.is_dir() else [path])
    return paths


def read_results(items: Iterable[str | Path]) -> tuple[list[tuple[Path, Result]], list[Path]]:
    """``(path, result)`` of the given files and of the result JSONs in the given folders, and the other JSON
    files found in those folders (left out). A given file that is no result, or no result at all, is a
    ``ResultFileError`` (one line)."""
    found: list[tuple[Path, Result]] = []
    others: list[Path] = []
    items = list(items)
    for item in items:
        path = Path(item)
        if not path.is_dir():
            found.append((path, read_result(path)))
            continue
        for candidate in sorted(path.rglob("*.json")):
            try:
                found.append((candidate, read_result(candidate)))
            except ResultFileError:
                others.append(candidate)
    if not found:
        where = ", ".join(str(i) for i in items)
        skipped = f" ({len(others)} other JSON file(s), e.g. {others[0]})" if others else ""
        raise ResultFileError(f"no result JSON files in {where}{skipped}")
    return found, others


#: What a result records about one run rather than about the measurement: left out when telling identical
#: results apart (a stress run's clean.json copying an evaluation, a cached pass written twice).
RUN_ONLY_KEYS = ("created", "timing", "environment", "records")


def measurement_key(result: Result) -> str:
    """The result's content without what belongs to one run (``RUN_ONLY_KEYS``): equal for identical results."""
    record = json.loads(result.to_json())
    return json.dumps({k: v for k, v in record.items() if k not in RUN_ONLY_KEYS}, sort_keys=True)


def unique_results(named: Iterable[tuple[Path, Result]]) -> tuple[list[tuple[Path, Result]], dict[Path, Path]]:
    """The results with identical ones (``measurement_key``) kept once, the first of them; and each left-out
    file with the kept file it repeats."""
    kept: dict[str, Path] = {}
    unique, repeats = [], {}
    for path, result in named:
        key = measurement_key(result)
        if key in kept:
            repeats[path] = kept[key]
        else:
            kept[key] = path
            unique.append((path, result))
    return unique, repeats


def data_heading(result: Result) -> str:
    """The dataset as a table names it: its name and the data it was (folder, fingerprint); results of one
    name on other folders or other data never share a table or a column."""
    data = data_label(result)
    return f"{result.dataset} ({data})" if data else result.dataset


def data_label(result: Result) -> str:
    """Which data a result measured, as a leaderboard names it: the data folder's name and the first 8 digits
    of the data fingerprint (empty when the result records neither)."""
    info = result.dataset_info or {}
    folder = Path(str(info["root"])).name if info.get("root") else ""
    fingerprint = str(info.get("fingerprint") or "")[:8]
    return ", ".join(part for part in (folder, f"data {fingerprint}" if fingerprint else "") if part)


def slug(text: str) -> str:
    """The file-name-safe form of a name, spec or label; a path inside it becomes a short hash of the path."""
    text = re.sub(r"[^=:+,@]*/[^=:+,@]*", lambda m: "p" + hashlib.sha1(m.group().encode()).hexdigest()[:8], text)
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "x"


def default_result_path(detector: str, dataset: str) -> Path:
    """``results/<detector>-<dataset>-<UTC time to the microsecond>-<random>.json``, a name no file has:
    two evaluations started at once never share it."""
    while True:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%f")
        path = Path("results") / f"{slug(detector)}-{slug(dataset)}-{stamp}-{secrets.token_hex(3)}.json"
        if not path.exists():
            return path


def option_labels(results: Iterable[Result]) -> dict[int, str]:
    """Per result (by ``id``): the detector name, plus the options in which it differs from other
    results of the same detector (``nixnet residual=aerecon``), so that variants stay apart. Options
    that some variant leaves unset (``None``) follow from another option and are not shown."""
    by_name: dict[str, list[Result]] = defaultdict(list)
    for res in results:
        by_name[res.detector].append(res)
    labels = {}
    for name, members in by_name.items():
        options = [dict((r.detector_info or {}).get("options") or {}) for r in members]
        keys = sorted({k for o in options for k in o if len({str(x.get(k)) for x in options}) > 1
                       and all(x.get(k) is not None for x in options)})
        for res, opts in zip(members, options):
            extra = " ".join(f"{k}={opts.get(k)}" for k in keys)
            labels[id(res)] = f"{name} {extra}".strip()
    return labels


def model_key(result) -> str:
    """Which model and measurement a result belongs to: detector, weights, dataset, protocol."""
    info = result.detector_info or {}
    return json.dumps({"detector": result.detector, "options": info.get("options"),
                       "checkpoint_sha256": info.get("checkpoint_sha256"), "dataset": result.dataset,
                       "root": (result.dataset_info or {}).get("root"),
                       "protocol": Protocol.from_record(result.protocol).base().record()}, sort_keys=True, default=str)
