"""Test-wide settings: notebooks run by nbval read the small real-data parameters."""

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
os.environ.setdefault(
    "CSP_PARAMS", str(Path(__file__).parent / "tests" / "fixtures" / "params" / "small.yaml")
)
