"""Attack specifications as text: ``jpeg:quality=80+resize:scale=0.5`` is a chain applied left to
right; ``jpeg:quality=90,resize:scale=0.5`` is a list of two settings; ``default`` is a named grid.

Grammar: ``list := item ("," item)*``; ``item := grid-name | chain``; ``chain := step ("+" step)*``;
``step := name [":" key=value ("," key=value)*]``. A comma-separated piece of the form ``key=value``
continues the options of the step before it, so ``resize:scale=0.5,keep_new_size=true`` is one step.
Attacks are found only through the ``inpaintbench.attacks`` entry points.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from inpaintbench.sdk import env, registry
from inpaintbench.sdk.contracts import Sample
from inpaintbench.sdk.errors import UserError

#: Named grids of attack settings. ``default`` gains ``reencode`` when an autoencoder is configured.
GRIDS: dict[str, tuple[str, ...]] = {
    "default": (
        "jpeg:quality=100", "jpeg:quality=90", "jpeg:quality=80", "jpeg:quality=70", "jpeg:quality=60",
        "jpeg:quality=50",
        "webp:quality=90", "webp:quality=80", "webp:quality=60",
        "resize:scale=0.75", "resize:scale=0.5", "resize:scale=0.25",
        "gaussian_noise:std=2", "gaussian_noise:std=5", "gaussian_noise:std=10",
        "gaussian_blur:sigma=0.5", "gaussian_blur:sigma=1", "gaussian_blur:sigma=2",
    ),
    "quick": ("jpeg:quality=90", "jpeg:quality=50", "resize:scale=0.5", "gaussian_noise:std=5",
              "gaussian_blur:sigma=1"),
}
#: Grids that take the re-encode setting when an autoencoder is configured.
GRIDS_WITH_REENCODE = ("default",)


class AttackSpecError(UserError, ValueError):
    """A specification that does not parse, names an unknown attack or option, or is out of range."""


@dataclass(frozen=True)
class Chain:
    """Attacks applied left to right with one generator; itself an ``Attack``."""

    steps: tuple[Any, ...]

    @property
    def spec(self) -> str:
        return "+".join(step.spec for step in self.steps)

    @property
    def geometric(self) -> bool:
        return any(getattr(step, "geometric", False) for step in self.steps)

    @property
    def family(self) -> str:
        """What a robustness curve groups by: the attack names, e.g. ``jpeg`` or ``jpeg+resize``."""
        return "+".join(getattr(step, "family", getattr(step, "name", "?")) for step in self.steps)

    @property
    def strength(self) -> str:
        """The option plotted on a curve's x axis: that of the last step that has one."""
        found = [step.strength for step in self.steps if getattr(step, "strength", "")]
        return found[-1] if found else ""

    @property
    def strength_value(self) -> float | None:
        found = [step.strength_value for step in self.steps if getattr(step, "strength_value", None) is not None]
        return found[-1] if found else None

    @property
    def neutral(self) -> float | None:
        found = [step.neutral for step in self.steps if getattr(step, "strength", "")]
        return found[-1] if found else None

    def describe(self) -> str:
        return "; then ".join(step.describe() if hasattr(step, "describe") else str(step) for step in self.steps)

    def __str__(self) -> str:
        return self.spec

    def __call__(self, sample: Sample, rng: np.random.Generator) -> Sample:
        for step in self.steps:
            sample = step(sample, rng)
        return sample


def _error(spec: str, problem: str) -> AttackSpecError:
    return AttackSpecError(f"attack spec {spec!r}: {problem}")


def parse_step(text: str) -> Any:
    """One attack from ``name[:key=value,...]`` through the registry, options checked and coerced."""
    name, _, rest = text.strip().partition(":")
    name = name.strip()
    if not name:
        raise _error(text, "empty attack name")
    options: dict[str, str] = {}
    for item in (p for p in rest.split(",") if p.strip()):
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise _error(text, f"option {item!r} is not of the form key=value")
        if key.strip() in options:
            raise _error(text, f"option {key.strip()!r} given twice")
        options[key.strip()] = value.strip()
    known = registry.names("attacks")
    if name not in known:
        raise _error(text, str(registry.unknown_name_error("attacks", name, known + sorted(GRIDS))))
    try:
        return registry.create("attacks", name, **options)
    except (ValueError, TypeError, registry.RegistryError) as exc:
        raise _error(text, str(exc)) from exc


def parse_chain(text: str) -> Chain:
    """``"jpeg:quality=80+resize:scale=0.5"`` -> a ``Chain`` of two attacks."""
    parts = text.split("+")
    if any(not p.strip() for p in parts):
        raise _error(text, "empty step in a '+' chain")
    return Chain(tuple(parse_step(p) for p in parts))


def split_list(text: str) -> list[str]:
    """Split a comma-separated list of specs, gluing ``key=value`` pieces to the step before them."""
    items: list[str] = []
    for piece in (p.strip() for p in text.split(",")):
        if not piece:
            continue
        head = piece.split("=", 1)[0]
        if "=" in piece and ":" not in head and "+" not in head:
            if not items:
                raise _error(text, f"option {piece!r} comes before any attack name")
            items[-1] = f"{items[-1]},{piece}"
        else:
            items.append(piece)
    return items


def configured_autoencoder(autoencoder: str | None = None) -> str | None:
    """The autoencoder weights for the grids' re-encode setting: the argument, else ``$INPAINTBENCH_AUTOENCODER``."""
    return autoencoder or env.AUTOENCODER.get() or None


def grid(name: str, autoencoder: str | None = None) -> list[str]:
    """The specs of a named grid, with ``reencode`` added where the grid takes it and one is configured."""
    if name not in GRIDS:
        raise AttackSpecError(str(registry.unknown_name_error("grids", name, sorted(GRIDS))))
    specs = list(GRIDS[name])
    weights = configured_autoencoder(autoencoder)
    if weights and name in GRIDS_WITH_REENCODE:
        specs.append(f"reencode:weights={weights}")
    return specs


def parse_attacks(text: str, autoencoder: str | None = None) -> list[Chain]:
    """A list of settings from grid names and chains; duplicates (by canonical spec) are dropped."""
    items = split_list(text or "")
    if not items:
        raise AttackSpecError(f"no attacks given in {text!r}; use a grid ({', '.join(GRIDS)}) or specs like "
                              "jpeg:quality=90,resize:scale=0.5")
    chains: list[Chain] = []
    for item in items:
        specs = grid(item, autoencoder) if item in GRIDS else [item]
        chains.extend(parse_chain(spec) for spec in specs)
    unique: dict[str, Chain] = {}
    for chain in chains:
        unique.setdefault(chain.spec, chain)
    return list(unique.values())
