"""The runner on stand-in chapter notebooks: outputs, manifest, failures and parallel runs."""

import json
import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from csplib.chapters.registry import CHAPTERS, PACK_NOTEBOOK
from csplib.params import load_params
from csplib.run.runner import SYNTHETIC_BANNER, run_assessment

REPO = Path(__file__).resolve().parents[2]
SMALL = REPO / "tests" / "fixtures" / "params" / "small.yaml"


def make_notebook(path: Path, body: list[str], extra_parameters: str = "") -> None:
    params = new_code_cell("params_path = None\noutput_dir = None\n" + extra_parameters)
    params.metadata["tags"] = ["parameters"]
    cells = [new_markdown_cell(f"# {path.stem}"), params]
    cells += [new_code_cell(src) for src in body]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)


PLOT = (
    "import matplotlib.pyplot as plt\n"
    "fig, ax = plt.subplots(figsize=(2, 2))\n"
    "ax.plot([1, 2, 3])\n"
    "plt.show()"
)


@pytest.fixture
def notebooks(tmp_path):
    """Stand-ins for every chapter and the theme pack notebook."""
    folder = tmp_path / "nbs"
    folder.mkdir()
    for ch in CHAPTERS:
        make_notebook(folder / f"{ch.name}.ipynb", [f"print('{ch.name} ran')"])
    make_notebook(
        folder / "01_volume.ipynb",
        [
            "from csplib.params import load_params\nSECRET_CODE_MARKER = 1\n"
            "p = load_params(params_path)\nprint('AREA=' + p.area.name)",
            PLOT,
        ],
    )
    make_notebook(folder / f"{PACK_NOTEBOOK}.ipynb", ["print('PACK=' + theme)"], "theme = None")
    return folder


def test_run_writes_every_output(tmp_path, notebooks):
    params = load_params(SMALL)
    out = tmp_path / "out"
    lines = []
    result = run_assessment(params, out_dir=out, notebooks_dir=notebooks, progress=lines.append)
    assert result.ok, result.chapters
    assert [c.name for c in result.chapters] == [c.name for c in CHAPTERS]
    # executed in dependency order: every chapter before the summary
    assert lines.index("07_priorities: running") < lines.index("00_summary: running")
    for sub in ("notebooks", "html", "review"):
        for ch in CHAPTERS:
            assert (out / sub / f"{ch.name}.{'ipynb' if sub == 'notebooks' else 'html'}").is_file()
    # one pack per theme of the parameters (small.yaml has one: asb)
    assert [p.name for p in result.packs] == ["pack_asb"]
    pack = nbformat.read(out / "notebooks" / "packs" / "asb.ipynb", as_version=4)
    assert "PACK=asb" in "".join(
        o.get("text", "") for c in pack.cells for o in c.get("outputs", [])
    )
    assert 'href="../index.html"' in (out / "packs" / "asb.html").read_text()
    assert 'href="../../index.html"' in (out / "review" / "packs" / "asb.html").read_text()
    assert 'href="packs/asb.html"' in (out / "index.html").read_text()
    executed = nbformat.read(out / "notebooks" / "01_volume.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    assert "AREA=Nottingham" in printed  # the parameters reached the notebook

    shared = (out / "html" / "01_volume.html").read_text()
    review = (out / "review" / "01_volume.html").read_text()
    assert "SECRET_CODE_MARKER" not in shared and "SECRET_CODE_MARKER" in review
    assert "data:image/png;base64," in shared  # chart embedded
    assert not re.search(r"<script[^>]+src=[\"']https?://", shared)  # readable offline
    assert 'href="../index.html"' in shared
    assert SYNTHETIC_BANNER not in shared  # real data: no banner

    index = (out / "index.html").read_text()
    for href in re.findall(r'href="([^"]+)"', index):
        if not href.endswith("/"):
            assert (out / href).exists(), href
    assert "html/01_volume.html" in index and "review/01_volume.html" in index
    assert "Jan - Mar 2024" in index

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["ok"] is True
    assert manifest["parameters"]["area"]["la_codes"] == ["E06000018"]
    key = "data/police_uk/nottinghamshire_2024-01_2024-03.zip"
    assert re.fullmatch(r"[0-9a-f]{64}", manifest["inputs_sha256"][key])
    assert "tests/fixtures/params/small.yaml" in manifest["inputs_sha256"]
    assert manifest["packages"]["pandas"] and manifest["csplib_version"]
    statuses = {c["name"]: (c["status"], c["seconds"]) for c in manifest["chapters"]}
    assert statuses["01_volume"][0] == "ok" and statuses["01_volume"][1] > 0


def test_failure_names_chapter_and_cell_and_keeps_the_rest(tmp_path, notebooks):
    make_notebook(notebooks / "01_volume.ipynb", ["x = 1", "raise ValueError('planted failure')"])
    params = load_params(SMALL)
    out = tmp_path / "out"
    result = run_assessment(params, out_dir=out, notebooks_dir=notebooks, progress=None, packs=[])
    assert not result.ok
    runs = {c.name: c for c in result.chapters}
    vol = runs["01_volume"]
    assert vol.status == "failed"
    assert vol.error == "ValueError: planted failure"
    # cells: markdown, parameters, injected parameters, x = 1, raise -> the 5th cell
    assert vol.cell == 5
    assert runs["00_summary"].status == "skipped"
    assert runs["02_threat"].status == "ok"  # the others still ran
    assert "needs 01_volume" in runs["00_summary"].error
    assert (out / "review" / "01_volume.html").is_file()  # the error can be read
    assert not (out / "html" / "01_volume.html").exists()  # tracebacks are not shared
    index = (out / "index.html").read_text()
    assert "failed in cell 5 (ValueError)" in index
    assert "planted failure" not in index  # an error message may quote data: not shared
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["ok"] is False


def test_parallel_jobs_and_chapter_selection(tmp_path, notebooks):
    params = load_params(SMALL)
    result = run_assessment(
        params,
        out_dir=tmp_path / "o",
        notebooks_dir=notebooks,
        jobs=2,
        chapters=["01_volume"],
        progress=None,
    )
    assert result.ok and [c.name for c in result.chapters] == ["01_volume"]
    assert not (tmp_path / "o" / "html" / "00_summary.html").exists()


def test_synthetic_banner(tmp_path, notebooks):
    """A synthetic source puts the banner on every page; it is generated once and reused."""
    synthetic = {"seed": 7, "dir": str(REPO / ".cache" / "synthetic-test-7")}
    params = load_params(SMALL, overrides={"data": {"synthetic": synthetic}})
    assert params.data.police_uk == [REPO / ".cache" / "synthetic-test-7" / "police_uk"]
    out = tmp_path / "o"
    run_assessment(
        params, out_dir=out, notebooks_dir=notebooks, chapters=["01_volume"], progress=None
    )
    assert SYNTHETIC_BANNER in (out / "html" / "01_volume.html").read_text()
    assert SYNTHETIC_BANNER in (out / "index.html").read_text()
    assert "synthetic (seed 7)" in (out / "index.html").read_text()
