"""Result files are never lost: unique default names, output paths checked before the work, a replaced
file said so, and a leaderboard that will not overwrite its own input."""

from __future__ import annotations

import pytest

from inpaintbench import cli
from inpaintbench.jobs import job as jobs
from inpaintbench.jobs.results import Result, default_result_path, write_result


def test_default_result_names_never_collide(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    names = {default_result_path("tiny", "provided") for _ in range(50)}  # all within one second
    assert len(names) == 50 and all(n.parent.name == "results" for n in names)


@pytest.fixture
def no_work(monkeypatch):
    """Fail the test if an evaluation starts."""
    def refuse(*args, **kwargs):
        raise AssertionError("the evaluation started before the output was checked")

    monkeypatch.setattr(jobs, "evaluate_job", refuse)


@pytest.mark.parametrize("where", ["under-a-file", "a-folder"])
def test_an_unwritable_output_fails_in_one_line_before_the_work(tiny_layout, tiny_detector, tmp_path, capsys,
                                                                no_work, where):
    (tmp_path / "plain").write_text("not a folder")
    (tmp_path / "folder").mkdir()
    output = tmp_path / "plain" / "r.json" if where == "under-a-file" else tmp_path / "folder"
    code = cli.main(["evaluate", "--detector", "tiny", "--dataset", "provided", "--data-root", str(tiny_layout),
                     "--output", str(output), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and str(output) in err
    assert ("is a file, not a folder" if where == "under-a-file" else "is an existing folder") in err


def test_replacing_an_existing_output_is_said(tiny_layout, tiny_detector, tmp_path, capsys):
    output = tmp_path / "r.json"
    args = ["evaluate", "--detector", "tiny", "--dataset", "provided", "--data-root", str(tiny_layout),
            "--output", str(output), "--no-overlays", "--quiet", "--allow-untrained"]
    assert cli.main(args) == 0
    assert "replaced" not in capsys.readouterr().out
    assert cli.main(args) == 0
    assert f"result written to {output} (replaced the existing file)" in capsys.readouterr().out


def test_leaderboard_refuses_to_overwrite_one_of_its_inputs(tmp_path, capsys):
    result = tmp_path / "results" / "a.json"
    write_result(Result("tiny", "provided", {"attack": None}, {}), result)
    before = result.read_bytes()
    assert cli.main(["leaderboard", str(tmp_path / "results"), "-o", str(result)]) == 2
    assert "is one of the input files" in capsys.readouterr().err and result.read_bytes() == before
