"""The real chapters, run end to end by `csp assess` on three months of real police.uk data.

The run happens once per session; tests assert on the data annex against independent counts
made here with plain pandas from the raw zip.
"""

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from csplib.chapters.registry import CHAPTERS

REPO = Path(__file__).resolve().parents[2]
SMALL = REPO / "tests" / "fixtures" / "params" / "small.yaml"
ZIP = REPO / "data" / "police_uk" / "nottinghamshire_2024-01_2024-03.zip"


@pytest.fixture(scope="session")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("assessment")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "csplib.run.cli",
            "assess",
            "--params",
            str(SMALL),
            "--out",
            str(out),
            "--jobs",
            "2",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    return out, done


@pytest.fixture(scope="session")
def raw_city():
    """City rows of the raw zip, counted independently with plain pandas.

    The documented rules: rows without an LSOA are rejected; of rows sharing a Crime ID
    (one crime published twice), the first in month and file order is kept, over the whole
    force file; then rows are kept when their 2021 LSOA lies in Nottingham.
    """
    lookup = pd.read_csv(REPO / "data/reference/lookups/lookup_lsoa21_ward24_ltla24.csv.gz")
    city = set(lookup.loc[lookup["ltla24_code"] == "E06000018", "lsoa21_code"])
    with zipfile.ZipFile(ZIP) as z:
        names = sorted(n for n in z.namelist() if n.endswith(".csv"))
        raw = pd.concat([pd.read_csv(io.BytesIO(z.read(n))) for n in names], ignore_index=True)
    located = raw[raw["LSOA code"].notna()]
    ids = located["Crime ID"]
    once = located[ids.isna() | ~ids.duplicated()]
    return raw[raw["LSOA code"].isin(city)], once[once["LSOA code"].isin(city)]


def test_run_succeeds_and_writes_every_chapter(run):
    out, done = run
    assert done.returncode == 0, done.stderr[-3000:]
    for ch in CHAPTERS:
        assert (out / "html" / f"{ch.name}.html").is_file()
        assert (out / "review" / f"{ch.name}.html").is_file()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["ok"] and {c["name"] for c in manifest["chapters"]} == {
        c.name for c in CHAPTERS
    }


def test_volume_counts_match_an_independent_count(run, raw_city):
    out, _ = run
    all_city_rows, expected = raw_city
    assert len(all_city_rows) == 11_671  # rows carrying a Nottingham LSOA code, as published
    annex = pd.read_csv(out / "tables" / "01_volume__assessed_period.csv", index_col=0)
    assert annex.loc["All", "count"] == len(expected) == 11_645
    for category, n in expected["Crime type"].value_counts().items():
        assert annex.loc[category, "count"] == n, category


def test_quality_report_flags_the_real_january_2024_asb_gap(run):
    out, _ = run
    flagged = pd.read_csv(out / "tables" / "01_volume__implausible_months.csv")
    asb = flagged[flagged["category"] == "Anti-social behaviour"]
    assert asb["month"].str.startswith("2024-01").tolist() == [True]
    assert asb["count"].tolist() == [47]
    rows = pd.read_csv(out / "tables" / "01_volume__rows_accounted.csv")
    read = rows.loc[rows["reason"] == "read", "rows"].item()
    kept = rows.loc[rows["reason"] == "kept", "rows"].item()
    assert read == 28_393
    assert read == kept + rows.loc[~rows["reason"].isin(["read", "kept"]), "rows"].sum()


def test_summary_links_findings_to_evidence(run):
    out, _ = run
    summary = (out / "html" / "00_summary.html").read_text()
    assert 'href="01_volume.html"' in summary
    assert "Anti-social behaviour in January 2024 is implausibly low" in summary
