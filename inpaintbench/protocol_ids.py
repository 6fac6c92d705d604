"""Short protocol ids (P1, P2, ...) so that a leaderboard states each protocol once and tables name it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from inpaintbench.markdown import protocol_lines
from inpaintbench.results import Result, base_protocol, protocol_key


def protocol_summary(protocol: dict[str, Any]) -> str:
    """The protocol's deciding choices in one line: resolution, mask binarization, threshold, convention."""
    size = protocol.get("image_size", "native")
    parts = ["native resolution" if size in (None, "native", 0) else f"resized to {size} px",
             f"{str(protocol.get('mask_binarization', '?')).split(' ')[0]}-mask binarization",
             f"threshold {protocol.get('threshold', '?')}"]
    convention = protocol.get("metrics_convention")
    if convention:
        parts.append(f"{convention} metric convention")
    return ", ".join(parts)


class ProtocolIds:
    """The distinct clean protocols of some results (attack entries left out), numbered in a stable order."""

    def __init__(self, results: Iterable[Result]) -> None:
        found: dict[str, dict[str, Any]] = {}
        for res in results:
            protocol = base_protocol(res.protocol)
            found.setdefault(protocol_key(protocol), protocol)
        self.protocols = {key: found[key] for key in sorted(found)}
        self.ids = {key: f"P{i}" for i, key in enumerate(self.protocols, 1)}

    def of(self, protocol: dict[str, Any]) -> str:
        """The id of a result's protocol (its attack entries ignored)."""
        return self.ids[protocol_key(base_protocol(protocol))]

    def section(self) -> list[str]:
        """Markdown: each protocol once, its id and one-line summary, then its full record folded."""
        if not self.protocols:
            return []
        lines = ["## Protocols", "", "Numbers measured under different protocols are never ranked together; "
                 "every table names its protocol.", ""]
        for key, protocol in self.protocols.items():
            lines += [f"- **{self.ids[key]}**: {protocol_summary(protocol)}"]
        for key, protocol in self.protocols.items():
            lines += ["", f"<details><summary>{self.ids[key]}: the full record</summary>", ""]
            lines += protocol_lines(protocol) + ["", "</details>"]
        return lines + [""]
