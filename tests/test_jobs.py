"""`Protocol.record` builds a result's whole protocol once, attack description and curve included."""

from __future__ import annotations

from inpaintbench.evaluation.attack_spec import parse_attacks
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
