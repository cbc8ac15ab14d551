"""Meta-tests: every notebook is a listed chapter (or a listed extra), has a parameters cell,
reads like a chapter, and is committed without outputs."""

import re
from pathlib import Path

import nbformat
import pytest

from csplib.chapters.registry import CHAPTERS, EXPLORATION_NOTEBOOKS, PACK_NOTEBOOK
from csplib.present.pages import METHOD_TAG

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
ALL = sorted(p for p in NOTEBOOKS.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
CHAPTER_FILES = {NOTEBOOKS / f"{c.name}.ipynb" for c in CHAPTERS}
PACK_FILE = NOTEBOOKS / f"{PACK_NOTEBOOK}.ipynb"
LISTED = CHAPTER_FILES | {PACK_FILE} | {NOTEBOOKS / n for n in EXPLORATION_NOTEBOOKS}


def ids(path):
    return str(path.relative_to(NOTEBOOKS))


def test_every_notebook_is_listed():
    unlisted = [ids(p) for p in ALL if p not in LISTED]
    assert not unlisted, f"notebooks not listed in csplib.chapters.registry: {unlisted}"


def test_every_listed_notebook_exists():
    missing = [ids(p) for p in LISTED if not p.exists()]
    assert not missing


def parameter_names(nb) -> list[str]:
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, "exactly one cell must be tagged 'parameters'"
    names = []
    for line in cells[0].source.splitlines():
        code = line.split("#", 1)[0]
        if "=" in code:
            names.append(code.split("=", 1)[0].strip())
    return names


@pytest.mark.parametrize("path", ALL, ids=ids)
def test_parameters_cell(path):
    names = parameter_names(nbformat.read(path, as_version=4))
    assert {"params_path", "output_dir"} <= set(names)
    if path == PACK_FILE:
        assert "theme" in names


@pytest.mark.parametrize("path", ALL, ids=ids)
def test_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs, f"cell {cell.get('id')} has outputs"
            assert cell.execution_count is None


@pytest.mark.parametrize("path", sorted(CHAPTER_FILES | {PACK_FILE}), ids=ids)
def test_reads_like_a_chapter(path):
    """A title, what the chapter answers, method notes for reviewers (markdown tagged
    ``method``: the shared page folds them under "How this was calculated"), caveats at the
    end."""
    nb = nbformat.read(path, as_version=4)
    markdown = [c.source for c in nb.cells if c.cell_type == "markdown"]
    assert markdown and markdown[0].startswith("# ")
    text = "\n".join(markdown)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert re.search(r"What this (chapter|pack) answers", text)
    method = [c.source for c in nb.cells if METHOD_TAG in c.metadata.get("tags", [])]
    assert method and method[0].startswith("## How this was calculated")
    assert "Caveats" in markdown[-1] or "Caveats" in markdown[-2]
    assert any("load_context(params_path, output_dir" in src for src in code)
    # thin notebooks: no function or class definitions, logic lives in csplib
    assert not any(
        line.lstrip().startswith(("def ", "class ")) for src in code for line in src.splitlines()
    )
