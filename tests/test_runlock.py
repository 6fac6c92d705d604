"""The run-folder lock: a live holder refuses, a dead one's lock is taken over, and training takes it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from inpaintbench import cli
from inpaintbench.io._runlock import LOCK_NAME, FolderLocked, RunLock, pid_alive


@pytest.fixture
def other_process():
    """A live process other than this one: its pid."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield proc.pid
    proc.kill()
    proc.wait()


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_lock_is_exclusive_released_and_stale_ones_are_taken_over(tmp_path, other_process):
    with RunLock(tmp_path / "run") as lock:
        assert lock.path.read_text().split() == [str(os.getpid()), socket.gethostname()]
        with pytest.raises(FolderLocked, match="in use"):
            RunLock(tmp_path / "run").acquire()
    assert not (tmp_path / "run" / LOCK_NAME).exists()

    stale = dead_pid()
    assert not pid_alive(stale) and pid_alive(other_process)
    (tmp_path / "run" / LOCK_NAME).write_text(f"{stale} {socket.gethostname()}\n")
    with RunLock(tmp_path / "run"):  # the holder is gone: taken over
        pass
    (tmp_path / "run" / LOCK_NAME).write_text(f"{other_process} {socket.gethostname()}\n")
    with pytest.raises(FolderLocked, match=f"pid {other_process}"):
        RunLock(tmp_path / "run").acquire()


def test_a_second_train_into_a_locked_run_folder_is_refused(tiny_layout, tiny_detector, tmp_path, capsys,
                                                            other_process):
    run = tmp_path / "run"
    run.mkdir()
    (run / LOCK_NAME).write_text(f"{other_process} {socket.gethostname()}\n")
    args = ["train", "--detector", "tiny", "--dataset", "provided", "--data-root", str(tiny_layout),
            "--image-size", "32", "--epochs", "1", "--max-steps", "1", "--run-dir", str(run), "--quiet"]
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert f"in use by a training run of tiny (pid {other_process}" in err and not (run / "last.pt").exists()
    (run / LOCK_NAME).write_text(f"{dead_pid()} {socket.gethostname()}\n")  # the other run was killed
    assert cli.main(args) == 0
    assert (run / "last.pt").exists() and not (run / LOCK_NAME).exists()
