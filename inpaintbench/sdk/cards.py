"""A plugin's card: what it says about itself (description, paper, options, licence, what it was
designed for, weights, declared parameter count). Plain data without torch, so that listing plugins
stays light."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Card:
    """What a plugin says about itself; ``list -v`` prints it and the leaderboard links to it."""

    description: str
    reference: str = ""
    trainable: bool = False
    params: dict[str, str] = field(default_factory=dict)
    input_range: str = "float32 RGB in [0, 1], shape [B, 3, H, W]"
    #: Training settings the detector's authors recommend (e.g. ``{"lr": 1e-3}``); used only where
    #: the user gives none, and the values used are recorded with the result.
    training: dict[str, float] = field(default_factory=dict)
    #: Licence of the method's code and of its weights, in one line (``list`` and leaderboards show it).
    licence: str = ""
    #: What the method was designed for: its input domain and the traces it reads, in one honest line.
    designed_for: str = ""
    #: Names of the weights entries (``inpaintbench.sdk.weights``) it loads.
    weights: tuple[str, ...] = ()
    #: Parameter count with default options, declared so that listing never builds the detector
    #: (a test checks it against the built detector).
    parameters: int | None = None
    #: A published method implemented from its paper (with its authors' weights where they exist): the
    #: leaderboard's "Published detectors" section compares these with the literature.
    published: bool = False
    #: A reference floor, not a method (e.g. a map that marks every pixel): leaderboards show its row so
    #: that every number has its floor beside it, and never rank it.
    floor: bool = False

    def summary(self) -> str:
        return self.description.strip().splitlines()[0] if self.description.strip() else ""


def card_of(plugin: Any) -> Card | None:
    """The card a plugin (a class, a factory function or a built object) declares, if any: the one
    place that looks for it."""
    card = getattr(plugin, "card", None)
    return card if isinstance(card, Card) and card.description else None
