"""The one markdown helper: numbers right-aligned to three decimals, missing values as a dash."""

from inpaintbench.reports._markdown import markdown_table, protocol_lines


def test_table_formats_and_aligns_columns():
    text = markdown_table(["name", "iou", "n"], [["a", 0.12345, 10], ["b", None, 3], ["c", float("nan"), None]])
    lines = text.splitlines()
    assert lines[1].startswith("|:-") and lines[1].endswith("-:|")  # text left, numbers right
    assert [c.strip() for c in lines[2].split("|")[1:-1]] == ["a", "0.123", "10"]
    assert [c.strip() for c in lines[3].split("|")[1:-1]] == ["b", "–", "3"]
    assert [c.strip() for c in lines[4].split("|")[1:-1]] == ["c", "–", "–"]


def test_strings_that_look_like_numbers_stay_as_written():
    lines = markdown_table(["attack"], [["1e-3"], ["0.5"]]).splitlines()
    assert [line.strip("| ") for line in lines[2:]] == ["1e-3", "0.5"]


def test_protocol_lines_are_sorted_bullets():
    assert protocol_lines({"b": 2, "a": "x"}) == ["- **a**: x", "- **b**: 2"]
