"""Short protocol ids (P1, P2, ...) so that a leaderboard states each protocol once and tables name it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from inpaintbench.evaluation.protocol import Protocol
from inpaintbench.jobs.results import Result
from inpaintbench.reports._markdown import protocol_lines


class ProtocolIds:
    """The distinct clean protocols of some results (attack entries left out), numbered in a stable order."""

    def __init__(self, results: Iterable[Result]) -> None:
        found: dict[str, Protocol] = {}
        for res in results:
            protocol = Protocol.from_record(res.protocol).base()
            found.setdefault(protocol.key(), protocol)
        self.protocols = {key: found[key] for key in sorted(found)}
        self.ids = {key: f"P{i}" for i, key in enumerate(self.protocols, 1)}

    def of(self, protocol: dict[str, Any]) -> str:
        """The id of a result's protocol record (its attack entries ignored)."""
        return self.ids[Protocol.from_record(protocol).key()]

    def section(self) -> list[str]:
        """Markdown: each protocol once, its id and one-line summary, then its full record folded."""
        if not self.protocols:
            return []
        lines = ["## Protocols", "", "Numbers measured under different protocols are never ranked together; "
                 "every table names its protocol.", ""]
        for key, protocol in self.protocols.items():
            lines += [f"- **{self.ids[key]}**: {protocol.summary()}"]
        for key, protocol in self.protocols.items():
            lines += ["", f"<details><summary>{self.ids[key]}: the full record</summary>", ""]
            lines += protocol_lines(protocol.record()) + ["", "</details>"]
        return lines + [""]
