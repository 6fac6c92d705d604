"""Per-image records, slices by a dataset column or a derived bucket, the leaderboard's slice table and
the gallery of the worst and best images."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pandas as pd
import pytest
import torch

from inpaintbench import cli
from inpaintbench.data.layout import LayoutDataset
from inpaintbench.evaluation.image_records import BASE_COLUMNS
from inpaintbench.evaluation.metrics import MetricState
from inpaintbench.evaluation.slices import ImageInfo, SplitImages, check_columns, slice_split
from inpaintbench.jobs._gallery import choose
from inpaintbench.reports.leaderboard import build
from inpaintbench.sdk.registry import RegistryError

MEAN_METRICS = ("iou", "f1", "precision", "recall", "f1_best")


def random_split(n: int = 23, size: int = 16, seed: int = 0) -> SplitImages:
    """A split of ``n`` images with random heatmaps and masks of varied size, a generator column
    (one value held by a single image) and some empty masks."""
    g = torch.Generator().manual_seed(seed)
    pred = torch.rand(n, 1, size, size, generator=g)
    side = torch.randint(1, size, (n,), generator=g)
    side[::7] = 0  # a few empty masks
    target = torch.zeros(n, 1, size, size)
    for i, s in enumerate(side.tolist()):
        target[i, 0, :s, :s] = 1
    state = MetricState()
    state.update(pred, target, [f"i{i}" for i in range(n)])
    generators = ["sd"] * (n // 2) + ["vae"] * (n - n // 2 - 1) + ["flux"]
    infos = [ImageInfo(f"i{i}", "test/realfake", "realfake", i, size, size, {"generator": generators[i]})
             for i in range(n)]
    return SplitImages(state, infos)


def test_slice_means_weighted_by_their_counts_give_the_split_mean():
    split = random_split()
    whole = split.state.compute()
    sliced = slice_split(split, ["generator", "mask_size"])
    for column, values in sliced.items():
        assert sum(m["n"] for m in values.values()) == len(split.images)
        assert sum(m["n_images"] for m in values.values()) == whole["n_images"]
        assert sum(m["n_empty_mask"] for m in values.values()) == whole["n_empty_mask"] > 0
        for metric in MEAN_METRICS:
            scored = [(m[metric], m["n_images"]) for m in values.values() if m["n_images"]]
            recombined = sum(v * n for v, n in scored) / sum(n for _, n in scored)
            assert recombined == pytest.approx(whole[metric], rel=1e-12, abs=1e-12), (column, metric)
        defined = [(m["auc"], m["n_images"] - m["n_auc_undefined"]) for m in values.values()
                   if m["n_images"] - m["n_auc_undefined"]]
        assert sum(v * n for v, n in defined) / sum(n for _, n in defined) == pytest.approx(whole["auc"], rel=1e-12)
    assert sliced["generator"]["flux"]["n"] == 1  # a value with one image is still reported
    assert list(sliced["mask_size"])[0] == "empty"  # derived buckets come smallest first


def test_unknown_slice_column_names_the_columns_that_exist():
    with pytest.raises(RegistryError) as err:
        check_columns(["genrator"], ["generator", "mask_type"])
    text = str(err.value)
    assert "'genrator'" in text and "Did you mean 'generator'" in text
    assert all(c in text for c in ("mask_size", "image_size", "generator", "mask_type"))


def with_manifest(root, rows):
    """Write a layout manifest of ``rows`` (dicts with ``id``) at ``root``."""
    with open(root / "manifest.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return root


@pytest.fixture
def sliced_layout(tiny_layout):
    """The tiny layout with a manifest: realfake made by sd or classical (by id), fakefake by vae."""
    ids = [p.name.split(".")[0] for p in sorted((tiny_layout / "test").glob("*.mask.webp"))]
    ids += [p.name.split(".")[0] for part in ("train", "val") for p in sorted((tiny_layout / part).glob("*.mask.webp"))]
    rows = [{"id": sid, "generator": "x", "kind_generators": f"realfake:{'sd' if n % 2 else 'classical'};fakefake:vae",
             "mask_type": "square", "camera": f"c{n % 2}"} for n, sid in enumerate(ids)]
    return with_manifest(tiny_layout, rows)


def test_layout_records_carry_manifest_columns_with_the_generator_of_their_kind(sliced_layout):
    ds = LayoutDataset(sliced_layout)
    realfake = {r.id: r.columns for r in ds.records("test/realfake")}
    assert realfake["test000"] == {"generator": "classical", "mask_type": "square", "camera": "c0"}
    assert realfake["test001"]["generator"] == "sd"
    assert {r.columns["generator"] for r in ds.records("test/fakefake")} == {"vae"}
    assert ds.load(ds.records("test/realfake")[1]).meta["generator"] == "sd"


def evaluate_args(root, out, *extra):
    return ["evaluate", "--detector", "noise-residual", "--dataset", "provided", "--data-root", str(root),
            "--output", str(out), "--quiet", *extra]


def test_evaluate_writes_records_slices_and_a_gallery(sliced_layout, tmp_path):
    out = tmp_path / "res" / "r.json"
    assert cli.main(evaluate_args(sliced_layout, out, "--slice-by", "generator,mask_size",
                                  "--gallery-k", "2", "--split", "test/realfake", "--split", "test/fakefake",
                                  "--split", "test/original")) == 0
    result = json.loads(out.read_text())
    records = out.parent / result["records"]
    assert records.name in ("r.records.csv", "r.records.parquet") and records.is_file()
    table = pd.read_csv(records) if records.suffix == ".csv" else pd.read_parquet(records)
    assert list(table.columns[:len(BASE_COLUMNS)]) == list(BASE_COLUMNS)
    assert {"mask_type", "camera", "generator"} <= set(table.columns)
    assert len(table) == 9 and set(table["split"]) == {"test/realfake", "test/fakefake", "test/original"}
    realfake = table[table["split"] == "test/realfake"]
    assert realfake["iou"].mean() == pytest.approx(result["metrics"]["test/realfake"]["iou"], rel=1e-9)
    assert (table["attack"].isna() | (table["attack"] == "")).all()

    by_generator = result["slices"]["test/realfake"]["generator"]
    assert {k: v["n"] for k, v in by_generator.items()} == {"classical": 2, "sd": 1}
    recombined = sum(v["iou"] * v["n_images"] for v in by_generator.values()) / 3
    assert recombined == pytest.approx(result["metrics"]["test/realfake"]["iou"], rel=1e-12)
    # the part's manipulated splits together: each kind's generator side by side, recombining to the pooled mean
    pooled = result["slices"]["test/*"]["generator"]
    assert {k: v["n"] for k, v in pooled.items()} == {"classical": 2, "sd": 1, "vae": 3}
    metrics = result["metrics"]
    both = (metrics["test/realfake"]["iou"] + metrics["test/fakefake"]["iou"]) / 2
    assert sum(v["iou"] * v["n_images"] for v in pooled.values()) / 6 == pytest.approx(both, rel=1e-12)
    assert set(result["slices"]) == {"test/realfake", "test/fakefake", "test/original", "test/*"}
    assert result["slicing"]["by"] == ["generator", "mask_size"]
    assert "10-30%" in result["slicing"]["definitions"]["mask_size"]

    from PIL import Image

    with Image.open(out.with_suffix(".png")) as gallery:  # 2 worst + 1 best rows of 4 panels
        assert gallery.format == "PNG" and gallery.width > 400


def test_unknown_slice_column_stops_evaluate_before_any_work(sliced_layout, tmp_path, capsys):
    out = tmp_path / "r.json"
    assert cli.main(evaluate_args(sliced_layout, out, "--slice-by", "generator,camrea", "--no-overlays")) == 2
    err = capsys.readouterr().err
    assert "'camrea'" in err and "camera" in err and "mask_size" in err
    assert not out.exists()


def test_gallery_takes_the_k_worst_then_the_k_best_scored_images():
    split = random_split()
    chosen = choose({"test/realfake": split}, k=3, metric="iou", columns=["generator"])
    iou = split.state.per_image()["iou"].tolist()
    counts, _, _ = split.state.tensors()
    scored = sorted(v for i, v in enumerate(iou) if counts[i, 0] + counts[i, 2] > 0)
    assert [c.value for c in chosen] == scored[:3] + scored[::-1][:3]
    assert [c.rank for c in chosen][:2] == ["worst 1", "worst 2"] and chosen[3].rank == "best 1"
    assert all(set(c.slice_values) == {"generator"} for c in chosen)
    assert all(not math.isnan(c.value) for c in chosen)


def test_leaderboard_slice_table_has_detectors_as_rows_and_values_with_n(sliced_layout, tmp_path, capsys):
    for detector in ("noise-residual", "noise-kurtosis"):
        assert cli.main(["evaluate", "--detector", detector, "--dataset", "provided", "--data-root",
                         str(sliced_layout), "--output", str(tmp_path / f"{detector}.json"), "--quiet", "--no-overlays",
                         "--split", "test/realfake", "--slice-by", "generator"]) == 0
    text = build(sorted(tmp_path.glob("*.json")), slice_by=["generator"])
    from inpaintbench.jobs.results import data_heading, read_result

    data = data_heading(read_result(tmp_path / "noise-residual.json"))
    assert data.startswith(f"provided ({sliced_layout.name}, data ")  # the folder and the data fingerprint
    section = text[text.index(f"### {data} · test/realfake · P1 · by generator"):]
    header = next(line for line in section.splitlines() if line.startswith("| detector"))
    assert "classical (n=2)" in header and "sd (n=1)" in header
    assert sum(line.startswith("| [noise-") for line in section.splitlines()[:12]) == 2
    with pytest.raises(RegistryError, match="'generator'"):
        build(sorted(tmp_path.glob("*.json")), slice_by=["generatr"])


def test_the_gallery_title_counts_what_it_shows_and_the_heatmap_has_a_colour_bar():
    import matplotlib.pyplot as plt

    from inpaintbench.jobs._gallery import GalleryImage, _figure

    def row(rank: str, n: int):
        item = GalleryImage(rank, "test/realfake", n, f"id{n}", 0.1 * n, {"mask_size": "<2%"})
        truth = np.zeros((8, 8), np.float32)
        truth[2:5, 2:5] = 1
        return item, np.full((8, 8, 3), 0.5, np.float32), truth, np.linspace(0, 1, 64, dtype=np.float32).reshape(8, 8)

    for rows, said in (([row("worst 1", 1), row("worst 2", 2), row("worst 3", 3)],
                        "det on data: all 3 scored image(s), worst first, by iou"),
                       ([row("worst 1", 1), row("worst 2", 2), row("best 1", 3)],
                        "det on data: 2 worst and 1 best, by iou")):
        fig = _figure(rows, "iou", 0.5, "det on data")
        try:
            assert fig._suptitle.get_text() == said
            bars = [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]
            assert len(bars) == len(rows)  # one per heatmap, none elsewhere
            assert bars[0].get_ylim() == (0.0, 1.0)
        finally:
            plt.close(fig)
