"""Safe sharing end to end: escaped text, suppressed small counts, no record-level data."""

import gzip
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from csplib.present.disclosure import (
    check_shared_outputs,
    contains_escaped_html,
    contains_unescaped_html,
)

REPO = Path(__file__).resolve().parents[2]
SCRIPT = "<script>alert('x')</script>"
HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
    "LSOA name,Crime type,Last outcome category,Context"
)


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """A tiny assessment: one ward renamed to a <script> tag holding 3 bicycle thefts."""
    root = tmp_path_factory.mktemp("planted")
    ref = root / "reference"
    shutil.copytree(REPO / "data" / "reference", ref)
    lookup_file = ref / "lookups" / "lookup_lsoa21_ward24_ltla24.csv.gz"
    lookup = pd.read_csv(lookup_file, dtype=str)
    city = lookup[lookup["ltla24_code"] == "E06000018"]
    target_ward = "Radford"
    lookup.loc[lookup["ward24_name"] == target_ward, "ward24_name"] = SCRIPT
    with gzip.open(lookup_file, "wt", encoding="utf-8", newline="") as fh:
        lookup.to_csv(fh, index=False)
    in_ward = city.loc[city["ward24_name"] == target_ward, "lsoa21_code"].iloc[0]
    elsewhere = city.loc[city["ward24_name"] != target_ward, "lsoa21_code"].iloc[:10].tolist()
    rows = []
    for i in range(3):
        rows.append(
            f"{i:064x},2024-01,Nottinghamshire Police,Nottinghamshire Police,-1.17,"
            f'52.96,"On or near {SCRIPT}",{in_ward},Nottingham 001A,Bicycle theft,'
            "Under investigation,"
        )
    for i, lsoa in enumerate(elsewhere * 4):
        rows.append(
            f"{100 + i:064x},2024-01,Nottinghamshire Police,Nottinghamshire Police,"
            f"-1.15,52.95,On or near High Street,{lsoa},Nottingham 002A,Bicycle theft,"
            "Under investigation,"
        )
    month = root / "police" / "2024-01"
    month.mkdir(parents=True)
    (month / "2024-01-nottinghamshire-street.csv").write_text(
        HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8"
    )
    params = root / "params.yaml"
    params.write_text("""
assessment: {year: 2024, period: {start: 2024-01, end: 2024-01, label: "Jan 2024"}}
area: {name: Nottingham, la_codes: [E06000018]}
data: {police_uk: [police], reference_dir: reference, cache_dir: cache}
themes:
  bikes: {name: Bicycle theft, categories: [Bicycle theft]}
""")
    out = root / "out"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "csplib.run.cli",
            "assess",
            "--params",
            str(params),
            "--out",
            str(out),
            "--chapters",
            "01_volume",
            "--packs",
            "bikes",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return out


def test_text_from_data_is_escaped(planted):
    pack = (planted / "packs" / "bikes.html").read_text()
    assert contains_escaped_html(pack, SCRIPT)
    assert not contains_unescaped_html(pack, SCRIPT)


def test_a_count_of_three_is_suppressed(planted):
    wards = pd.read_csv(planted / "tables" / "pack_bikes__wards.csv", index_col=0)
    assert wards.loc[SCRIPT, "count"] == "[c]"
    assert wards.loc[SCRIPT, "rate_per_1000"] == "[c]"  # the rate would give the count away
    pack = (planted / "packs" / "bikes.html").read_text()
    assert "[c]" in pack


def test_no_record_level_data_in_shared_outputs(planted):
    assert check_shared_outputs(planted) == []


def test_default_assessment_shares_aggregates_only(synthetic_run):
    shared = [
        p
        for p in synthetic_run.rglob("*")
        if p.is_file() and p.relative_to(synthetic_run).parts[0] in ("html", "packs")
    ]
    assert shared, "no shared files were written"
    assert check_shared_outputs(synthetic_run) == []
