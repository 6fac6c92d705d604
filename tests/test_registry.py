"""Entry-point discovery: did-you-mean, broken plugins named with their distribution, options."""

import pytest

from inpaintbench.cli import main
from inpaintbench.sdk import registry


def test_unknown_name_suggests_closest():
    with pytest.raises(registry.RegistryError, match="Did you mean 'fcn'"):
        registry.get("detectors", "fnc")
    with pytest.raises(registry.RegistryError, match="Did you mean 'provided'"):
        registry.get("datasets", "provide")
    with pytest.raises(registry.RegistryError, match="unknown plugin kind"):
        registry.entries("detector")


def test_broken_plugin_is_named_with_its_distribution_and_others_still_work(fake_distribution, capsys):
    fake_distribution("brokenplug", {"inpaintbench.detectors": {"broken": "brokenplug_mod:Thing"}},
                      {"brokenplug_mod.py": "raise ImportError('needs a library that is not installed')\n"})
    with pytest.raises(registry.RegistryError) as info:
        registry.load("detectors", "broken")
    msg = str(info.value)
    assert "'broken'" in msg and "brokenplug" in msg and "not installed" in msg
    assert callable(registry.load("detectors", "fcn"))
    assert main(["list", "--detectors"]) == 0
    out = capsys.readouterr().out
    assert "broken" in out and "failed to import" in out and "fcn" in out and "[inpaintbench]" in out


def test_options_are_coerced_by_signature_and_unknown_options_rejected(tiny_detector):
    det = registry.create("detectors", "tiny", width="4")
    assert det.options == {"width": 4}
    with pytest.raises(registry.RegistryError, match="Did you mean width"):
        registry.create("detectors", "tiny", widht="4")
    with pytest.raises(registry.RegistryError, match="width='x'"):
        registry.create("detectors", "tiny", width="x")


def test_parse_key_values():
    assert registry.parse_key_values(["a=1", "b = x=y"]) == {"a": "1", "b": "x=y"}
    with pytest.raises(registry.RegistryError, match="key=value"):
        registry.parse_key_values(["oops"])
