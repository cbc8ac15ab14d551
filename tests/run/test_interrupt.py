"""A run you can stop: Ctrl-C (SIGINT to the process group) ends `csp assess` within seconds,
with exit status 130, no worker or kernel left behind, and a contents page and manifest that
say the run was interrupted and which chapters finished. The console says one line per
chapter and a summary, and no kernel chatter."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from csplib.chapters.registry import CHAPTERS, PACK_NOTEBOOK
from tests.run.test_runner import SMALL, make_notebook

REPO = Path(__file__).resolve().parents[2]


def _notebooks(folder: Path, slow: set[str]) -> Path:
    folder.mkdir()
    for ch in CHAPTERS:
        body = "import time\ntime.sleep(120)" if ch.name in slow else f"print('{ch.name} ran')"
        make_notebook(folder / f"{ch.name}.ipynb", [body])
    make_notebook(folder / f"{PACK_NOTEBOOK}.ipynb", ["print(theme)"], "theme = None")
    return folder


def _csp(out: Path, notebooks: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "csplib.run.cli", "assess", "--params", str(SMALL)]
        + ["--out", str(out), "--notebooks", str(notebooks), *extra],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal gives it
    )


def _wait_for(condition, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_stops_the_run(tmp_path, sig):
    out = tmp_path / "out"
    run = _csp(out, _notebooks(tmp_path / "nbs", {"02_threat", "03_harm"}), "--jobs", "2")
    csp = psutil.Process(run.pid)
    # wait until the volume chapter has finished and both slow chapters run, with kernels
    log = out / "run.log"
    assert _wait_for(lambda: log.is_file() and "03_harm: running" in log.read_text(), 90)
    assert _wait_for(lambda: len(csp.children(recursive=True)) >= 4, 60), run.pid
    family = csp.children(recursive=True)
    kernels = [p for p in family if "ipykernel" in " ".join(p.cmdline())]
    assert len(kernels) == 2
    os.killpg(run.pid, sig)
    sent = time.monotonic()
    stdout, stderr = run.communicate(timeout=30)
    assert time.monotonic() - sent < 10, stderr
    assert run.returncode == 130, stderr
    _, alive = psutil.wait_procs(family, timeout=2)
    assert not alive, [p.cmdline() for p in alive]

    index = (out / "index.html").read_text()
    assert "This run was interrupted" in index and "Volume" in index
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["interrupted"] is True and manifest["ok"] is False
    status = {c["name"]: c["status"] for c in manifest["chapters"]}
    assert status["01_volume"] == "ok"
    assert status["02_threat"] == status["03_harm"] == "interrupted"
    assert status["00_summary"] == "not run"
    assert "Interrupted after" in stderr and "IPKernelApp" not in stderr


def test_console_says_one_line_per_chapter_and_a_summary(tmp_path):
    out = tmp_path / "out"
    run = _csp(out, _notebooks(tmp_path / "nbs", set()), "--jobs", "2")
    stdout, stderr = run.communicate(timeout=300)
    assert run.returncode == 0, stderr
    lines = stderr.strip().splitlines()
    chapter_lines = [line for line in lines if line.startswith("  ok ")]
    assert len(chapter_lines) == len(CHAPTERS) + 1  # every chapter and the one pack
    assert lines[-1].startswith("Done in") and "9 ok (of 9 notebooks)" in lines[-1]
    assert "IPKernelApp" not in stderr and "TCP" not in stderr
    assert "Assessment written to" in stdout
    log = (out / "run.log").read_text()
    assert "01_volume: running" in log and "01_volume: ok" in log
    # the kernel's chatter is silenced at its source: nothing about TCP in any log
    assert "without encryption" not in log


def test_workers_stop_when_the_runner_is_killed(tmp_path):
    """kill -9 of the runner (nothing can catch it): its workers, each in a session of its
    own, see their parent gone and stop with their kernels."""
    out = tmp_path / "out"
    run = _csp(out, _notebooks(tmp_path / "nbs", {"01_volume", "02_threat"}), "--jobs", "2")
    csp = psutil.Process(run.pid)
    assert _wait_for(lambda: len(csp.children(recursive=True)) >= 4, 90), run.pid
    family = csp.children(recursive=True)
    run.kill()
    run.communicate(timeout=30)
    _, alive = psutil.wait_procs(family, timeout=15)
    assert not alive, [p.cmdline() for p in alive]
