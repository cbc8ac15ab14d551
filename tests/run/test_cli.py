"""The csp command: exit statuses and one-line errors, run as a user would run it."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def csp(*args, cwd=REPO):
    return subprocess.run(
        [sys.executable, "-m", "csplib.run.cli", *args], cwd=cwd, capture_output=True, text=True
    )


def test_params_check_ok():
    done = csp("params", "check", "tests/fixtures/params/small.yaml")
    assert done.returncode == 0, done.stderr
    assert "ok (Nottingham, 2024" in done.stdout


def test_broken_parameters_one_line_exit_2():
    for command in (
        ["params", "check", "parameters/bad.yaml"],
        ["assess", "--params", "parameters/bad.yaml"],
    ):
        done = csp(*command)
        assert done.returncode == 2
        assert done.stderr.count("\n") == 1, done.stderr
        assert "Traceback" not in done.stderr
        assert done.stderr.startswith("csp: error: parameters/bad.yaml: assessment.period:")


def test_unknown_chapter_is_a_user_error(tmp_path):
    done = csp(
        "assess",
        "--params",
        "tests/fixtures/params/small.yaml",
        "--out",
        str(tmp_path),
        "--chapters",
        "99_nonsense",
    )
    assert done.returncode == 2
    assert "unknown chapter '99_nonsense'; expected one of: 00_summary" in done.stderr
    assert "Traceback" not in done.stderr


def test_bad_jobs():
    done = csp("assess", "--jobs", "0")
    assert done.returncode == 2 and "--jobs must be at least 1" in done.stderr
