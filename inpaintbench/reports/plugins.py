"""What ``list`` prints: every registered plugin with its distribution and, verbosely, its card:
paper, options, licence, what it was designed for, its weights (with their licences and where they
are published) and its declared parameter count. Nothing is built: cards are declared data."""

from __future__ import annotations

from inpaintbench.sdk import registry
from inpaintbench.sdk.cards import Card, card_of

INDENT = " " * 20


def listing(kinds: list[str], verbose: bool = False) -> str:
    """The listing of the plugins of ``kinds``, one block per kind."""
    lines: list[str] = []
    for kind in kinds:
        found = registry.entries(kind)
        lines.append(f"{kind}:")
        if not found:
            lines.append("  (none registered)")
        for name, entry in found.items():
            try:
                obj = entry.load()
            except registry.RegistryError as exc:
                lines.append(f"  {name:<18} [failed to import] {exc}")
                continue
            lines.append(f"  {name:<18} {registry.describe(obj)}  [{entry.distribution}]")
            card = card_of(obj)
            if verbose and card is not None:
                lines += card_lines(card, kind == "detectors")
        lines.append("")
    if verbose:
        lines += weights_section()
    return "\n".join(lines)


def weights_section() -> list[str]:
    """Every weights entry declared by the plugins listed (and the autoencoders): files, licence, source,
    and where the resolver finds them here (or that it does not)."""
    import inpaintbench.sdk.autoencoders  # noqa: F401  (declares the autoencoders' entries)
    from inpaintbench.sdk.weights import WeightsUnavailable, weights_entries

    lines = ["weights:"]
    for name, entry in weights_entries().items():
        where = where_found(entry, WeightsUnavailable)
        restriction = f" [{entry.restriction}]" if entry.restriction else ""
        lines.append(f"  {name:<18} {', '.join(f.name for f in entry.files)}")
        lines.append(f"{INDENT}licence: {entry.licence}{restriction}")
        lines.append(f"{INDENT}published at {entry.source}; here: {where}")
    return lines + [""]


def where_found(entry, unavailable: type[Exception]) -> str:
    """The folder(s) where the resolver finds the entry's files, with a count when only some are there
    (an entry may list files of which a user needs a subset, e.g. one model per JPEG quality)."""
    found, problem = {}, None
    for f in entry.files:
        try:
            found[f.name] = entry.path(f.name)
        except (unavailable, OSError, ValueError) as exc:
            problem = problem or type(exc).__name__
    if not found:
        return f"not found here ({problem})"
    folders = ", ".join(sorted({str(p.parent) for p in found.values()}))
    return folders if len(found) == len(entry.files) else f"{folders} ({len(found)} of {len(entry.files)} files)"


def card_lines(card: Card, detector: bool) -> list[str]:
    """A card's details, indented under its plugin's line."""
    lines = [f"{INDENT}reference: {card.reference or '-'}; trainable: {card.trainable}; input: {card.input_range}"]
    if card.designed_for:
        lines.append(f"{INDENT}designed for: {card.designed_for}")
    if card.licence:
        lines.append(f"{INDENT}licence: {card.licence}")
    lines += weights_lines(card.weights)
    if card.training:
        lines.append(f"{INDENT}recommended training: " + ", ".join(f"--{k} {v}" for k, v in card.training.items()))
    lines += [f"{INDENT}  --opt {key}=...  {text}" for key, text in card.params.items()]
    if detector:
        shown = f"{card.parameters:,}" if card.parameters is not None else "not declared"
        lines.append(f"{INDENT}parameters: {shown} (default options)")
    return lines


def weights_lines(names: tuple[str, ...]) -> list[str]:
    """One line per weights entry a card names: licence, restriction and where it is published."""
    from inpaintbench.sdk.weights import get_weights

    lines = []
    for name in names:
        entry = get_weights(name)
        restriction = f" [{entry.restriction}]" if entry.restriction else ""
        lines.append(f"{INDENT}weights {entry.name}: {entry.licence}{restriction}; {entry.source}")
    return lines
