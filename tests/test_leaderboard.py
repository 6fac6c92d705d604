"""Leaderboards from result files: ranked per split, protocol stated, protocols never mixed."""

from inpaintbench.cli import main
from inpaintbench.jobs.results import Result, write_result


def _result(detector, iou, image_size=256, split="test/fakefake"):
    metrics = {split: {"role": "manipulated", "iou": iou, "f1": iou + 0.05, "iou_pooled": iou, "f1_pooled": iou,
                       "f1_best": 0.9, "auc": 0.95, "n_images": 10},
               "test/original": {"role": "authentic", "fpr": 0.01 * iou, "fpr_pooled": 0.01, "any_positive_rate": 0.5,
                                 "n_authentic": 4}}
    return Result(detector=detector, dataset="provided", protocol={"threshold": 0.5, "image_size": image_size},
                  metrics=metrics, detector_info={"card": {"description": f"{detector} card"}, "parameters": 7})


def _tables(text: str, heading: str) -> dict[str, list[list[str]]]:
    """The pipe tables under each ``### `` heading of one ``## heading`` section, as cell lists."""
    section = text.split(f"## {heading}\n")[1].split("\n## ")[0]
    out = {}
    for block in section.split("### ")[1:]:
        title, _, body = block.partition("\n")
        rows = [ln for ln in body.splitlines() if ln.startswith("|")]
        out[title.strip()] = [[c.strip() for c in ln.split("|")[1:-1]] for ln in rows]
    return out


def test_protocols_are_stated_once_and_tables_never_mix_them(tmp_path, capsys):
    paths = [write_result(_result("a", 0.4), tmp_path / "a.json"), write_result(_result("b", 0.7), tmp_path / "b.json"),
             write_result(_result("c", 0.9, image_size=512), tmp_path / "c.json")]
    out = tmp_path / "board.md"
    assert main(["leaderboard", *map(str, paths), "-o", str(out)]) == 0
    text = out.read_text()
    protocols = text.split("## Protocols")[1].split("\n## ")[0]
    assert "- **P1**: resized to 256 px" in protocols and "- **P2**: resized to 512 px" in protocols
    assert text.count("**image_size**") == 2  # each full record once, in the protocols section
    local = _tables(text, "Localization")
    assert set(local) == {"provided · test/fakefake · P1", "provided · test/fakefake · P2"}
    p1 = local["provided · test/fakefake · P1"]
    assert p1[0] == ["detector", "training data", "budget", "IoU", "F1", "F1-best", "pixel AUC", "n"]
    assert [row[0] for row in p1[2:]] == ["[b](#detector-b)", "[a](#detector-a)"]  # best IoU first, no c
    assert '<a id="detector-b"></a>' in text and "b card" in text
    auth = _tables(text, "False positives on authentic images")["provided · test/original · P1"]
    assert [row[0] for row in auth[2:]] == ["[a](#detector-a)", "[b](#detector-b)"]  # lower FPR first


def test_table_follows_the_recorded_role_and_puts_missing_values_last(tmp_path):
    # a split named like a manipulated kind but recorded as authentic is ranked by FPR, lowest first
    odd = {"role": "authentic", "fpr": 0.2, "fpr_pooled": 0.2, "any_positive_rate": 1.0, "n_authentic": 3}
    results = [Result("a", "d", {"threshold": 0.5}, {"test/x": dict(odd)}),
               Result("b", "d", {"threshold": 0.5}, {"test/x": {**odd, "fpr": 0.1}}),
               Result("c", "d", {"threshold": 0.5}, {"test/x": {**odd, "fpr": float("nan")}})]
    for res in results:
        write_result(res, tmp_path / f"{res.detector}.json")
    out = tmp_path / "board.md"
    assert main(["leaderboard", str(tmp_path), "-o", str(out)]) == 0
    cells = _tables(out.read_text(), "False positives on authentic images")["d · test/x · P1"]
    assert cells[0] == ["detector", "training data", "budget", "FPR", "FPR pooled", "any-positive rate", "n"]
    assert [row[0] for row in cells[2:]] == ["[b](#detector-b)", "[a](#detector-a)", "[c](#detector-c)"]
    assert cells[4][3] == "–"


def test_a_detection_table_ranks_image_level_metrics_in_its_own_section(tmp_path):
    results = [_result("a", 0.4), _result("b", 0.7), _result("c", 0.2)]
    for res, auc in zip(results[:2], (0.9, 0.6)):
        res.metrics["test/fakefake"].update({"image_auc": auc, "image_bacc": auc - 0.1, "image_tpr_at_5fpr": auc / 2,
                                             "image_threshold": 0.5, "image_threshold_from": "fixed"})
    paths = [write_result(res, tmp_path / f"{res.detector}.json") for res in results]
    out = tmp_path / "board.md"
    assert main(["leaderboard", *map(str, paths), "-o", str(out)]) == 0
    text = out.read_text()
    assert "image AUC" not in text.split("## Detection (image level)")[0]
    detection = _tables(text, "Detection (image level)")
    assert list(detection) == ["provided · test/fakefake · P1"]  # no detection table for the authentic split
    table = detection["provided · test/fakefake · P1"]
    assert table[0][3:] == ["image AUC", "bAcc", "TPR at 5% FPR", "bAcc threshold", "threshold from", "n",
                            "n authentic"]
    assert [row[0] for row in table[2:]] == ["[a](#detector-a)", "[b](#detector-b)", "[c](#detector-c)"]
    assert table[2][3:6] == ["0.900", "0.800", "0.450"] and table[4][3] == "–"


def test_rows_name_variants_training_data_and_budget_from_the_results_alone(tmp_path):
    trained = _result("nixnet", 0.5)
    trained.detector_info = {"options": {"width": 16, "residual": "aerecon", "clip": 16.0},
                             "card": {"trainable": True}}
    trained.training = {"steps": 300, "seconds": 90.0, "config": {"batch_size": 8, "crop": 128},
                        "data": {"dataset": "freeform@runs/bsds", "kinds": {"fakefake": 160, "original": 160}}}
    plain = _result("nixnet", 0.3)
    plain.detector_info = {"options": {"width": 16, "residual": "srm", "clip": None}}  # clip follows residual
    plain.training = {"train_set": "freeform:realfake", "steps": 50, "config": {"batch_size": 4, "crop": 0}}
    free = _result("aerecon", 0.6)
    free.detector_info = {"card": {"trainable": False}}
    for res in (trained, plain, free):
        write_result(res, tmp_path / f"{res.detector}-{res.metrics['test/fakefake']['iou']}.json")
    out = tmp_path / "board.md"
    assert main(["leaderboard", str(tmp_path), "-o", str(out)]) == 0
    rows = {r[0]: r[1:3] for r in _tables(out.read_text(), "Localization")["provided · test/fakefake · P1"][2:]}
    assert rows == {"[aerecon](#detector-aerecon)": ["none (training-free)", "–"],
                    "[nixnet residual=aerecon](#detector-nixnet)": ["bsds (freeform): fakefake 160, original 160",
                                                                    "300 steps × 8, crop 128, 1.5 min"],
                    "[nixnet residual=srm](#detector-nixnet)": ["freeform:realfake", "50 steps × 4, whole images"]}


def test_the_committed_reference_board_states_one_protocol_and_names_stressed_variants():
    from pathlib import Path

    from inpaintbench.reports.leaderboard import build

    results = Path(__file__).resolve().parents[1] / "leaderboards" / "results"
    text = build(p for p in sorted(results.rglob("*.json")) if p.name != "reference.json")
    assert text.count("- **P1**") == 1 and "- **P2**" not in text  # one protocol, stated once
    if "## Robustness (iou)" in text:  # a partial run has no stress stage yet (its board says so)
        robust = text.split("## Robustness (iou)")[1].split("\n## ")[0]
        header = next(line for line in robust.splitlines() if line.startswith("| attack"))
        cells = [c.strip() for c in header.strip("|").split("|")[1:]]
        # never a bare "nixnet": the stressed variant is named by its options
        assert all(c != "nixnet" and (not c.startswith("nixnet") or "residual=" in c) for c in cells), header


# --- leaderboards know which data they rank ---------------------------------------------------------

def _on(result: Result, root: str, fingerprint: str) -> Result:
    result.dataset_info = {"root": root, "fingerprint": fingerprint}
    return result


def test_one_dataset_name_on_other_folders_or_data_never_shares_a_table(tmp_path):
    results = [_on(_result("a", 0.4), "runs/data/bsds-freeform", "60e4a41516660307"),
               _on(_result("b", 0.7), "runs/data/bsds-freeform", "60e4a41516660307"),
               _on(_result("c", 0.9), "runs/data/stress", "000e466acdb630b2"),
               _on(_result("d", 0.5), "runs/data/bsds-freeform", "1111111111111111")]  # regenerated in place
    paths = [write_result(res, tmp_path / f"{res.detector}.json") for res in results]
    out = tmp_path / "board.md"
    assert main(["leaderboard", *map(str, paths), "-o", str(out)]) == 0
    local = _tables(out.read_text(), "Localization")
    assert set(local) == {"provided (bsds-freeform, data 60e4a415) · test/fakefake · P1",
                          "provided (stress, data 000e466a) · test/fakefake · P1",
                          "provided (bsds-freeform, data 11111111) · test/fakefake · P1"}
    rows = {title: [row[0] for row in table[2:]] for title, table in local.items()}
    assert rows["provided (bsds-freeform, data 60e4a415) · test/fakefake · P1"] == ["[b](#detector-b)",
                                                                                   "[a](#detector-a)"]
    for res in results:  # the published detectors' section keeps the data apart too: a column per data
        res.detector_info = {"card": {"published": True, "reference": "x", "licence": "y", "designed_for": "z"}}
    paths = [write_result(res, tmp_path / f"{res.detector}.json") for res in results]
    assert main(["leaderboard", *map(str, paths), "-o", str(out)]) == 0
    header = _tables(out.read_text(), "Published detectors")["IoU · P1"][0]
    assert header[1:] == ["provided (bsds-freeform, data 11111111) · test/fakefake (n=10)",
                          "provided (bsds-freeform, data 60e4a415) · test/fakefake (n=10)",
                          "provided (stress, data 000e466a) · test/fakefake (n=10)"]


def test_identical_results_appear_once(tmp_path):
    import json

    evaluated = _on(_result("a", 0.4), "data", "60e4a41516660307")
    write_result(evaluated, tmp_path / "a.json")
    copy = json.loads((tmp_path / "a.json").read_text())
    copy.update(created="2030-01-01T00:00:00+00:00", timing={"evaluate_seconds": 9.0})  # another run, same numbers
    (tmp_path / "stress").mkdir()
    (tmp_path / "stress" / "clean.json").write_text(json.dumps(copy))
    write_result(_on(_result("b", 0.7), "data", "60e4a41516660307"), tmp_path / "b.json")
    (tmp_path / "notes.json").write_text('{"not": "a result"}')
    out = tmp_path / "board.md"
    assert main(["leaderboard", str(tmp_path), "-o", str(out)]) == 0
    text = out.read_text()
    table = _tables(text, "Localization")["provided (data, data 60e4a415) · test/fakefake · P1"]
    assert [row[0] for row in table[2:]] == ["[b](#detector-b)", "[a](#detector-a)"]  # a once
    assert f"shown once: {tmp_path / 'stress' / 'clean.json'} (= {tmp_path / 'a.json'})" in text
    assert "1 other JSON file(s) in the folders are not results" in text


def test_detection_tables_show_n_and_a_threshold_outside_every_score(tmp_path):
    inside, outside, old = _result("a", 0.4), _result("b", 0.7), _result("c", 0.2)
    for res, bacc, where in ((inside, 0.75, None), (outside, 0.5, "above every score"), (old, 0.6, None)):
        res.metrics["test/fakefake"].update({"image_auc": 0.8, "image_bacc": bacc, "image_tpr_at_5fpr": 0.3,
                                             "image_threshold": 0.5, "image_threshold_from": "fixed"})
        if res is not old:  # results written before the counts were recorded get them from their splits
            res.metrics["test/fakefake"].update({"image_threshold_outside": where, "image_n_manipulated": 12,
                                                 "image_n_authentic": 5})
    paths = [write_result(res, tmp_path / f"{res.detector}.json") for res in (inside, outside, old)]
    out = tmp_path / "board.md"
    assert main(["leaderboard", *map(str, paths), "-o", str(out)]) == 0
    table = _tables(out.read_text(), "Detection (image level)")["provided · test/fakefake · P1"]
    header = table[0]
    assert header[-2:] == ["n", "n authentic"]
    rows = {row[0]: dict(zip(header, row)) for row in table[2:]}
    assert rows["[a](#detector-a)"]["bAcc"] == "0.750" and rows["[a](#detector-a)"]["n"] == "12"
    assert rows["[b](#detector-b)"]["bAcc"] == "none: threshold above every score"
    assert (rows["[c](#detector-c)"]["n"], rows["[c](#detector-c)"]["n authentic"]) == ("10", "4")


def test_a_threshold_outside_every_score_is_recorded_by_the_metrics():
    import torch

    from inpaintbench.evaluation.metrics import MetricState, add_detection_metrics

    def state(scores):
        s = MetricState()
        s.scores.append(torch.tensor(scores, dtype=torch.float64))
        return s

    for fake, real, where, bacc in (([0.1, 0.2], [0.05, 0.3], "above every score", 0.5),
                                    ([0.6, 0.9], [0.5, 0.7], "at or below every score", 0.5),
                                    ([0.6, 0.9], [0.1, 0.7], None, 0.75)):
        metrics = {"test/x": {"role": "manipulated"}, "test/original": {"role": "authentic"}}
        add_detection_metrics(metrics, {"test/x": state(fake), "test/original": state(real)}, "max")
        got = metrics["test/x"]
        assert got["image_threshold_outside"] == where and got["image_bacc"] == bacc
        assert (got["image_n_manipulated"], got["image_n_authentic"]) == (2, 2)


def test_a_file_that_is_no_result_or_a_folder_without_results_is_one_line_exit_2(tmp_path, capsys):
    (tmp_path / "picture.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (tmp_path / "text.json").write_text("hello")
    (tmp_path / "list.json").write_text("[1, 2]")
    (tmp_path / "empty").mkdir()
    for item, said in (("picture.png", "not a result JSON file"), ("text.json", "not a result JSON file"),
                       ("list.json", "a JSON list, not an object"), ("empty", "no result JSON files in"),
                       (".", "no result JSON files in")):
        assert main(["leaderboard", str(tmp_path / item)]) == 2, item
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and said in err and "Traceback" not in err, err


def test_published_detectors_have_their_own_section_with_cards_and_every_set(tmp_path):
    def published(detector, iou, dataset, licence, key="weights_entry", entry=None):
        res = _result(detector, iou)
        res.dataset = dataset
        res.detector_info = {"card": {"description": f"{detector} card", "published": True, "licence": licence,
                                      "reference": f"{detector} et al., 2020, a venue",
                                      "designed_for": "camera traces"},
                             key: {"entry": entry or f"{detector}-weights", "licence": licence,
                                   "files": {"model.pth": "ab" * 32}}}
        res.timing = {"seconds_per_megapixel": 2.0}
        return res

    paths = [write_result(published("np", 0.3, "set-a", "non-commercial"), tmp_path / "np-a.json"),
             write_result(published("np", 0.5, "set-b", "non-commercial", entry="np-variant"), tmp_path / "np-b.json"),
             # a detector that records its entry under "weights" (as noiseprint does) has it found there too
             write_result(published("sb", 0.4, "set-a", "MIT", key="weights"), tmp_path / "sb.json"),
             write_result(_result("ours", 0.9), tmp_path / "ours.json")]  # not published: not in the section
    out = tmp_path / "board.md"
    assert main(["leaderboard", *map(str, paths), "-o", str(out)]) == 0
    cards = _tables(out.read_text(), "Published detectors")
    text = out.read_text().split("## Published detectors\n")[1].split("\n## ")[0]
    assert "| np " in text and "non-commercial" in text and "ours" not in text
    card_rows = [ln.split("|")[1:-1] for ln in text.split("### ")[0].splitlines() if ln.startswith("|")]
    rows = {row[0].strip(): [c.strip() for c in row] for row in card_rows[2:]}
    assert rows["np"][4] == "np-weights, np-variant" and rows["sb"][4] == "sb-weights"  # every variant's entry
    detectors = out.read_text().split("## Detectors\n")[1].split("\n## ")[0]
    assert "- weights entry: np-weights (model.pth abababababab); np-variant (model.pth abababababab)" in detectors
    assert "- weights entry: sb-weights (model.pth abababababab)" in detectors and "- weights licence: MIT" in detectors
    iou = cards["IoU · P1"]
    assert iou[0] == ["detector", "set-a · test/fakefake (n=10)", "set-b · test/fakefake (n=10)"]
    assert iou[2] == ["np", "0.300", "0.500"]
    assert cards["FPR · P1"][2][0] == "np"


def test_published_card_table_shows_the_spread_of_seconds_per_megapixel():
    from inpaintbench.reports.published import card_table

    def timed(detector: str, seconds: float) -> Result:
        res = _result(detector, 0.5)
        res.timing = {"seconds_per_megapixel": seconds}
        return res

    results = [timed("slow", s) for s in (16.0, 0.5, 2.0, 3.0)] + [timed("once", 1.0)]
    table = card_table(results, {})
    header, _, *rows = [[c.strip() for c in ln.split("|")[1:-1]] for ln in table.splitlines()]
    assert header[-1] == "s / MP median (range)"
    assert {row[0]: row[-1] for row in rows} == {"slow": "2.500 (0.500–16.000)", "once": "1.000"}


# --- robustness: where attacks act, and on how many images ------------------------------------------

def _stressed(image_size: int | None, n: int) -> list[Result]:
    """A clean and two attacked results of one model, measured on ``n`` images of test/fakefake."""
    out = []
    for attack, quality in ((None, None), ("jpeg:quality=90", 90), ("jpeg:quality=50", 50)):
        res = _result("m", 0.5 if attack is None else quality / 200, image_size=image_size)
        res.metrics["test/fakefake"]["n_images"] = n
        res.attack = attack
        if attack:
            res.protocol["attack_curve"] = {"family": "jpeg", "strength": "quality", "value": quality, "neutral": 100}
        out.append(res)
    return out


def test_robustness_section_states_n_and_what_the_protocol_resizes():
    from inpaintbench.reports.leaderboard import robustness_section

    native = "\n".join(robustness_section(_stressed(None, 4)))
    assert "before the network resize" not in native and "before any resize the protocol asks for" in native
    under_attack = native.split("iou under attack")[1].split("|")[0]
    assert ("n=4 test images of `test/fakefake`; P1 keeps the native resolution: the protocol resizes nothing "
            "(resize rows are attacks)") in under_attack
    assert native.split("area under the robustness curve")[1].count("n=4 test images") == 1
    resized = "\n".join(robustness_section(_stressed(256, 12)))
    assert "n=12 test images of `test/fakefake`; P1 resizes to 256 px after the attack" in resized


def test_stress_report_says_what_its_protocol_resizes():
    from inpaintbench.reports.job_reports import stress_markdown
    from inpaintbench.reports.robustness import group_results

    [group] = group_results(_stressed(None, 4))
    text = stress_markdown(group, [])
    assert "network's resize" not in text and "This protocol keeps the native resolution" in text
