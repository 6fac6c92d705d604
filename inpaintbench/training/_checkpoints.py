"""Loading a state dict into a detector with a one-line summary when it does not fit (another width,
another architecture), instead of torch's message listing every key."""

from __future__ import annotations

from typing import Any

from inpaintbench.sdk.errors import CheckpointError

#: How many keys of each kind the summary names.
SHOWN = 3


def shape(value: Any) -> str:
    return "x".join(str(n) for n in getattr(value, "shape", ())) or "scalar"


def state_dict_mismatch(expected: dict[str, Any], given: dict[str, Any]) -> str:
    """What differs between a model's state dict and the one given, in one line ('' when the keys
    and shapes agree): tensors of other shapes, missing keys and unexpected keys, a few of each."""
    resized = [k for k in expected if k in given and tuple(getattr(expected[k], "shape", ()))
               != tuple(getattr(given[k], "shape", ()))]
    missing = [k for k in expected if k not in given]
    unexpected = [k for k in given if k not in expected]
    parts = []
    if resized:
        shown = "; ".join(f"{k}: file {shape(given[k])}, model {shape(expected[k])}" for k in resized[:SHOWN])
        parts.append(f"{len(resized)} of other shapes ({shown}{'; ...' if len(resized) > SHOWN else ''})")
    for count, keys, what in ((len(missing), missing, "missing"), (len(unexpected), unexpected, "unexpected")):
        if keys:
            parts.append(f"{count} {what} ({', '.join(keys[:SHOWN])}{', ...' if count > SHOWN else ''})")
    return f"of {len(expected)} tensors, " + ", ".join(parts) if parts else ""


def load_weights(detector: Any, state: dict[str, Any], source: str) -> None:
    """``detector.load_state_dict(state)``; weights that do not fit raise a ``CheckpointError`` of one
    line naming ``source`` (the file) and the mismatched keys and shapes."""
    try:
        detector.load_state_dict(state)
    except RuntimeError as exc:
        try:
            summary = state_dict_mismatch(detector.state_dict(), state)
        except Exception:  # a plugin whose state_dict fails: fall back on torch's first line
            summary = ""
        summary = summary or str(exc).strip().splitlines()[0]
        raise CheckpointError(f"{source}: weights do not fit this detector (another width or architecture?): "
                              f"{summary}") from exc
