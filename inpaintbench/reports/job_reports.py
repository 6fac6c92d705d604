"""The reports of the stress and matrix jobs, from their results alone: ``stress.md`` with one
robustness-curve PNG per attack family, and ``matrix.md`` with its heatmap."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from inpaintbench.evaluation.protocol import Protocol
from inpaintbench.io._atomic import atomic_write_bytes
from inpaintbench.jobs.results import Result
from inpaintbench.reports._markdown import protocol_lines
from inpaintbench.reports._plots import heatmap, robustness_figures
from inpaintbench.reports.generalization import matrix_cells, matrix_tables
from inpaintbench.reports.robustness import (
    ATTACKS_APPLIED,
    AURC_DOC,
    Curve,
    StressGroup,
    aurc_table,
    curves,
    group_results,
    resize_note,
    stress_tables,
)


@dataclass
class StressReport:
    table: Path
    figures: list[Path]


def write_stress_report(results: Sequence[Result], out_dir: str | Path, metric: str = "iou",
                        compare: Sequence[Result] = ()) -> StressReport:
    """``stress.md`` of the one model whose clean and attacked ``results`` are given, and one curve PNG
    per attack family; the ``compare`` results (other models' stress runs) join the curves."""
    groups = group_results(results)
    if len(groups) != 1:
        raise ValueError(f"a stress report takes the clean and attacked results of one model; got {len(groups)} "
                         "model(s) with attacked results")
    out = Path(out_dir)
    curve_list = curves(group_results([*results, *compare]), metric)
    figures = robustness_figures(curve_list, out)
    table = out / "stress.md"
    atomic_write_bytes(table, stress_markdown(groups[0], curve_list).encode("utf-8"))
    return StressReport(table, figures)


def stress_markdown(group: StressGroup, curve_list: Sequence[Curve]) -> str:
    """The stress report of one model: how it was produced, the tables, the curve areas."""
    first = group.any
    lines = [f"# Stress test: {first.detector} on {first.dataset}", "",
             f"Produced by `python -m inpaintbench stress`: detector `{first.detector}` "
             f"(weights: {first.detector_info.get('weights', '?')}; checkpoint: {first.checkpoint or 'none'}), "
             f"dataset `{first.dataset}` at `{first.dataset_info.get('root', '?')}`. {ATTACKS_APPLIED} This "
             f"protocol {resize_note(first.protocol)}.",
             "", "Protocol:"]
    lines += protocol_lines(Protocol.from_record(first.protocol).base().record())
    lines += ["", "Attack settings:"]
    lines += [f"- {r.protocol.get('attack_description') or r.attack}" for r in group.attacked]
    lines += ["", "## Metrics per attack setting", "", stress_tables(group)]
    if curve_list:
        lines += ["## Area under the robustness curve", "", AURC_DOC, "", aurc_table(list(curve_list)), ""]
    return "\n".join(lines).rstrip() + "\n"


@dataclass
class MatrixReport:
    markdown: Path
    figure: Path


def write_matrix_report(results: Sequence[Result], out_dir: str | Path, metric: str = "iou") -> MatrixReport:
    """``matrix.md`` and the ``metric`` heatmap (rows: trained on; columns: tested on) of matrix results."""
    if not results:
        raise ValueError("a matrix report needs at least one matrix result")
    out = Path(out_dir)
    rows, columns, values = matrix_cells(results, metric)
    figure = heatmap(values, rows, columns, out / f"matrix-{metric}.png",
                     title=f"{results[0].detector}: {metric}, trained on (rows) × tested on (columns)",
                     xlabel="test set · split", ylabel="training set")
    md = out / "matrix.md"
    atomic_write_bytes(md, matrix_markdown(results).encode("utf-8"))
    return MatrixReport(md, figure)


def matrix_markdown(results: Sequence[Result]) -> str:
    """The matrix report: the models (trained or given), the protocol, one table per metric."""
    lines = [f"# Generalization matrix: {results[0].detector}", "",
             "Produced by `python -m inpaintbench matrix`: one model per training set (trained with the common "
             "trainer, or loaded), each evaluated on every test set and split.", "", "Models:"]
    seen = set()
    for res in results:
        train = res.training or {}
        label = train.get("train_set")
        if label and label not in seen:
            seen.add(label)
            how = f"trained: {train['steps']} steps, {train['epochs_run']} epoch(s)" if "steps" in train else "given"
            lines.append(f"- `{label}`: `{res.checkpoint}` ({how})")
    lines += ["", "Protocol:"] + protocol_lines(Protocol.from_record(results[0].protocol).base().record())
    lines += [""] + matrix_tables(results)
    return "\n".join(lines).rstrip() + "\n"
