"""Autoencoder attribution, from result JSONs alone: a detector with an ``autoencoder`` option (``aerecon``) run
with several autoencoders on data sliced by the ``autoencoder`` family that made it. Rows: the autoencoder the
detector used; columns: the family of the data; cells: pixel AUC with n. Then, per data family, how far the
autoencoders of other families fall behind the matching one (the cross-family generalization of a
training-free detector; trained models have theirs in the generalization matrix)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from inpaintbench.evaluation.protocol import Protocol
from inpaintbench.evaluation.slices import ALL_KINDS
from inpaintbench.jobs.results import Result
from inpaintbench.reports._markdown import SMALL_CELL, markdown_table, ranked_cells
from inpaintbench.reports._protocol_ids import ProtocolIds
from inpaintbench.reports._rows import card_of_result
from inpaintbench.sdk.autoencoders import FAMILIES
from inpaintbench.sdk.contracts import SplitName

#: The detector option naming the autoencoder, and the data column naming the family that made the data.
OPTION = "autoencoder"
COLUMN = "autoencoder"
METRIC = "auc"
#: The family of data made without an autoencoder (GAN and pixel-space generators): nothing to attribute.
NO_AUTOENCODER = "none"
DOC = ("Rows: the autoencoder the detector ran (`--opt autoencoder=X`); columns: the autoencoder family the data "
       "was made with (the data's `autoencoder` column: `sd1`, `sdxl`, `sd3`, `flux1`, `flux2`, or `none` for "
       "pixel-space generators); cells: pixel AUC (per-image mean) with n, the best autoencoder of a column in "
       f"bold among cells of at least {SMALL_CELL} images (every one tied at the shown value; none when all tie), "
       f"smaller cells in italics; no cell at or below chance (0.5) is bolded. The `{NO_AUTOENCODER}` column has "
       "no best autoencoder, never bolded: its data was made without one, so there is nothing to attribute.")


def autoencoder_of(result: Result) -> str | None:
    """The autoencoder option a result's detector ran with, if it has one."""
    value = ((result.detector_info or {}).get("options") or {}).get(OPTION)
    return None if value is None else str(value)


def is_attribution_result(result: Result) -> bool:
    """A clean result of a training-free detector with an autoencoder option, sliced by the data's autoencoder
    family (a trained model, e.g. NIX-Net with the trace, stays in the main tables and its matrix)."""
    trainable = card_of_result(result).get("trainable")
    return (not result.attack and not result.checkpoint and trainable is not True
            and autoencoder_of(result) is not None and any(COLUMN in columns for columns in result.slices.values()))


def other_options(result: Result) -> tuple[tuple[str, str], ...]:
    """The detector's options besides the autoencoder: results that differ in them are other matrices."""
    options = (result.detector_info or {}).get("options") or {}
    return tuple(sorted((k, str(v)) for k, v in options.items() if k != OPTION))


@dataclass
class AttributionMatrix:
    """One detector's matrix on one dataset's manipulated split under one protocol."""

    detector: str
    dataset: str
    split: str
    protocol: dict
    rows: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    cells: dict[tuple[str, str], tuple[float | None, int | None]] = field(default_factory=dict)

    def values(self) -> list[list[float | None]]:
        return [[self.cells.get((r, c), (None, None))[0] for c in self.columns] for r in self.rows]

    def counts(self) -> list[list[int | None]]:
        return [[self.cells.get((r, c), (None, None))[1] for c in self.columns] for r in self.rows]


def _family_order(name: str) -> tuple[int, str]:
    order = list(FAMILIES.values())
    return (order.index(name), name) if name in order else (len(order), name)


def attribution_matrices(results: Sequence[Result]) -> list[AttributionMatrix]:
    """Every matrix of two or more autoencoders, rows and columns in the order of ``FAMILIES`` (then others by
    name), so that a named autoencoder's row and its family's column line up; pooled ``<part>/*`` splits left out."""
    found: dict[tuple, AttributionMatrix] = {}
    for res in filter(is_attribution_result, results):
        for split, columns in res.slices.items():
            name = SplitName.parse(split)
            if name.kind == ALL_KINDS or name.role != "manipulated" or COLUMN not in columns:
                continue
            key = (res.detector, other_options(res), res.dataset, split, Protocol.from_record(res.protocol).key())
            matrix = found.setdefault(key, AttributionMatrix(res.detector, res.dataset, split, res.protocol))
            row = autoencoder_of(res)
            for family, metrics in columns[COLUMN].items():
                matrix.cells.setdefault((row, family), (metrics.get(METRIC), metrics.get("n_images", metrics.get("n"))))
    out = []
    for matrix in found.values():
        matrix.rows = sorted({r for r, _ in matrix.cells}, key=lambda r: _family_order(FAMILIES.get(r, r)))
        matrix.columns = sorted({c for _, c in matrix.cells}, key=_family_order)
        if len(matrix.rows) > 1:
            out.append(matrix)
    return sorted(out, key=lambda m: (m.detector, m.dataset, m.split))


def matrix_table(matrix: AttributionMatrix) -> str:
    """The matrix as markdown: the best row of each column in bold (none in the ``NO_AUTOENCODER`` column, none
    at or below the pixel AUC of chance, 0.5), small cells in italics, n in every cell."""
    values, counts = matrix.values(), matrix.counts()
    columns = [ranked_cells([v[j] for v in values], [n[j] for n in counts], bold=family != NO_AUTOENCODER,
                            with_n=True, chance=0.5) for j, family in enumerate(matrix.columns)]
    rows = [[f"{r} ({FAMILIES[r]})" if r in FAMILIES else r] + [c[i] for c in columns]
            for i, r in enumerate(matrix.rows)]
    return markdown_table([f"{matrix.detector} autoencoder \\ data family", *matrix.columns], rows)


def mismatch_table(matrix: AttributionMatrix) -> str | None:
    """Per data family that a row matches: the matching autoencoder's AUC, the best and the mean of the others,
    and the drop from the matching one to the mean of the others. ``None`` when no row matches a column."""
    body = []
    for family in matrix.columns:
        matching = [r for r in matrix.rows if FAMILIES.get(r) == family]
        others = [(r, matrix.cells.get((r, family), (None, None))[0]) for r in matrix.rows if r not in matching]
        others = [(r, v) for r, v in others if v is not None]
        if not matching or not others:
            continue
        own, n = matrix.cells.get((matching[0], family), (None, None))
        best = max(others, key=lambda rv: rv[1])
        mean = sum(v for _, v in others) / len(others)
        body.append([family, n, matching[0], own, f"{best[0]} {best[1]:.3f}", mean,
                     None if own is None else own - mean])
    if not body:
        return None
    return markdown_table(["data family", "n", "matching autoencoder", "its AUC", "best other", "mean of others",
                           "drop (matching − mean of others)"], body)


def attribution_section(results: Sequence[Result], ids: ProtocolIds | None = None) -> list[str]:
    """The matrices (one per detector, dataset, manipulated split and protocol) and their mismatch tables."""
    matrices = attribution_matrices(results)
    if not matrices:
        return []
    ids = ids or ProtocolIds(results)
    lines = ["## Autoencoder attribution", "", DOC, ""]
    for matrix in matrices:
        lines += [f"### {matrix.detector} · {matrix.dataset} · {matrix.split} · {ids.of(matrix.protocol)}", "",
                  matrix_table(matrix), ""]
        mismatch = mismatch_table(matrix)
        if mismatch:
            lines += ["Cross-family: the matching autoencoder against the others, per data family.", "", mismatch, ""]
    return lines
