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


def test_every_bundled_detector_declares_its_card_without_torch():
    declared = registry.declared_cards("detectors")["inpaintbench"]
    assert sorted(declared) == OURS
    for name in OURS:  # the declared card is the one the detector carries
        assert card_of(registry.load("detectors", name)) is declared[name], name


@pytest.mark.parametrize("argv", [["list", "-v"], ["--help"]])
def test_list_and_help_import_no_torch(argv):
    import subprocess
    import sys

    code = ("import sys\nfrom inpaintbench.cli import main\ntry:\n    main(sys.argv[1:])\n"
            "except SystemExit:\n    pass\nsys.stderr.write('TORCH' if 'torch' in sys.modules else 'NOTORCH')")
    done = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=120)
    assert done.stderr.strip().endswith("NOTORCH"), done.stderr[-2000:]
    assert argv == ["--help"] or "parameters: 380,273 (default options)" in done.stdout


def test_a_declared_card_is_listed_without_importing_its_plugin(fake_distribution, capsys):
    import sys

    from inpaintbench.cli import main

    fake_distribution("declplug", {"inpaintbench.detectors": {"declared": "declplug_heavy:Heavy"},
                                   "inpaintbench.cards": {"detectors": "declplug_cards:CARDS"}},
                      {"declplug_heavy.py": "raise ImportError('the heavy module must not be imported')\n",
                       "declplug_cards.py": "from inpaintbench.sdk.cards import Card\n"
                                            "CARDS = {'declared': Card(description='declared without loading', "
                                            "parameters=7)}\n"})
    assert main(["list", "--detectors", "-v"]) == 0
    out = capsys.readouterr().out
    assert "declared without loading  [declplug]" in out and "parameters: 7 (default options)" in out
    assert "declplug_heavy" not in sys.modules
