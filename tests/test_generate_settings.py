"""``generate`` validates the generator and every option before it claims a folder, and cleans up the
temporary files a killed run left."""

from __future__ import annotations

import os
from dataclasses import replace

import pytest
from test_generate import config, photos  # noqa: F401  (the photos fixture)

from inpaintbench import cli
from inpaintbench.data.generation.generate import generate


@pytest.mark.parametrize("bad, message", [({"generator_options": {"method": "bogus"}}, "bogus"),
                                          ({"mask_options": {"no_such_option": 1}}, "no_such_option"),
                                          ({"generator": "vae", "autoencoder": "/no/such/weights"}, "/no/such")],
                         ids=["gen-opt", "mask-opt", "autoencoder"])
def test_a_bad_option_leaves_the_folder_free_for_the_corrected_command(photos, tmp_path, bad, message):  # noqa: F811
    out = tmp_path / "out"
    with pytest.raises(Exception, match=message):
        generate(replace(config(photos, out, limit=1), **bad))
    assert not (out / "generation.json").exists()
    report = generate(config(photos, out, limit=1))
    assert report.generated == 1 and (out / "generation.json").is_file()


def test_a_generator_typo_on_the_cli_is_one_line_and_claims_nothing(photos, tmp_path, capsys):  # noqa: F811
    out = tmp_path / "out"
    common = ["generate", "freeform", "--output-dir", str(out), "--source", str(photos), "--limit", "1",
              "--crop-size", "64", "--quiet"]
    assert cli.main(common + ["--generator", "classical", "--gen-opt", "method=bogus"]) == 2
    assert "bogus" in capsys.readouterr().err and not (out / "generation.json").exists()
    assert cli.main(common + ["--generator", "classical"]) == 0


def test_stale_temporary_files_of_a_killed_run_are_removed(photos, tmp_path):  # noqa: F811
    out = tmp_path / "out"
    generate(config(photos, out, limit=1))
    split = next(p for p in out.iterdir() if p.is_dir() and p.name != "manifest.d")
    dead = split / ".x.realfake.webp.99999999-0a1b2c3d.tmp"  # a writer pid that no longer runs
    dead.write_bytes(b"half an image")
    old = out / "manifest.d" / ".x.json.Ab3_xy9z.tmp"  # an older version's name, without a pid
    old.write_bytes(b"{")
    os.utime(old, (0, 0))
    live = split / f".y.mask.webp.{os.getpid()}-00000000.tmp"  # a write in progress is left alone
    live.write_bytes(b"")
    generate(config(photos, out, limit=2))
    assert not dead.exists() and not old.exists() and live.exists()
