"""Plugin discovery through Python entry points, one group per kind of plugin.

The package registers its own detectors, datasets and attacks exactly as a third party would,
so there is one path for everything: ``create("detectors", "fcn", backbone="resnet101")``.
"""

from __future__ import annotations

import difflib
import inspect
import typing
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from inpaintbench.sdk.cards import Card, card_of
from inpaintbench.sdk.errors import USER_ERRORS, PluginFailure, UserError

#: The distribution of the package itself: its plugins win a clash of names unless another is selected.
OWN_DISTRIBUTION = "inpaintbench"
GROUPS = {
    "detectors": "inpaintbench.detectors",
    "datasets": "inpaintbench.datasets",
    "attacks": "inpaintbench.attacks",
    "masks": "inpaintbench.masks",
    "generators": "inpaintbench.generators",
}


#: The group where a distribution declares its plugins' cards without loading them: one entry point per
#: kind (``detectors = "pkg.cards:DETECTORS"``), naming a torch-free mapping of plugin name -> ``Card``.
CARDS_GROUP = "inpaintbench.cards"


class RegistryError(UserError, LookupError):
    """An unknown name, a plugin that does not import, or options a plugin does not take."""


class OptionValueError(RegistryError, ValueError):
    """A plugin rejected the value of an option it takes (it raised ``ValueError`` when built)."""


@dataclass(frozen=True)
class Entry:
    kind: str
    name: str
    target: str
    distribution: str
    _ep: metadata.EntryPoint

    def load(self) -> Callable[..., Any]:
        try:
            return self._ep.load()
        except Exception as exc:  # any import failure of a plugin is reported the same way
            raise RegistryError(
                f"{self.kind[:-1]} plugin {self.name!r} ({self.target}) from distribution "
                f"{self.distribution!r} failed to import: {type(exc).__name__}: {exc}") from exc


def _kind(kind: str) -> str:
    if kind not in GROUPS:
        raise RegistryError(f"unknown plugin kind {kind!r}; kinds are {', '.join(GROUPS)}")
    return GROUPS[kind]


def offers(kind: str) -> dict[str, dict[str, Entry]]:
    """Every registered plugin of one kind: by name, then by the distribution that registers it."""
    group = _kind(kind)
    found: dict[str, dict[str, Entry]] = {}
    for ep in sorted(metadata.entry_points(group=group), key=lambda e: e.name):
        dist = ep.dist.name if ep.dist is not None else "?"
        found.setdefault(ep.name, {}).setdefault(dist, Entry(kind, ep.name, ep.value, dist, ep))
    return found


def entries(kind: str) -> dict[str, Entry]:
    """One plugin per name: where distributions clash on a name, this package's own (else the first
    distribution's), with a warning naming them all; ``get("DIST:name")`` selects another."""
    found: dict[str, Entry] = {}
    for name, by_dist in offers(kind).items():
        found[name] = by_dist.get(OWN_DISTRIBUTION) or next(iter(by_dist.values()))
        if len(by_dist) > 1:
            others = [d for d in by_dist if d != found[name].distribution]
            warnings.warn(f"{kind[:-1]} {name!r} is registered by distributions "
                          f"{', '.join(repr(d) for d in by_dist)}; using {found[name].distribution!r}'s "
                          f"(select another as {others[0]}:{name})", stacklevel=2)
    return found


def declared_cards(kind: str) -> dict[str, dict[str, Card]]:
    """The cards that distributions declare for their plugins of ``kind`` in ``CARDS_GROUP``, by
    distribution then plugin name, read without loading any plugin (``list`` imports no detector). A
    declaration that fails to import counts as none: its plugins are then loaded to read their cards."""
    found: dict[str, dict[str, Card]] = {}
    for ep in metadata.entry_points(group=CARDS_GROUP, name=kind):
        try:
            cards = dict(ep.load())
        except Exception:  # noqa: S112  (a broken declaration: the plugins themselves are read instead)
            continue
        dist = ep.dist.name if ep.dist is not None else "?"
        found.setdefault(dist, {}).update({name: card for name, card in cards.items()
                                           if isinstance(card, Card) and card.description})
    return found


def names(kind: str) -> list[str]:
    return sorted(entries(kind))


def suggest(name: str, choices: list[str], n: int = 3) -> list[str]:
    return difflib.get_close_matches(name, choices, n=n, cutoff=0.4)


def unknown_name_error(kind: str, name: str, choices: list[str]) -> RegistryError:
    close = suggest(name, choices)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return RegistryError(f"unknown {kind[:-1]} {name!r}.{hint} Known: {', '.join(choices) or 'none'}")


def get(kind: str, name: str) -> Entry:
    """The plugin ``name`` of ``kind``; ``"DIST:name"`` picks the one that distribution ``DIST`` registers."""
    dist, sep, plain = name.rpartition(":")
    if sep:
        by_dist = offers(kind).get(plain, {})
        if dist not in by_dist:
            raise RegistryError(f"distribution {dist!r} registers no {kind[:-1]} {plain!r}; "
                                f"{plain!r} comes from: {', '.join(by_dist) or 'no distribution'}")
        return by_dist[dist]
    found = entries(kind)
    if name not in found:
        raise unknown_name_error(kind, name, sorted(found))
    return found[name]


def load(kind: str, name: str) -> Callable[..., Any]:
    return get(kind, name).load()


def create(kind: str, name: str, **options: Any) -> Any:
    """Load plugin ``name`` of ``kind`` and call it with ``options`` (strings are coerced)."""
    return instantiate(load(kind, name), options, f"{kind[:-1]} {name!r}")


def instantiate(factory: Callable[..., Any], options: dict[str, Any], what: str) -> Any:
    """Call a plugin factory with checked, coerced options; a ``ValueError`` it raises is an option error."""
    coerced = coerce_options(factory, options, what)
    try:
        return factory(**coerced)
    except USER_ERRORS:
        raise
    except ValueError as exc:
        raise OptionValueError(str(exc) if what in str(exc) else f"{what}: {exc}") from exc
    except Exception as exc:  # a plugin's own failure: one line naming it, its traceback under --debug
        raise PluginFailure(f"{what} failed to build: {type(exc).__name__}: {exc}") from exc


def describe(obj: Any) -> str:
    """A plugin's one-line description: its card's, else its docstring's first line."""
    card = card_of(obj)
    if card is not None:
        return card.summary()
    doc = inspect.getdoc(obj) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


# --- option coercion ---------------------------------------------------------------------------

def _parse_bool(text: str) -> bool:
    low = text.strip().lower()
    if low in ("1", "true", "yes", "on"):
        return True
    if low in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"not a boolean: {text!r}")


def _convert(value: Any, annotation: Any, default: Any) -> Any:
    if not isinstance(value, str):
        return value
    target = annotation
    if target is inspect.Parameter.empty or isinstance(target, str):
        target = type(default) if default not in (inspect.Parameter.empty, None) else str
    origin = typing.get_origin(target)
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
        args = [a for a in typing.get_args(target) if a is not type(None)]
        if value.lower() in ("none", "null") and len(args) < len(typing.get_args(target)):
            return None
        target = args[0] if args else str
    if target is bool:
        return _parse_bool(value)
    if target in (int, float):
        return target(value)
    return value


def coerce_options(factory: Callable[..., Any], options: dict[str, Any], what: str) -> dict[str, Any]:
    """Check ``options`` against the factory's signature and convert strings to its types."""
    try:
        sig = inspect.signature(factory)
    except (TypeError, ValueError):
        return dict(options)
    params = {k: p for k, p in sig.parameters.items() if k != "self"}
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    try:
        hints = typing.get_type_hints(factory.__init__ if inspect.isclass(factory) else factory)
    except Exception:
        hints = {}
    out: dict[str, Any] = {}
    for key, value in options.items():
        if key not in params:
            if takes_any:
                out[key] = value
                continue
            valid = [k for k, p in params.items() if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)]
            close = suggest(key, valid)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            raise RegistryError(f"{what} takes no option {key!r}.{hint} Options: {', '.join(valid) or 'none'}")
        p = params[key]
        try:
            out[key] = _convert(value, hints.get(key, p.annotation), p.default)
        except ValueError as exc:
            raise RegistryError(f"{what}: option {key}={value!r}: {exc}") from exc
    return out


def parse_key_values(items: list[str] | None) -> dict[str, str]:
    """``["a=1", "b=x"]`` -> ``{"a": "1", "b": "x"}``, with a clear error on a missing ``=``."""
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise RegistryError(f"option {item!r} is not of the form key=value")
        out[key.strip()] = value.strip()
    return out
