"""Cards are declared data: ``list`` shows them without building anything, so what they declare must
agree with what the detector does when built."""

from __future__ import annotations

import pytest

from inpaintbench.sdk import registry
from inpaintbench.sdk.cards import card_of
from inpaintbench.sdk.contracts import as_detector
from inpaintbench.sdk.weights import get_weights

OURS = sorted(name for name, entry in registry.entries("detectors").items() if entry.distribution == "inpaintbench")


@pytest.mark.parametrize("name", OURS)
def test_declared_card_matches_the_built_detector(name):
    factory = registry.load("detectors", name)
    card = card_of(factory)
    assert card is not None and card.licence and card.designed_for, f"{name}: card lacks licence or designed_for"
    assert card.parameters is not None, f"{name}: no declared parameter count"
    detector = as_detector(factory())
    assert detector.info().get("parameters") == card.parameters, f"{name}: declared count differs from the built one"
    for entry in card.weights:
        assert get_weights(entry).files, f"{name}: weights entry {entry} has no files"


def test_listing_builds_nothing(fake_distribution, capsys):
    import sys

    from inpaintbench.cli import main

    fake_distribution("countplug", {"inpaintbench.detectors": {"counted": "countplug:Counted"}},
                      {"countplug.py": "BUILT = []\n"
                                       "class Counted:\n"
                                       "    def __init__(self):\n"
                                       "        BUILT.append(1)\n"
                                       "    def predict(self, images):\n"
                                       "        return images[:, :1]\n"})
    assert main(["list", "--detectors", "-v"]) == 0
    out = capsys.readouterr().out
    assert "counted" in out and sys.modules["countplug"].BUILT == []
    assert "parameters: 380,273 (default options)" in out and "licence: MIT" in out
    assert "weights taef2: MIT" in out
