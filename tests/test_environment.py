"""pyproject.toml and environment.yml declare the same packages and lower bounds."""

import re
import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def parse(spec: str) -> tuple[str, str]:
    m = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*(.*)", spec)
    return m.group(1).lower().replace("_", "-"), m.group(2).replace(" ", "")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    declared = dict(
        parse(s) for s in project["dependencies"] + project["optional-dependencies"]["dev"]
    )
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = [d for d in env["dependencies"] if isinstance(d, dict)][0]["pip"]
    conda_pkgs = dict(parse(s) for s in conda if parse(s)[0] not in ("python", "pip"))
    assert conda_pkgs == declared
    assert dict([parse(s) for s in conda])["python"] == project["requires-python"]
    assert pip == ["-e ."]


def test_constraints_pin_every_declared_package():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pins = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        if "==" in line:
            name, version = line.split("==")
            pins[name.lower().replace("_", "-")] = version
    for spec in project["dependencies"] + project["optional-dependencies"]["dev"]:
        name, _ = parse(spec)
        assert name in pins, f"{name} is declared but not pinned in constraints.txt"
