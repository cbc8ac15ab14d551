"""Shared fixtures: the default assessment (synthetic data), run once per test session."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DEFAULT = REPO / "parameters" / "default.yaml"


@pytest.fixture(scope="session", autouse=True)
def default_synthetic_data():
    """The default parameters' synthetic dataset, generated once (as `csp assess` does), so
    tests can load its store directly."""
    from csplib.params import load_params
    from csplib.run.context import ensure_data

    ensure_data(load_params(DEFAULT))


@pytest.fixture(scope="session")
def synthetic_run(tmp_path_factory):
    """Run ``csp assess`` on ``parameters/default.yaml`` once; return the output folder.

    Fails (rather than skips) when the run fails, with the end of its log.
    """
    out = tmp_path_factory.mktemp("default-assessment")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "csplib.run.cli",
            "assess",
            "--params",
            str(DEFAULT),
            "--out",
            str(out),
            "--jobs",
            "2",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.fail(f"default assessment failed:\n{done.stderr[-4000:]}")
    return out


@pytest.fixture(scope="session")
def truth():
    """The planted effects of the default synthetic dataset (its truth.json)."""
    from csplib.params import load_params

    params = load_params(DEFAULT)
    return json.loads((params.data.synthetic.dir / "truth.json").read_text())
