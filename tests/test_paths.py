"""How paths are recorded in results: never a machine's absolute layout."""

from __future__ import annotations

from inpaintbench.io._paths import portable, portable_path, portable_text


def test_paths_under_or_beside_the_base_become_relative():
    assert portable_path("/work/main/runs/a/best.pt", "/work/main") == "runs/a/best.pt"
    assert portable_path("/work/shared/weights/taef2", "/work/main") == "../shared/weights/taef2"
    assert portable_path("/work/main", "/work/main") == "."


def test_paths_elsewhere_keep_two_parts_behind_a_hash_that_keeps_them_distinct():
    a = portable_path("/tmp/one/run/best.pt", "/work/main")
    b = portable_path("/tmp/two/run/best.pt", "/work/main")
    assert a.endswith("/run/best.pt") and a.startswith("<abs:") and "/tmp" not in a
    assert a != b


def test_absolute_paths_inside_specs_and_records_are_rewritten_and_nothing_else():
    spec = "reencode:weights=/work/shared/weights/taef2+jpeg:quality=90"
    assert portable_text(spec, "/work/main") == "reencode:weights=../shared/weights/taef2+jpeg:quality=90"
    prose = "score >= 0.5; maximum over k/256; tp/(tp+fp); a / b"
    assert portable_text(prose, "/work/main") == prose
    record = {"root": "/work/main/data", "sets": ["rect:fakefake@/work/main/d"], "n": 3}
    assert portable(record, "/work/main") == {"root": "data", "sets": ["rect:fakefake@d"], "n": 3}


def test_urls_are_kept_as_written():
    text = "weights from https://github.com/grip-unina/noiseprint and /abs/folder/file.pth"
    out = portable_text(text, "/work/here")
    assert "https://github.com/grip-unina/noiseprint" in out and "/abs/folder" not in out
