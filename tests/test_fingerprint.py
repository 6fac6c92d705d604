"""The data fingerprint, and `stress` redoing kept results whose data changed since."""

from __future__ import annotations

import os

from inpaintbench import cli
from inpaintbench.data.layout import LayoutDataset
from inpaintbench.io._fingerprint import data_change, data_fingerprint

from layout_factory import make_layout


def test_fingerprint_follows_the_files_not_the_object(tiny_layout):
    first = data_fingerprint(LayoutDataset(tiny_layout))
    assert first == data_fingerprint(LayoutDataset(tiny_layout)) and len(first) == 16
    image = next(tiny_layout.rglob("test000.realfake.webp"))
    stat = image.stat()
    os.utime(image, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # rewritten in place
    touched = data_fingerprint(LayoutDataset(tiny_layout))
    (tiny_layout / "test" / "test002.fakefake.webp").unlink()  # one record fewer
    fewer = data_fingerprint(LayoutDataset(tiny_layout))
    assert len({first, touched, fewer}) == 3
    assert data_change(first, first) is None
    assert "changed" in data_change(first, touched) and "no data fingerprint" in data_change(None, first)


def test_stress_redoes_kept_results_after_the_data_is_regenerated(tiny_detector, tmp_path, capsys):
    data = make_layout(tmp_path / "data", {"train": 2, "test": 3}, size=32, seed=0)
    args = ["stress", "--detector", "tiny", "--dataset", "provided", "--data-root", str(data), "--image-size",
            "native", "--attacks", "jpeg:quality=90", "--output-dir", str(tmp_path / "out"), "--cache-dir",
            str(tmp_path / "cache"), "--no-overlays", "--quiet", "--allow-untrained"]
    assert cli.main(args) == 0
    capsys.readouterr()
    make_layout(data, {"train": 2, "test": 3}, size=32, seed=1)  # the folder regenerated in place
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "clean pass: computed; 1 attack setting(s), 0 kept" in out
    assert "redone clean: its earlier result no longer fits: the data changed" in out
    assert "redone jpeg:quality=90: its earlier result no longer fits: the data changed" in out
