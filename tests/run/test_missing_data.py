"""Missing data stop or qualify a run: an assessed period without data, a download without a
row in the area, and a baseline without data (issue 15).

``csp assess`` is run in this process (:func:`csplib.run.cli.main`). Where the run must stop
before any chapter, ``--notebooks`` names an empty folder: a chapter started by mistake fails
(exit 1), so only a stop before the chapters gives exit 2.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
import yaml

from csplib.ingest.store import check_periods, load_store
from csplib.params import load_params
from csplib.run.cli import main

REPO = Path(__file__).resolve().parents[2]
ZIP_2024 = REPO / "data" / "police_uk" / "nottinghamshire_2024-01_2024-03.zip"
HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
    "LSOA name,Crime type,Last outcome category,Context"
)
OUTSIDE = "E01019420"  # an LSOA outside Nottingham (E06000018)


def write_params(folder: Path, *, police_uk: str | Path = ZIP_2024, **assessment) -> Path:
    """A parameters file for Nottingham in ``folder``; ``assessment`` keys replace the small
    fixture's (Jan to Mar 2024, the months of the real 2024 download)."""
    params = {
        "root": str(REPO),
        "assessment": {
            "year": 2024,
            "title": "Test Assessment",
            "period": {"start": "2024-01", "end": "2024-03", "label": "Jan - Mar 2024"},
            **assessment,
        },
        "area": {"name": "Nottingham", "csp_code": "E22000257", "la_codes": ["E06000018"]},
        "data": {
            "police_uk": [str(police_uk)],
            "reference_dir": "data/reference",
            "cache_dir": str(REPO / ".cache" / "csplib-tests"),
        },
    }
    path = folder / "x.yaml"
    path.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    return path


def other_force_download(path: Path) -> Path:
    """Three months of a Leicestershire-style download: every row outside Nottingham."""
    with zipfile.ZipFile(path, "w") as z:
        for month in ("2024-01", "2024-02", "2024-03"):
            lines = [HEADER] + [
                f"l{month}{i},{month},Leics,Leics,-1.13,52.63,On or near Y,{OUTSIDE},"
                "Leicester 001A,Burglary,,"
                for i in range(4)
            ]
            z.writestr(f"{month}/{month}-leicestershire-street.csv", "\n".join(lines) + "\n")
    return path


def assess(params: Path, out: Path, *extra: str) -> int:
    return main(["assess", "--params", str(params), "--out", str(out), *extra])


def no_chapter_ran(out: Path) -> bool:
    return not list((out / "notebooks").glob("*.ipynb")) and not list((out / "logs").iterdir())


def test_an_assessed_period_without_data_stops_the_run(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the message names the file as typed, from here
    write_params(tmp_path, period="2025/26")
    (tmp_path / "nbs").mkdir()
    out = tmp_path / "out"
    assert assess(Path("x.yaml"), out, "--notebooks", str(tmp_path / "nbs")) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == (
        "csp: error: the assessed period 2025/26 (Apr 2025 to Mar 2026) has no police.uk "
        "data for Nottingham; the data hold Jan 2024 to Mar 2024 (3 months). Choose a period "
        "inside the data (assessment.period in x.yaml)"
    )
    assert no_chapter_ran(out)
    assert "stopped: the assessed period 2025/26" in (out / "run.log").read_text()


def test_a_download_without_a_row_in_the_area_stops_the_run(tmp_path, capsys):
    download = other_force_download(tmp_path / "leicestershire.zip")
    params = write_params(tmp_path, police_uk=download)
    (tmp_path / "nbs").mkdir()
    out = tmp_path / "out"
    assert assess(params, out, "--notebooks", str(tmp_path / "nbs")) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == (
        "csp: error: no police.uk row of the download lies in Nottingham (E06000018; "
        "Nottinghamshire police force area): the download holds leicestershire Jan 2024 to "
        "Mar 2024 (3 months), 12 rows read. Use a download of Nottinghamshire's street files "
        f"(data.police_uk in {params})"
    )
    assert no_chapter_ran(out)


def test_period_notes_name_each_window_without_data(tmp_path):
    params = load_params(
        write_params(
            tmp_path,
            baseline="2018/19",
            comparisons=["2019/20", {"start": "2023-11", "end": "2024-01"}, "2026/27"],
        )
    )
    # the baseline must start before the period, a comparison need not
    assert check_periods(load_store(params), params) == [
        "The baseline 2018/19 has no police.uk data (the data start Jan 2024): comparisons "
        "with it are left out.",
        "The comparison period 2019/20 has no police.uk data (the data start Jan 2024): "
        "comparisons with it are left out.",
        "The comparison period 2026/27 has no police.uk data (the data end Mar 2024): "
        "comparisons with it are left out.",
    ]
    with_data = load_params(write_params(tmp_path, baseline={"start": "2024-01", "end": "2024-01"}))
    assert check_periods(load_store(with_data), with_data) == []


def test_a_window_in_a_gap_of_the_data_is_named(tmp_path):
    zips = [REPO / "data" / "police_uk" / "nottinghamshire_2018-10_2019-02.zip", ZIP_2024]
    params = load_params(write_params(tmp_path, comparisons=["2019/20"]))
    params = params.model_copy(update={"data": params.data.model_copy(update={"police_uk": zips})})
    assert check_periods(load_store(params), params) == [
        "The comparison period 2019/20 has no police.uk data (it falls in a gap in the data, "
        "between Feb 2019 and Jan 2024): comparisons with it are left out."
    ]


@pytest.fixture(scope="module")
def empty_baseline_run(tmp_path_factory):
    """03_harm and 06_performance, for real, with a baseline years before the data."""
    folder = tmp_path_factory.mktemp("empty-baseline")
    params = write_params(folder, baseline="2018/19")
    out = folder / "out"
    status = assess(params, out, "--chapters", "03_harm,06_performance")
    return status, out


def test_an_empty_baseline_does_not_stop_the_run(empty_baseline_run):
    status, out = empty_baseline_run
    assert status == 0, (out / "run.log").read_text()[-3000:]
    manifest = json.loads((out / "manifest.json").read_text())
    assert {c["name"]: c["status"] for c in manifest["chapters"]} == {
        "03_harm": "ok",
        "06_performance": "ok",
    }
    harm = json.loads((out / "results" / "03_harm.json").read_text())
    assert harm["notes"]["change"] == [
        "There are no data for the baseline 2018/19, so no change can be given."
    ]
    assert "css_pct_change" not in harm["headline"]


def test_an_empty_baseline_is_said_in_the_log_and_on_the_contents_page(empty_baseline_run):
    _, out = empty_baseline_run
    note = (
        "The baseline 2018/19 has no police.uk data (the data start Jan 2024): comparisons "
        "with it are left out."
    )
    assert note in (out / "run.log").read_text()
    page = (out / "index.html").read_text()
    assert "Notes on the data" in page and f"<li>{note}</li>" in page


def test_a_month_only_another_force_has_is_missing_for_the_area(tmp_path):
    """A national download where the area's own force has no file for a month that another
    force has (Lancashire and Northumbria lack 2018-10 in the real national files): the month
    is missing for the area, never a month of zero crime."""
    download = tmp_path / "national.zip"
    with zipfile.ZipFile(ZIP_2024) as real, zipfile.ZipFile(download, "w") as z:
        for name in real.namelist():
            if name.endswith("-street.csv") and not name.startswith("2024-01"):
                z.writestr(name, real.read(name))  # Nottinghamshire: Feb and Mar only
        for month in ("2024-01", "2024-02", "2024-03"):
            lines = [HEADER] + [
                f"l{month}{i},{month},Leics,Leics,-1.13,52.63,On or near Y,{OUTSIDE},"
                "Leicester 001A,Burglary,,"
                for i in range(4)
            ]
            z.writestr(f"{month}/{month}-leicestershire-street.csv", "\n".join(lines) + "\n")
    params = load_params(write_params(tmp_path, police_uk=download))
    store = load_store(params)
    assert [f"{m:%Y-%m}" for m in store.months_present] == ["2024-02", "2024-03"]
    assert (store.incidents["month"] >= "2024-02-01").all()
