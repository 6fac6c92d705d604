"""Markdown leaderboards from result JSON files alone: one table per dataset, split and protocol."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

from inpaintbench.evaluation.protocol import Protocol
from inpaintbench.jobs.results import Result, data_heading, option_labels, read_results, unique_results
from inpaintbench.reports.markdown import markdown_table
from inpaintbench.reports.protocol_ids import ProtocolIds
from inpaintbench.reports.published import published_section
from inpaintbench.sdk.contracts import SplitName

#: The columns of each kind of table after detector, training data and budget: (header, metric key).
TABLE_COLUMNS = {
    "manipulated": (("IoU", "iou"), ("F1", "f1"), ("F1-best", "f1_best"), ("pixel AUC", "auc"), ("n", "n_images")),
    "authentic": (("FPR", "fpr"), ("FPR pooled", "fpr_pooled"), ("any-positive rate", "any_positive_rate"),
                  ("n", "n_authentic")),
    "detection": (("image AUC", "image_auc"), ("bAcc", "image_bacc"), ("TPR at 5% FPR", "image_tpr_at_5fpr"),
                  ("bAcc threshold", "image_threshold"), ("threshold from", "image_threshold_from"),
                  ("n", "image_n_manipulated"), ("n authentic", "image_n_authentic")),
}
#: How each kind of table is ranked: by which metric, and whether lower is better.
TABLE_RANKING = {"manipulated": ("iou", False), "authentic": ("fpr", True), "detection": ("image_auc", False)}
#: The sections of the clean tables, in order: (table kind, heading, what it shows).
SECTIONS = (
    ("manipulated", "Localization", "Pixel-level localization on manipulated images (per-image means; see the "
                                    "protocol for the exact conventions), best IoU first."),
    ("authentic", "False positives on authentic images", "Pixels flagged on images that were never edited, "
                                                         "lowest false-positive rate first."),
    ("detection", "Detection (image level)", "Real/fake decision per image from each detector's image score, "
                                             "measured against the authentic images of the same part; best "
                                             "image AUC first."),
)


def anchor(detector: str) -> str:
    return "detector-" + re.sub(r"[^a-z0-9-]+", "-", detector.lower()).strip("-")


def _ranked(rows: list[dict], kind: str) -> str:
    """The table of ``kind``: identity columns, then the metric columns any row has, best first."""
    sort_by, ascending = TABLE_RANKING[kind]
    present = {k for row in rows for k in row}
    metrics = [(h, k) for h, k in TABLE_COLUMNS[kind] if k in present]

    def rank(row: dict) -> tuple[bool, float]:
        value = row.get(sort_by)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return True, 0.0
        return False, value if ascending else -value

    ordered = sorted(rows, key=rank)
    header = ["detector", "training data", "budget"] + [h for h, _ in metrics]
    body = [[row["detector"], row["training data"], row["budget"]] + [row.get(k) for _, k in metrics]
            for row in ordered]
    return markdown_table(header, body)


def training_data(result: Result) -> str:
    """What the model was trained on, from the result's own record: the matrix training set, the
    dataset and kinds of a trained run, a given checkpoint, or none for a training-free detector."""
    training = result.training or {}
    if training.get("train_set"):
        return str(training["train_set"])
    data = training.get("data") or {}
    if data.get("kinds"):
        kinds = ", ".join(f"{k} {n}" for k, n in data["kinds"].items())
        name, _, root = str(data.get("dataset") or "?").partition("@")
        return f"{Path(root).name} ({name}): {kinds}" if root else f"{name}: {kinds}"
    if result.checkpoint:
        return f"checkpoint {Path(result.checkpoint).name}"
    if (result.detector_info or {}).get("untrained"):
        return f"none: untrained, {result.detector_info['untrained']}"
    trainable = ((result.detector_info or {}).get("card") or {}).get("trainable")
    return "none (training-free)" if trainable is False else "none"


def training_budget(result: Result) -> str:
    """Steps, batch and crop of a trained run, and its wall time; ``–`` when nothing was trained here."""
    training = result.training or {}
    if "steps" not in training:
        return "–"
    config = training.get("config") or {}
    crop = config.get("crop")
    text = f"{training['steps']} steps × {config.get('batch_size', '?')}"
    text += f", crop {crop}" if crop else ", whole images"
    if training.get("seconds"):
        text += f", {training['seconds'] / 60:.1f} min"
    return text


def _row(result: Result, metrics: dict, label: str) -> dict:
    row = {"detector": f"[{label}](#{anchor(result.detector)})", "training data": training_data(result),
           "budget": training_budget(result)}
    row.update({k: v for k, v in metrics.items() if isinstance(v, (int, float, str)) or v is None})
    return row


def render(results: Iterable[Result], title: str = "inpaintbench leaderboard",
           ids: ProtocolIds | None = None) -> str:
    """Markdown: the protocols once, then per (dataset, split, protocol) a localization, a
    false-positive and a detection table, detectors ranked best first.

    Results measured under different protocols never share a table; attacked results are left to
    the robustness section.
    """
    results = [r for r in results if not r.attack]
    ids = ids or ProtocolIds(results)
    labels = option_labels(results)
    groups: dict[tuple[str, str, str], list[tuple[Result, dict]]] = defaultdict(list)
    for res in results:
        for split, metrics in res.metrics.items():
            groups[(data_heading(res), split, ids.of(res.protocol))].append((res, metrics))
    lines = [f"# {title}", "", "Generated by `python -m inpaintbench leaderboard` from result JSON files.", ""]
    lines += ids.section()
    ordered = sorted(groups, key=lambda g: (g[0], g[1], int(g[2][1:])))
    for kind, heading, doc in SECTIONS:
        tables = []
        for dataset, split, pid in ordered:
            entries = groups[(dataset, split, pid)]
            role = _role(dataset, split, entries)
            if (role == "authentic") != (kind == "authentic"):
                continue
            rows = [_row(r, m, labels[id(r)]) if kind != "detection" else _detection_row(r, split, m, labels[id(r)])
                    for r, m in entries]
            if kind == "detection" and not any(row.get("image_auc") is not None for row in rows):
                continue
            tables += [f"### {dataset} · {split} · {pid}", "", _ranked(rows, kind), ""]
        if tables:
            lines += [f"## {heading}", "", doc, ""] + tables
    lines += detector_cards(results)
    return "\n".join(lines).rstrip() + "\n"


def _detection_row(result: Result, split: str, metrics: dict, label: str) -> dict:
    """A detection table's row: the image-level metrics with the numbers of images they compare (older results:
    the split's and its part's authentic counts), and a bAcc whose threshold decides nothing said in words."""
    row = _row(result, metrics, label)
    part = SplitName.parse(split).part
    row.setdefault("image_n_manipulated", metrics.get("n_images"))
    row.setdefault("image_n_authentic", sum(m.get("n_authentic", 0) for s, m in result.metrics.items()
                                            if m.get("role") == "authentic" and SplitName.parse(s).part == part))
    if metrics.get("image_threshold_outside"):
        row["image_bacc"] = f"none: threshold {metrics['image_threshold_outside']}"
    return row


def _role(dataset: str, split: str, entries: list[tuple[Result, dict]]) -> str:
    """The role every result records for this split; results that disagree are an error."""
    roles = {m["role"] for _, m in entries}
    if len(roles) != 1:
        raise ValueError(f"{dataset} · {split}: results disagree on the split's role ({', '.join(sorted(roles))})")
    return roles.pop()


def detector_cards(results: Iterable[Result]) -> list[str]:
    """A short card per detector (from what the results recorded), the target of the table links."""
    seen: dict[str, dict] = {}
    for res in results:
        seen.setdefault(res.detector, res.detector_info)
    if not seen:
        return []
    lines = ["## Detectors", ""]
    for name in sorted(seen):
        info = seen[name]
        card = info.get("card", {})
        lines.append(f'<a id="{anchor(name)}"></a>')
        lines.append(f"### {name}")
        lines.append("")
        if card.get("description"):
            lines.append(card["description"].strip())
            lines.append("")
        facts = [("reference", card.get("reference")), ("trainable", card.get("trainable")),
                 ("parameters", info.get("parameters")), ("weights", info.get("weights")),
                 ("weights licence", (info.get("weights_entry") or {}).get("licence")),
                 ("licence", card.get("licence")), ("designed for", card.get("designed_for")),
                 ("options", info.get("options")), ("distribution", info.get("distribution"))]
        lines += [f"- {k}: {v}" for k, v in facts if v not in (None, "", {})]
        lines.append("")
    return lines


#: The columns of the side-by-side view, in order; each convention fills those it defines.
CONVENTION_COLUMNS = ("f1", "iou", "f1_double", "iou_double", "f1_pooled", "iou_pooled", "f1_weighted",
                      "iou_weighted", "mcc_weighted", "f1_weighted_pooled", "auc", "fpr", "n_images")


def conventions_section(results: Iterable[Result], detector: str) -> list[str]:
    """One detector under every metrics convention it was evaluated with, side by side: per dataset, split
    and protocol (its convention entries aside), one row per convention, so that the effect of the
    convention alone shows. Attacked results are left out."""
    from inpaintbench.evaluation.metric_presets import CONVENTIONS

    groups: dict[tuple[str, str, str], list[tuple[Result, dict]]] = defaultdict(list)
    for res in results:
        if res.detector != detector or res.attack:
            continue
        rest = Protocol.from_record(res.protocol).input_key()
        for split, metrics in res.metrics.items():
            groups[(data_heading(res), split, rest)].append((res, metrics))
    lines = [f"## {detector} under each metrics convention", "",
             "The same detector and protocol; only the convention differs between rows (see the README's table "
             "of conventions). Each convention fills the columns it defines.", ""] if groups else []
    order = {name: i for i, name in enumerate(CONVENTIONS)}
    for key in sorted(groups):
        dataset, split, _ = key
        entries = sorted(groups[key], key=lambda e: order.get(e[0].protocol["metrics_convention"], len(order)))
        cols = [c for c in CONVENTION_COLUMNS if any(c in m for _, m in entries)]
        rows = [[r.protocol["metrics_convention"]] + [m.get(c) for c in cols]
                + [Path(r.checkpoint).name if r.checkpoint else "none"] for r, m in entries]
        lines += [f"### {dataset} · {split}", "", markdown_table(["convention"] + cols + ["checkpoint"], rows), ""]
    return lines


def build(paths: Iterable[str | Path], output: str | Path | None = None, conventions_of: str | None = None,
          slice_by: Sequence[str] = ()) -> str:
    """Read result files (and the results in folders) and render them, identical results once, with slice
    tables of ``slice_by``; write the markdown atomically when ``output`` is given. ``conventions_of`` (a
    detector) adds its side-by-side view under every metrics convention."""
    found, others = read_results(paths)
    named, repeats = unique_results(found)
    results = [res for _, res in named]
    text = render_all(results, slice_by=slice_by)
    if repeats:
        said = "; ".join(f"{path} (= {kept})" for path, kept in repeats.items())
        text += f"\n{len(repeats)} result file(s) repeated another exactly and are shown once: {said}\n"
    if others:
        text += f"\n{len(others)} other JSON file(s) in the folders are not results: {', '.join(map(str, others))}\n"
    if conventions_of is not None:
        text += "\n" + "\n".join(conventions_section(results, conventions_of)).rstrip() + "\n"
    if output is not None:
        from inpaintbench.io.atomic import atomic_write_bytes

        atomic_write_bytes(output, text.encode("utf-8"))
    return text


# --- robustness and generalization sections --------------------------------------------------------

def render_all(results: Iterable[Result], title: str = "inpaintbench leaderboard", slice_by: Sequence[str] = ()) -> str:
    """The clean tables of ``render`` (generalization-matrix results left to their own section), then
    the published detectors side by side, the slice tables of ``slice_by``, the robustness and
    generalization-matrix sections."""
    from inpaintbench.reports.generalization import is_matrix_result

    results = list(results)
    ids = ProtocolIds(results)
    text = render([r for r in results if not is_matrix_result(r)], title, ids)
    clean = [r for r in results if not r.attack and not is_matrix_result(r)]
    extra = (published_section(clean, ids) + slice_section(clean, slice_by, ids) + robustness_section(results, ids=ids)
             + matrix_section([r for r in results if is_matrix_result(r)], ids))
    return text + ("\n" + "\n".join(extra).rstrip() + "\n" if extra else "")


def slice_section(results: Sequence[Result], columns: Sequence[str], ids: ProtocolIds | None = None) -> list[str]:
    """Per dataset, split, protocol and column: detectors as rows, the column's values as columns
    (n in the header), the role's ranking metric in the cells (IoU; FPR on authentic splits)."""
    if not columns:
        return []
    results = list(results)
    ids = ids or ProtocolIds(results)
    present = sorted({c for r in results for split in r.slices.values() for c in split})
    for column in columns:
        if column not in present:
            from inpaintbench.sdk.registry import unknown_name_error

            raise unknown_name_error("slice columns", column, present)
    groups: dict[tuple[str, str, str, str], list[Result]] = defaultdict(list)
    for res in results:
        for split, sliced in res.slices.items():
            for column in columns:
                if column in sliced:
                    groups[(data_heading(res), split, column, ids.of(res.protocol))].append(res)
    lines = ["## Slices", "", "Each split's metrics per value of a column (see each result's `slicing` for the "
             "definitions); a slice's n counts its images. Results under different protocols get separate tables.", ""]
    for (dataset, split, column, pid), members in sorted(groups.items()):
        lines += [f"### {dataset} · {split} · {pid} · by {column}", "", slice_table(members, split, column), ""]
    return lines


def slice_table(results: Sequence[Result], split: str, column: str) -> str:
    """One split's slice table: a row per result, a column per value headed by its n (a range when
    results differ), cells the role's ranking metric."""
    kind = "authentic" if SplitName.parse(split).role == "authentic" else "manipulated"
    metric = TABLE_RANKING[kind][0]
    values = list(dict.fromkeys(v for r in results for v in r.slices[split][column]))
    header = ["detector", "training data"]
    for value in values:
        ns = sorted({r.slices[split][column][value]["n"] for r in results if value in r.slices[split][column]})
        header.append(f"{value} (n={ns[0]})" if len(ns) == 1 else f"{value} (n={ns[0]}-{ns[-1]})")
    labels = option_labels(results)
    rows = []
    for res in results:
        base = _row(res, {}, labels[id(res)])
        cells = [res.slices[split][column].get(value, {}).get(metric) for value in values]
        rows.append([base["detector"], base["training data"], *cells])
    return f"{metric}:\n\n" + markdown_table(header, rows)


def robustness_section(results: Iterable[Result], metric: str = "iou", ids: ProtocolIds | None = None) -> list[str]:
    """Per dataset, split and protocol: rows are attack settings (clean first), columns are models;
    then the area under each robustness curve (see ``inpaintbench.reports.robustness``)."""
    from inpaintbench.reports.robustness import AURC_DOC, aurc_table, curves, group_results, order_settings

    results = list(results)
    groups = group_results(results)
    if not groups:
        return []
    ids = ids or ProtocolIds(results)
    lines = [f"## Robustness ({metric})", "",
             f"{metric} of each model under each attack setting (applied to the stored "
             "image before the network resize; geometric attacks map the mask nearest-neighbour).", ""]
    by_protocol: dict[tuple[str, str], list] = defaultdict(list)
    for group in groups:
        by_protocol[(data_heading(group.any), Protocol.from_record(group.any.protocol).key())].append(group)
    for (dataset, _), members in sorted(by_protocol.items()):
        protocol = members[0].any.protocol
        splits = list(dict.fromkeys(s for g in members for r in g.attacked
                                    for s, m in r.metrics.items() if metric in m))
        specs = order_settings(r for g in members for r in g.attacked)
        for split in splits:
            lines += [f"### {dataset} · {split} · {ids.of(protocol)} · {metric} under attack", ""]
            rows = []
            for name in ["clean"] + specs:
                row = [name]
                for g in members:
                    res = g.clean if name == "clean" else next((r for r in g.attacked if r.attack == name), None)
                    row.append(None if res is None else (res.metrics.get(split) or {}).get(metric))
                rows.append(row)
            lines += [markdown_table(["attack"] + [g.label for g in members], rows), ""]
        lines += [f"### {dataset} · area under the robustness curve ({metric})", "", AURC_DOC, "",
                  aurc_table(curves(members, metric)), ""]
    return lines


def matrix_section(results: Iterable[Result], ids: ProtocolIds | None = None) -> list[str]:
    """The generalization matrix of each detector and protocol: rows trained on, columns tested on."""
    from inpaintbench.reports.generalization import matrix_tables

    results = list(results)
    ids = ids or ProtocolIds(results)
    groups: dict[tuple[str, str], list[Result]] = defaultdict(list)
    for res in results:
        groups[(res.detector, Protocol.from_record(res.protocol).key())].append(res)
    lines = ["## Generalization matrix", ""] if groups else []
    for (detector, _), members in sorted(groups.items()):
        lines += [f"### {detector} · {ids.of(members[0].protocol)}", ""]
        lines += matrix_tables(members)
    return lines

