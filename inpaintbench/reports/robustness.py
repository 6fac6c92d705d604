"""Robustness curves from result records alone: group clean and attacked results of one model,
turn them into metric-versus-strength curves, and summarise each by its normalised area.

Area under the robustness curve (``aurc``), as documented in the leaderboard: for one attack
family, each setting's strength value ``v`` is mapped to ``t = |v - neutral| / max |v - neutral|``
over the family's settings (``neutral`` is the value that leaves the image closest to untouched:
quality 100, scale 1, std 0, sigma 0, fraction 0), the clean metric is placed at ``t = 0``, and
the trapezoidal area over ``t`` in [0, 1] is taken. It is thus the metric averaged over the
strength range of the grid: equal to the clean metric for a detector that never degrades, and
lower the earlier and further it falls. ``aurc_relative`` divides it by the clean metric.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from inpaintbench.evaluation.protocol import Protocol
from inpaintbench.jobs.results import model_key, option_labels
from inpaintbench.reports._markdown import ROLE_COLUMNS, markdown_table, n_text

#: The definition of ``aurc`` as the reports state it.
AURC_DOC = ("`aurc`: trapezoidal area under the metric versus normalised strength t in [0, 1], where "
            "t = |value - neutral| / (largest |value - neutral| of the family in the grid), neutral is the "
            "setting closest to no change (quality 100, scale 1, std 0, sigma 0, fraction 0) and the clean "
            "result sits at t = 0: the metric averaged over the grid's strength range. "
            "`aurc_relative` = aurc / clean.")
#: Where attacks act, for every protocol: a native-resolution protocol resizes nothing after them.
ATTACKS_APPLIED = ("Attacks are applied to the stored image (and its mask, for geometric attacks, nearest-neighbour), "
                   "before any resize the protocol asks for; a native-resolution protocol has none.")


def resize_note(protocol: dict[str, Any]) -> str:
    """What a protocol does to an attacked image's size, as a predicate (``ATTACKS_APPLIED`` made specific)."""
    size = Protocol.from_record(protocol).image_size
    if size:
        return f"resizes to {size} px after the attack"
    return "keeps the native resolution: the protocol resizes nothing (resize rows are attacks)"


def measured_on(results: Iterable[Any], split: str, protocol_id: str) -> str:
    """The line under a robustness table: how many images of ``split`` its values stand on (the split's
    ``n_images`` in the results, a range when they differ), and what the protocol resizes."""
    results = list(results)
    ns = [int(n) for r in results if (n := (r.metrics.get(split) or {}).get("n_images")) is not None]
    images = f"{n_text(ns)} test images" if ns else "an unrecorded number of test images"
    return f"Measured on {images} of `{split}`; {protocol_id} {resize_note(results[0].protocol)}."


@dataclass
class StressGroup:
    """The clean result and the attacked results of one model on one dataset under one protocol."""

    label: str
    clean: Any | None
    attacked: list[Any] = field(default_factory=list)

    @property
    def any(self):
        return self.clean if self.clean is not None else self.attacked[0]


def group_results(results: Iterable[Any]) -> list[StressGroup]:
    """Group results by model, attacked results in table order; the label is the detector name with the
    options that tell its variants apart (``results.option_labels``), plus the checkpoint hash if ambiguous."""
    results = list(results)
    labels = option_labels(results)
    groups: dict[str, StressGroup] = {}
    for res in results:
        key = model_key(res)
        group = groups.setdefault(key, StressGroup(labels[id(res)], None))
        if res.attack:
            group.attacked.append(res)
        else:
            group.clean = res
    stressed = [g for g in groups.values() if g.attacked]
    for group in stressed:
        group.attacked.sort(key=setting_rank)
    by_name: dict[str, list[StressGroup]] = defaultdict(list)
    for group in stressed:
        by_name[group.label].append(group)
    for name, same in by_name.items():
        if len(same) > 1:
            for group in same:
                sha = (group.any.detector_info or {}).get("checkpoint_sha256") or "untrained"
                group.label = f"{name} [{sha[:8]}]"
    return stressed


def curve_info(result) -> dict[str, Any]:
    """The family / strength record stress writes with each attacked result."""
    info = result.protocol.get("attack_curve") or {}
    return {"family": info.get("family") or str(result.attack).split(":")[0],
            "strength": info.get("strength") or "", "value": info.get("value"), "neutral": info.get("neutral")}


def setting_rank(result) -> tuple[str, float, str]:
    """Where an attacked result's setting sits in tables: by family name, mildest first within a family."""
    info = curve_info(result)
    known = info["value"] is not None and info["neutral"] is not None
    return info["family"], abs(info["value"] - info["neutral"]) if known else 0.0, result.attack


def order_settings(results: Iterable[Any]) -> list[str]:
    """The attack specs of ``results`` in table order (``setting_rank``), each once."""
    ranks = {res.attack: setting_rank(res) for res in results if res.attack}
    return sorted(ranks, key=ranks.get)


@dataclass
class Curve:
    """Metric versus strength for one model, split and attack family, with the clean value."""

    label: str
    dataset: str
    split: str
    family: str
    strength: str
    neutral: float | None
    metric: str
    clean: float | None
    points: list[tuple[float, float, str]]  # (strength value, metric, spec), mildest first

    def normalised(self) -> list[tuple[float, float]]:
        """``(t, metric)`` with the clean point at ``t = 0`` (see the module docstring)."""
        if self.neutral is None or not self.points:
            return []
        spread = max(abs(v - self.neutral) for v, _, _ in self.points)
        if spread == 0:
            return []
        pts = [(abs(v - self.neutral) / spread, m) for v, m, _ in self.points]
        if self.clean is not None:
            pts.insert(0, (0.0, self.clean))
        return pts

    def aurc(self) -> float | None:
        pts = [(t, m) for t, m in self.normalised() if m is not None and not math.isnan(m)]
        if len(pts) < 2 or pts[0][0] != 0.0 or pts[-1][0] != 1.0:
            return None
        return sum((t1 - t0) * (m0 + m1) / 2 for (t0, m0), (t1, m1) in zip(pts, pts[1:]))

    def aurc_relative(self) -> float | None:
        area = self.aurc()
        if area is None or not self.clean:
            return None
        return area / self.clean


def _metric(result, split: str, metric: str) -> float | None:
    value = (result.metrics.get(split) or {}).get(metric)
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def curves(groups: Iterable[StressGroup], metric: str = "iou") -> list[Curve]:
    """One curve per (model, split having ``metric``, attack family with a strength option)."""
    out: list[Curve] = []
    for group in groups:
        by_family: dict[str, list[Any]] = defaultdict(list)
        for res in group.attacked:
            info = curve_info(res)
            if info["strength"] and info["value"] is not None:
                by_family[info["family"]].append(res)
        splits = sorted({s for r in group.attacked for s, m in r.metrics.items() if metric in m})
        for family, members in sorted(by_family.items()):
            info = curve_info(members[0])
            neutral = info["neutral"]
            members = sorted(members, key=lambda r: abs(curve_info(r)["value"] - (neutral or 0)))
            for split in splits:
                points = [(float(curve_info(r)["value"]), _metric(r, split, metric), r.attack) for r in members]
                clean = _metric(group.clean, split, metric) if group.clean is not None else None
                out.append(Curve(group.label, group.any.dataset, split, family, info["strength"],
                                 None if neutral is None else float(neutral), metric, clean, points))
    return out


def stress_tables(group: StressGroup) -> str:
    """Markdown for one model: per split, rows are attack settings (clean first), columns metrics."""
    rows_of = ([("clean", group.clean)] if group.clean is not None else []) + [(r.attack, r) for r in group.attacked]
    splits = list(dict.fromkeys(s for _, r in rows_of for s in r.metrics))
    lines = []
    for split in splits:
        sample = next(r.metrics[split] for _, r in rows_of if split in r.metrics)
        cols = [c for c in ROLE_COLUMNS[sample["role"]] if c in sample]
        rows = [[name] + [(r.metrics.get(split) or {}).get(c) for c in cols] for name, r in rows_of]
        lines += [f"### {group.any.dataset} · {split}", "", markdown_table(["attack"] + cols, rows), ""]
    return "\n".join(lines)


def aurc_table(curve_list: list[Curve]) -> str:
    """Rows: model, split, family; columns: clean, strongest setting's metric, aurc, aurc_relative."""
    rows = []
    for c in curve_list:
        strongest = c.points[-1] if c.points else (None, None, "")
        rows.append([c.label, c.split, c.family, c.clean, strongest[2], strongest[1], c.aurc(), c.aurc_relative()])
    metric = curve_list[0].metric if curve_list else "iou"
    return markdown_table(["model", "split", "family", f"clean {metric}", "strongest setting",
                           f"{metric} there", "aurc", "aurc_relative"], rows)
