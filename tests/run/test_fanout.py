"""csp assess-all: several partnerships' assessments on a dask LocalCluster, one of them
surviving the death of its worker, and the national index page."""

import html
import os
import signal
from pathlib import Path

import pytest

from csplib.run.fanout import assess_all, assess_one
from csplib.run.init import init_parameters

REPO = Path(__file__).resolve().parents[2]
ZIPS = ["nottinghamshire_2018-10_2019-02.zip", "nottinghamshire_2024-01_2024-03.zip"]
AREAS = ["Mansfield", "Ashfield", "Bassetlaw", "Newark and Sherwood"]
CHAPTERS = ["01_volume", "02_threat", "03_harm", "05_places", "00_summary"]


def killed_once(params_file: str, out_dir: str, chapters=None) -> dict:
    """:func:`assess_one`, but the first attempt at Bassetlaw kills its own worker
    process (as an out-of-memory kill would), half way through a run."""
    marker = Path(out_dir).parent / "bassetlaw.killed"
    if "bassetlaw" in params_file and not marker.exists():
        marker.write_text(str(os.getpid()))
        os.kill(os.getpid(), signal.SIGKILL)
    return assess_one(params_file, out_dir, chapters)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("fanout")
    (root / "data").symlink_to(REPO / "data")
    (root / "notebooks").symlink_to(REPO / "notebooks")
    zips = [root / "data" / "police_uk" / z for z in ZIPS]
    files = [init_parameters(a, root=root, police_uk=zips)[0] for a in AREAS]
    lines = []
    out = root / "outputs" / "all"
    results = assess_all(
        files, out, workers=2, chapters=CHAPTERS, task=killed_once, say=lines.append
    )
    return out, results, lines


def test_every_partnership_runs_end_to_end_on_two_workers(runs):
    out, results, lines = runs
    assert [r["name"] for r in results] == AREAS
    for r in results:
        assert r["failed"] == [], r  # every chapter of every partnership ran to the end
        # a run is "failed" only when its own checks (the disclosure audit, the record-level
        # scan) found a problem, and then it says which
        assert r["status"] == "ok" or r["problems"], r
        assert (Path(r["out"]) / "index.html").is_file()
        assert (Path(r["out"]) / "html" / "01_volume.html").is_file()
    assert len(lines) == 4 and lines[-1].startswith("4/4 ")


def test_a_task_whose_worker_died_is_run_again_and_completes(runs):
    out, results, _ = runs
    assert (out / "bassetlaw.killed").is_file()  # the first attempt's worker was killed
    bassetlaw = results[AREAS.index("Bassetlaw")]
    assert bassetlaw["failed"] == [] and (Path(bassetlaw["out"]) / "manifest.json").is_file()


def test_the_national_index_links_every_partnership(runs):
    out, results, _ = runs
    page = (out / "index.html").read_text()
    ok = sum(r["status"] == "ok" for r in results)
    assert f"{ok} of 4 assessments finished" in page
    for r in results:
        if r["status"] != "ok":
            assert html.escape(r["problems"][0]) in page  # the reason is on the page
        href = Path(r["out"]).relative_to(out).as_posix() + "/index.html"
        assert f'href="{href}"' in page and (out / href).is_file()


def test_a_partnership_whose_task_fails_is_reported(tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("area: {name: Nowhere}\n")  # no data, no assessment: the task raises
    results = assess_all([bad], tmp_path / "out", workers=1, retries=0, chapters=["01_volume"])
    assert results[0]["status"] == "error" and results[0]["error"].startswith("ParamsError")
    assert "broken" in (tmp_path / "out" / "index.html").read_text()


def test_csp_assess_all_names_a_folder_without_parameters(tmp_path, capsys):
    from csplib.run.cli import main

    assert main(["assess-all", "--params-dir", str(tmp_path)]) == 2
    assert f"{tmp_path}: no parameters files (*.yaml) to assess" in capsys.readouterr().err
