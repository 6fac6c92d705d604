"""Where the benchmark keeps what it builds for itself: one cache root for every job."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

from inpaintbench.sdk import env


def cache_root() -> Path:
    """``$INPAINTBENCH_CACHE``, else ``$XDG_CACHE_HOME/inpaintbench``, else ``~/.cache/inpaintbench``."""
    root = env.CACHE.get()
    if root:
        return Path(root)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "inpaintbench"


#: An absolute POSIX path inside a recorded string: a ``/`` that starts the string or follows a
#: separator (space, ``=``, ``@``, ``:``, ``,``, a quote or a bracket), then path characters.
_ABSOLUTE = re.compile(r"(?:(?<=^)|(?<=[\s=@:,'\"(\[]))/[^\s,'\")\]]+")


def portable_path(path: str | os.PathLike, base: str | os.PathLike | None = None) -> str:
    """How a path is recorded: relative to ``base`` (default: the working directory) when it lies
    under it or beside it (``../shared/...``); else its last two parts behind ``<abs:HASH>/``, a short
    hash of the full path, so that no machine's layout is written yet two paths stay distinct."""
    target = Path(os.path.abspath(path))
    anchor = Path(os.path.abspath(base if base is not None else os.getcwd()))
    for ups, root in enumerate((anchor, anchor.parent)):
        if target == root or root in target.parents:
            rel = target.relative_to(root).as_posix()
            return "/".join([".."] * ups + ([rel] if rel != "." else [])) or "."
    digest = hashlib.sha1(str(target).encode()).hexdigest()[:8]
    return f"<abs:{digest}>/" + "/".join(target.parts[-2:])


#: A URL (``https://...``): its path part is not a file's, and stays as written.
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S+")


def portable_text(text: str, base: str | os.PathLike | None = None) -> str:
    """``text`` with every absolute path in it made portable (see ``portable_path``); URLs are kept."""
    parts, start = [], 0
    for url in _URL.finditer(text):
        parts += [_ABSOLUTE.sub(lambda m: portable_path(m.group(), base), text[start:url.start()]), url.group()]
        start = url.end()
    parts.append(_ABSOLUTE.sub(lambda m: portable_path(m.group(), base), text[start:]))
    return "".join(parts)


def portable(value: Any, base: str | os.PathLike | None = None) -> Any:
    """``value`` (strings, dicts, lists) with every absolute path in its strings made portable."""
    if isinstance(value, str):
        return portable_text(value, base)
    if isinstance(value, dict):
        return {k: portable(v, base) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [portable(v, base) for v in value]
    return value
