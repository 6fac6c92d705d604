"""Attack specifications as text: grids, chains, lists and their errors."""

from __future__ import annotations

import pytest

from inpaintbench.evaluation._attack_spec import (
    GRIDS,
    AttackSpecError,
    grid,
    parse_attacks,
    parse_chain,
)
from inpaintbench.sdk import registry


def test_every_grid_spec_is_canonical_and_registered():
    assert set(registry.names("attacks")) >= {"jpeg", "webp", "resize", "gaussian_noise", "gaussian_blur",
                                              "crop", "reencode"}
    default = parse_attacks("default")
    assert [c.spec for c in default] == list(GRIDS["default"])
    assert len(default) == 18
    assert [c.spec for c in parse_attacks("jpeg:quality=90,resize:scale=0.5")] == ["jpeg:quality=90",
                                                                                  "resize:scale=0.5"]
    assert grid("default", autoencoder="/w/taef2")[-1] == "reencode:weights=/w/taef2"
    assert not any(s.startswith("reencode") for s in grid("quick", autoencoder="/w/taef2"))
    mixed = parse_attacks("quick,crop:fraction=0.3,position=random,jpeg:quality=90")
    assert mixed[-1].spec == "crop:fraction=0.3,position=random"
    assert [c.spec for c in mixed].count("jpeg:quality=90") == 1
    assert parse_chain("jpeg").spec == "jpeg:quality=90"


@pytest.mark.parametrize("spec, expected", [
    ("jpg:quality=80", ["unknown attack 'jpg'", "Did you mean 'jpeg'", "gaussian_blur"]),
    ("defualt", ["Did you mean 'default'"]),
    ("jpeg:qualty=80", ["takes no option 'qualty'", "Did you mean quality", "Options: quality"]),
    ("jpeg:quality=101", ["quality=101 is out of range", "1 <= quality <= 100"]),
    ("resize:scale=0", ["0 < scale <= 4"]),
    ("gaussian_blur:sigma=-1", ["0 < sigma <= 32"]),
    ("resize:filter=cubic", ["filter='cubic' is not valid", "bicubic"]),
    ("jpeg:quality=high", ["option quality='high'"]),
    ("jpeg:quality", ["not of the form key=value"]),
    ("jpeg:quality=80+", ["empty step"]),
    ("quality=80", ["comes before any attack name"]),
    ("reencode", ["weights=DIR is required"]),
    ("", ["no attacks given"]),
])
def test_bad_specs_give_clear_errors(spec, expected):
    with pytest.raises(AttackSpecError) as info:
        parse_attacks(spec)
    for text in expected:
        assert text in str(info.value)
