"""`Protocol.record` builds a result's whole protocol once, attack description and curve included."""

from __future__ import annotations

from inpaintbench.evaluation._attack_spec import parse_attacks
from inpaintbench.evaluation.metrics import conventions
from inpaintbench.evaluation.protocol import ATTACK_KEYS, Protocol


def test_clean_record_holds_conventions_and_resize_and_no_attack():
    record = Protocol(64, threshold=0.3).record()
    assert record["attack"] is None and "attack_description" not in record and "attack_curve" not in record
    assert record["image_size"] == 64 and record["threshold"] == 0.3
    assert {k: record[k] for k in conventions(0.3)} == conventions(0.3)


def test_attacked_record_is_the_clean_one_plus_the_whole_attack():
    chain = parse_attacks("jpeg:quality=80+resize:scale=0.5")[0]
    clean = Protocol(64, threshold=0.5).record()
    record = Protocol(64, threshold=0.5, attack=chain).record()
    assert Protocol.from_record(record).base().record() == Protocol.from_record(clean).base().record()
    assert set(record) - set(clean) | {"attack"} == set(ATTACK_KEYS)
    assert record["attack"] == "jpeg:quality=80+resize:scale=0.5"
    assert record["attack_description"].startswith("jpeg:quality=80: JPEG") and "; then resize:scale=0.5" in \
        record["attack_description"]
    assert record["attack_curve"] == {"family": "jpeg+resize", "strength": "scale", "value": 0.5, "neutral": 1.0,
                                      "geometric": False}


def test_a_single_attack_is_described_as_a_chain_of_one():
    step = parse_attacks("gaussian_noise:std=5")[0].steps[0]
    record = Protocol(None, threshold=0.5, attack=step).record()
    assert record["attack"] == "gaussian_noise:std=5"
    assert record["attack_curve"]["family"] == "gaussian_noise" and record["attack_curve"]["value"] == 5.0


# --- an untrained network is never scored silently --------------------------------------------------

def test_an_untrained_network_is_refused_unless_allowed_then_seeded_and_recorded(tiny_layout, tmp_path, capsys):
    import json

    import pytest

    import inpaintbench as ib
    from inpaintbench.cli import main

    base = ["evaluate", "--detector", "nixnet", "--opt", "width=4", "--dataset", "provided", "--data-root",
            str(tiny_layout), "--no-overlays", "--quiet", "--split", "test/fakefake"]
    assert main([*base, "--output", str(tmp_path / "refused.json")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "random initial weights: pass --checkpoint, or use `run`" in err
    assert not (tmp_path / "refused.json").exists()
    runs = []
    for n, seed in enumerate(("0", "0", "1")):
        out = tmp_path / f"r{n}.json"
        assert main([*base, "--allow-untrained", "--seed", seed, "--output", str(out)]) == 0
        runs.append(json.loads(out.read_text()))
    assert "untrained: random initial weights (seed 0)" in capsys.readouterr().out
    assert runs[0]["metrics"] == runs[1]["metrics"]  # the same seed draws the same weights
    assert runs[0]["metrics"]["test/fakefake"]["auc"] != runs[2]["metrics"]["test/fakefake"]["auc"]
    assert runs[0]["detector_info"]["untrained"].startswith("random initial weights (seed 0)")
    assert runs[2]["detector_info"]["weights"].startswith("untrained: random initial weights (seed 1)")
    # the Python API refuses the same way, by name or built, and is seeded when allowed
    dataset = ib.load_dataset("provided", data_root=str(tiny_layout))
    from inpaintbench.sdk.errors import UserError

    with pytest.raises(UserError, match="random initial weights"):
        ib.evaluate(ib.load_detector("nixnet", width=4), dataset, splits=["test/fakefake"])
    with pytest.raises(UserError, match="random initial weights"):
        ib.evaluate("nixnet", dataset, splits=["test/fakefake"])
    one, two = (ib.evaluate(ib.load_detector("nixnet", width=4), dataset, splits=["test/fakefake"],
                            allow_untrained=True) for _ in range(2))
    assert one.metrics == two.metrics and one.detector_info["untrained"].startswith("random initial weights (seed 0)")
    # training-free detectors need nothing
    assert ib.evaluate("noise-residual", dataset, splits=["test/fakefake"]).detector_info.get("untrained") is None
