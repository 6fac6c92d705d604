"""The data fingerprint: a short hash of a dataset's record list and of the size and modification time
of every file the records name, so that cached results and resumed runs notice data changed in place."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from typing import Any

#: Record fields written into the fingerprint as they are; other values (arrays of an in-memory
#: dataset) by their type only.
SCALARS = (str, int, float, bool, type(None))


def _file_entry(path: str | os.PathLike) -> list[Any]:
    """``[path, size, mtime_ns]`` of a file (size and time ``None`` when it is missing)."""
    try:
        stat = os.stat(path)
    except OSError:
        return [str(path), None, None]
    return [str(path), stat.st_size, stat.st_mtime_ns]


def _value(value: Any) -> Any:
    """A path (or an absolute path string naming a file) as ``[path, size, mtime_ns]``, a nested record
    by its fields, a scalar as itself, anything else by its type only."""
    if isinstance(value, os.PathLike) or (isinstance(value, str) and os.path.isabs(value) and os.path.isfile(value)):
        return _file_entry(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _record_entry(value)
    return value if isinstance(value, SCALARS) else type(value).__name__


def _record_entry(record: Any) -> Any:
    """A JSON-able description of a record (a dataclass, dict, named tuple or plain object): its fields,
    each file among them stat'ed; never an object's address, which would differ on every run."""
    if dataclasses.is_dataclass(record) and not isinstance(record, type):
        fields = {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}
    elif isinstance(record, dict):
        fields = dict(record)
    elif hasattr(record, "_asdict"):
        fields = record._asdict()
    elif hasattr(record, "__dict__"):
        fields = vars(record)
    else:
        return _value(record)
    return {str(k): _value(v) for k, v in sorted(fields.items(), key=lambda kv: str(kv[0]))}


def data_fingerprint(dataset: Any) -> str:
    """16 hex digits that change when a record is added, removed or renamed, or a file it names is
    rewritten (size or modification time); equal for untouched data."""
    digest = hashlib.sha256()
    for split in dataset.splits():
        for record in dataset.records(split):
            digest.update(json.dumps([split, _record_entry(record)], sort_keys=True, default=str).encode())
            digest.update(b"\n")
    return digest.hexdigest()[:16]


def data_change(recorded: str | None, current: str) -> str | None:
    """Why something made from data fingerprinted ``recorded`` no longer fits data fingerprinted
    ``current``; ``None`` when it still fits."""
    if recorded is None:
        return "it records no data fingerprint"
    if recorded != current:
        return f"the data changed since (fingerprint {recorded}, now {current})"
    return None
