"""The leaderboard's "Real generators" section and the autoencoder attribution matrix, from small fake result
JSONs with known numbers: n in every header or cell, small cells never bolded, the right cell in each place."""

from __future__ import annotations

import re

from inpaintbench.jobs.results import Result
from inpaintbench.reports._markdown import ranked_cells
from inpaintbench.reports.attribution import attribution_matrices, attribution_section, mismatch_table
from inpaintbench.reports.leaderboard import build
from inpaintbench.reports.real_generators import real_generators_section

PROTOCOL = {"threshold": 0.5, "image_size": None}
#: n per generator of the fake wild results: CoModGAN is large, LaMa small.
GENERATORS = {"BrushEdit": ("sd1", 20), "CoModGAN": ("none", 20), "LaMa": ("none", 1)}


def metrics(auc: float, n: int, **more) -> dict:
    return {"role": "manipulated", "auc": auc, "f1_best": auc / 2, "iou": auc / 4, "n_images": n, **more}


def wild_result(detector: str, aucs: dict[str, float], fpr: float, options: dict | None = None) -> Result:
    """A result on the wild set: per generator pixel AUC ``aucs``, overall the mean; originals with ``fpr``."""
    by_generator = {g: {"n": n, **metrics(aucs[g], n)} for g, (_, n) in GENERATORS.items()}
    families: dict[str, list[str]] = {}
    for generator, (family, _) in GENERATORS.items():
        families.setdefault(family, []).append(generator)
    by_family = {f: {"n": sum(GENERATORS[g][1] for g in gs),
                     **metrics(sum(aucs[g] for g in gs) / len(gs), sum(GENERATORS[g][1] for g in gs))}
                 for f, gs in families.items()}
    overall = sum(aucs.values()) / len(aucs)
    return Result(detector=detector, dataset="wild", protocol=dict(PROTOCOL),
                  metrics={"test/manipulated": metrics(overall, 41, image_auc=0.6),
                           "test/original": {"role": "authentic", "fpr": fpr, "n_authentic": 27}},
                  detector_info={"options": dict(options or {}), "card": {"trainable": False}},
                  dataset_info={"name": "wild", "root": "../shared/data/wild", "fingerprint": "0" * 16},
                  slices={"test/manipulated": {"generator": by_generator, "autoencoder": by_family}})


def family_result(autoencoder: str, family: str, auc: float, n: int = 16) -> Result:
    """``aerecon --opt autoencoder=<autoencoder>`` on data made with ``family``, sliced by autoencoder."""
    sliced = {"autoencoder": {family: {"n": n, **metrics(auc, n)}}}
    return Result(detector="aerecon", dataset="bsds-families", protocol=dict(PROTOCOL),
                  metrics={"test/fakefake": metrics(auc, n), "test/realfake": metrics(auc, n)},
                  detector_info={"options": {"autoencoder": autoencoder, "window": 33}},
                  dataset_info={"name": "freeform"},
                  slices={"test/fakefake": sliced, "test/realfake": sliced, "test/*": sliced})


def test_ranked_cells_bold_only_among_large_cells():
    cells = ranked_cells([0.9, 0.99, 0.5, None], [20, 1, 20, 20])
    assert cells == ["**0.900**", "_0.990_", "0.500", "–"]  # the small 0.99 is not the win
    assert ranked_cells([0.7], [30], with_n=True) == ["0.700 (n=30)"]  # nothing to beat: no bold


def test_ranked_cells_compare_values_as_shown():
    # 0.5520127 and 0.5520083 both show as 0.552: both win, not only the larger
    assert ranked_cells([0.5520083, 0.5520127, 0.4], [9, 9, 9]) == ["**0.552**", "**0.552**", "0.400"]
    assert ranked_cells([0.5520083, 0.5520127], [9, 9]) == ["0.552", "0.552"]  # all tie: no win
    assert ranked_cells([0.9, 0.9004, 0.1], [9, 9, 2]) == ["0.900", "0.900", "_0.100_"]  # the small one competes not


def test_ranked_cells_without_bold():
    # a false-positive rate: the lowest is a detector that flags nothing, so no cell is marked a win
    assert ranked_cells([0.2, 0.0, 0.1], [5, 5, 1]) == ["**0.200**", "0.000", "_0.100_"]
    assert ranked_cells([0.2, 0.0, 0.1], [5, 5, 1], bold=False) == ["0.200", "0.000", "_0.100_"]


def test_a_floor_is_shown_never_bolded_and_hides_no_win():
    # the floor is shown plain and never wins; a best competing row wins only above the floor
    assert ranked_cells([0.3, 0.1, 0.2], [9, 9, 9], competes=[True, False, True]) == ["**0.300**", "0.100", "0.200"]
    assert ranked_cells([0.3, 0.4, 0.2], [9, 9, 9], competes=[True, False, True]) == ["0.300", "0.400", "0.200"]
    assert ranked_cells([0.3, 0.3, 0.2], [9, 9, 9], competes=[True, False, True]) == ["0.300", "0.300", "0.200"]
    assert ranked_cells([0.3, 0.1], [9, 9], competes=[True, False]) == ["0.300", "0.100"]  # one competitor: no win


def test_no_auc_at_or_below_chance_wins():
    assert ranked_cells([0.49, 0.45], [9, 9], chance=0.5) == ["0.490", "0.450"]
    assert ranked_cells([0.5, 0.45], [9, 9], chance=0.5) == ["0.500", "0.450"]
    assert ranked_cells([0.51, 0.45], [9, 9], chance=0.5) == ["**0.510**", "0.450"]


def test_the_all_positive_floor_in_the_real_generators_tables():
    floor = wild_result("all-positive", {"BrushEdit": 0.5, "CoModGAN": 0.5, "LaMa": 0.5}, fpr=1.0)
    floor.metrics["test/manipulated"]["iou"] = 0.9  # marking everything: the largest IoU of the table
    floor.detector_info["card"] = {"trainable": False, "floor": True}
    a = wild_result("aerecon", {"BrushEdit": 0.8, "CoModGAN": 0.6, "LaMa": 0.99}, fpr=0.3)
    b = wild_result("noise-residual", {"BrushEdit": 0.55, "CoModGAN": 0.7, "LaMa": 0.1}, fpr=0.05)
    text = "\n".join(real_generators_section([floor, a, b]))
    overall = text.split("### wild · P1 · overall")[1].split("###")[0]
    row = next(line for line in overall.splitlines() if line.startswith("| [all-positive]"))
    assert "0.900" in row and "**" not in row and "a reference floor" in row
    assert "0.199" in overall and "**0.199**" not in overall  # aerecon's IoU is the best, but below the floor
    assert "**0.797**" in overall  # its pixel AUC beats the floor's 0.5: a win
    by_generator = text.split("pixel AUC by generator")[1].split("###")[0]
    assert "**" not in next(line for line in by_generator.splitlines() if line.startswith("| [all-positive]"))


def test_real_generators_tables(tmp_path):
    strong = wild_result("aerecon", {"BrushEdit": 0.8, "CoModGAN": 0.6, "LaMa": 0.99}, fpr=0.3)
    weak = wild_result("noise-residual", {"BrushEdit": 0.55, "CoModGAN": 0.7, "LaMa": 0.1}, fpr=0.05)
    text = "\n".join(real_generators_section([weak, strong]))
    overall = text.split("### wild · P1 · overall")[1].split("###")[0]
    rows = [line for line in overall.splitlines() if line.startswith("| [")]
    assert rows[0].startswith("| [aerecon]")  # best pixel AUC first
    assert "| 0.050 " in rows[1] and "27" in rows[1]  # the lowest FPR on the originals, with its n, not bolded
    assert "**0.300**" not in rows[0] and "rate is never bolded" in text
    by_generator = text.split("pixel AUC by generator")[1].split("###")[0]
    header = by_generator.splitlines()[2]
    assert header.index("BrushEdit (n=20)") < header.index("LaMa (n=1, small)")
    aerecon = next(line for line in by_generator.splitlines() if line.startswith("| [aerecon]"))
    residual = next(line for line in by_generator.splitlines() if line.startswith("| [noise-residual]"))
    assert "**0.800**" in aerecon and "_0.990_" in aerecon  # LaMa's 0.99 is one image: italics, no bold
    assert "**0.700**" in residual and "_0.100_" in residual
    assert "pixel AUC by autoencoder" in text and "sd1 (n=20)" in text and "none (n=21)" in text
    assert "F1-best by generator" in text and "IoU by generator" in text
    assert not re.search(r"\*\*0\.990\*\*|\*\*_", text)


def test_wild_and_attribution_results_leave_the_main_tables(tmp_path):
    paths = []
    for i, res in enumerate([wild_result("aerecon", {"BrushEdit": 0.8, "CoModGAN": 0.6, "LaMa": 0.9}, fpr=0.3),
                             family_result("taesd", "sd1", 0.9), family_result("taef1", "sd1", 0.6)]):
        path = tmp_path / f"r{i}.json"
        path.write_text(res.to_json())
        paths.append(path)
    text = build(paths)
    assert "## Real generators" in text and "## Autoencoder attribution" in text
    main = text.split("## Real generators")[0]
    assert "### wild" not in main and "bsds-families" not in main
    assert '<a id="detector-aerecon"></a>' in main  # its card is still there for the links


def test_attribution_matrix_and_mismatch():
    results = [family_result(ae, family, auc) for ae, family, auc in (
        ("taesd", "sd1", 0.95), ("taesd", "flux1", 0.55), ("taef1", "sd1", 0.60), ("taef1", "flux1", 0.90),
        ("taef2", "sd1", 0.70), ("taef2", "flux1", 0.65))]
    results.append(family_result("taesdxl", "sdxl", 0.8, n=3))  # a small cell
    matrices = attribution_matrices(results)
    assert [m.split for m in matrices] == ["test/fakefake", "test/realfake"]  # the pooled test/* left out
    matrix = matrices[0]
    assert matrix.rows == ["taesd", "taesdxl", "taef1", "taef2"] and matrix.columns == ["sd1", "sdxl", "flux1"]
    assert matrix.values()[0] == [0.95, None, 0.55] and matrix.counts()[1] == [None, 3, None]
    text = "\n".join(attribution_section(results))
    assert "| taesd (sd1)" in text and "**0.950** (n=16)" in text and "_0.800_ (n=3)" in text
    assert "**0.900** (n=16)" in text  # taef1 wins the flux1 column
    mismatch = mismatch_table(matrix)
    sd1 = next(line for line in mismatch.splitlines() if line.startswith("| sd1"))
    # matching taesd 0.95; others taef1 0.60, taef2 0.70: best other taef2, mean 0.65, drop 0.30
    assert "taesd" in sd1 and "taef2 0.700" in sd1 and "0.650" in sd1 and "0.300" in sd1
    assert "| sdxl" not in mismatch  # no other autoencoder ran on sdxl data


def test_attribution_bolds_no_autoencoder_below_chance():
    results = [family_result(ae, "flux1", auc) for ae, auc in (("taesd", 0.49), ("taef1", 0.45))]
    results += [family_result(ae, "sd1", auc) for ae, auc in (("taesd", 0.7), ("taef1", 0.45))]
    text = "\n".join(attribution_section(results))
    assert "**0.490**" not in text and "0.490 (n=16)" in text  # the best of flux1 is below chance: no win
    assert "**0.700** (n=16)" in text and "chance (0.5)" in text


def test_attribution_bolds_no_autoencoder_for_data_made_without_one():
    results = [family_result(ae, family, auc) for ae, family, auc in (
        ("taesd", "sd1", 0.95), ("taesd", "none", 0.70), ("taef1", "sd1", 0.60), ("taef1", "none", 0.50))]
    text = "\n".join(attribution_section(results))
    table = text.split("### aerecon · bsds-families · test/fakefake")[1].split("Cross-family")[0]
    assert "**0.950** (n=16)" in table  # the sd1 column has its best autoencoder
    assert "| 0.700 (n=16)" in table and "**0.700**" not in table  # the none column has none
    assert "`none` column has no best autoencoder" in text


def test_one_autoencoder_makes_no_matrix():
    assert attribution_matrices([family_result("taesd", "sd1", 0.9)]) == []


def test_results_with_other_options_or_a_trained_model_make_no_shared_matrix():
    results = [family_result("taesd", "sd1", 0.95), family_result("taef1", "sd1", 0.60)]
    other = [family_result("taesd", "sd1", 0.10), family_result("taef1", "sd1", 0.20)]
    for res in other:
        res.detector_info["options"]["window"] = 9  # another setting of the same detector: its own matrix
    matrices = attribution_matrices(results + other)
    assert sorted(m.values()[0][0] for m in matrices if m.split == "test/fakefake") == [0.10, 0.95]
    trained = family_result("taef2", "sd1", 0.99)
    trained.detector_info["card"] = {"trainable": True}  # e.g. NIX-Net with the trace: not an attribution row
    [matrix] = [m for m in attribution_matrices(results + [trained]) if m.split == "test/fakefake"]
    assert matrix.rows == ["taesd", "taef1"]


def test_models_of_one_detector_trained_on_other_data_get_rows_of_their_own():
    from inpaintbench.reports.real_generators import row_labels

    aucs = {"BrushEdit": 0.6, "CoModGAN": 0.5, "LaMa": 0.5}
    a, b = wild_result("nixnet", aucs, fpr=0.1), wild_result("nixnet", aucs, fpr=0.2)
    a.training = {"train_set": "taesd (sd1) data", "steps": 5}
    b.training = {"data": {"dataset": "freeform@runs/reference/cpu/data/bsds-freeform"}, "steps": 9}
    alone = wild_result("noise-residual", aucs, fpr=0.0)
    labels = row_labels([a, b, alone])
    assert labels[id(a)] == "nixnet · taesd (sd1) data" and labels[id(b)] == "nixnet · bsds-freeform"
    assert labels[id(alone)] == "noise-residual"
    by_generator = "\n".join(real_generators_section([a, b, alone])).split("pixel AUC by generator")[1]
    assert "[nixnet · taesd (sd1) data]" in by_generator and "[nixnet · bsds-freeform]" in by_generator
