"""A national police.uk download as every partnership's monthly counts (csp national)."""

import os
from pathlib import Path

import pandas as pd
import pytest

from csplib.ingest.national import national_counts, summary_lines, write_national
from csplib.ingest.policeuk import read_policeuk
from csplib.run.cli import main

HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
    "LSOA name,Crime type,Last outcome category,Context"
)
NOTTINGHAM, MANSFIELD, DERBY = "E01013810", "E01028284", "E01013453"
AREA = {NOTTINGHAM: "E22000257", MANSFIELD: "E22000255", DERBY: "E22000040"}


def row(i, month, lsoa, category="Burglary"):
    crime_id = "" if category == "Anti-social behaviour" else f"id{i:06d}"
    return f"{crime_id},{month},X,X,-1.1,52.9,On or near X,{lsoa},name,{category},,"


def write_download(folder: Path) -> None:
    """Three forces over Oct-Dec 2018: Derbyshire has no Oct file; British Transport
    Police has a row in a Derby LSOA in Oct; Northern Ireland's rows have no LSOA."""
    files = {
        "nottinghamshire": {
            "2018-10": [NOTTINGHAM] * 5 + [MANSFIELD] * 3 + [DERBY],
            "2018-11": [NOTTINGHAM] * 4 + [MANSFIELD] * 2,
            "2018-12": [NOTTINGHAM] * 6 + [MANSFIELD] * 1 + ["E01999999"],
        },
        "derbyshire": {"2018-11": [DERBY] * 7, "2018-12": [DERBY] * 4 + [NOTTINGHAM]},
        "btp": {"2018-10": [DERBY, NOTTINGHAM]},
        "northern-ireland": {"2018-11": [""] * 3},
    }
    i = 0
    for force, months in files.items():
        for month, lsoas in months.items():
            (folder / month).mkdir(parents=True, exist_ok=True)
            lines = [HEADER]
            for lsoa in lsoas:
                i += 1
                lines.append(row(i, month, lsoa, "Anti-social behaviour" if i % 3 else "Burglary"))
            (folder / month / f"{month}-{force}-street.csv").write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    folder = tmp_path_factory.mktemp("national")
    write_download(folder)
    return folder, national_counts(read_policeuk(folder), "data/reference")


def test_every_partnership_with_rows_gets_its_present_months(national):
    _, result = national
    counts = result.counts.groupby(["area", "month"])["count"].sum()
    month = pd.Timestamp
    # Nottingham: its force has every month; BTP's row counts too (the rows of an LSOA)
    assert counts[AREA[NOTTINGHAM], month("2018-10-01")] == 5 + 1
    assert counts[AREA[NOTTINGHAM], month("2018-12-01")] == 6 + 1  # one in Derbyshire's file
    assert counts[AREA[MANSFIELD], month("2018-11-01")] == 2
    # Derby: Derbyshire has no Oct file, so Oct is missing there, never the 2 rows others had
    assert (AREA[DERBY], month("2018-10-01")) not in counts.index
    present = result.present.set_index(["area", "month"])["present"]
    assert not present[AREA[DERBY], month("2018-10-01")]
    assert (
        present[AREA[DERBY], month("2018-11-01")] and present[AREA[NOTTINGHAM], month("2018-10-01")]
    )
    assert result.areas.loc[AREA[DERBY], "missing"] == "Oct 2018"
    assert result.unplaced == 1  # an LSOA code of no partnership


def test_rows_read_are_kept_plus_rejected_for_every_force_and_absent_months_listed(national):
    _, result = national
    f = result.forces
    assert (f["rows_read"] == f["rows_kept"] + f["rows_rejected"]).all()
    assert f.loc["northern-ireland", ["rows_kept", "rows_rejected"]].tolist() == [0, 3]
    assert result.rows_read == 9 + 6 + 8 + 7 + 5 + 2 + 3
    # the download spans Oct-Dec: each force's other months are absent
    absent = {(r.force, f"{r.month:%Y-%m}") for r in result.absent.itertuples()}
    assert ("derbyshire", "2018-10") in absent and ("btp", "2018-12") in absent
    assert not any(force == "nottinghamshire" for force, _ in absent)
    lines = summary_lines(result)
    assert lines[0] == "40 rows read = 37 kept + 3 rejected, across 4 forces"


def test_csp_national_writes_the_store(national, tmp_path, capsys):
    folder, result = national
    out = tmp_path / "store"
    assert main(["national", "--police-uk", str(folder), "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "40 rows read = 37 kept + 3 rejected" in said and f"written to {out}" in said
    counts = pd.read_parquet(out / "counts.parquet")
    pd.testing.assert_frame_equal(counts, result.counts)
    assert pd.read_csv(out / "absent_force_months.csv").iloc[0].tolist()[1].startswith("2018")
    assert sorted(p.name for p in write_national(result, tmp_path / "again")) == sorted(
        p.name for p in out.iterdir()
    )
    assert main(["national", "--police-uk", str(tmp_path / "nowhere.zip")]) == 2
    assert "no such file or folder" in capsys.readouterr().err


SHARED = Path(
    os.environ.get("CSP_NATIONAL_ZIP", "../shared/data/police_uk/national_2018-10_2018-12.zip")
)


@pytest.mark.skipif(not SHARED.is_file(), reason=f"no national download at {SHARED}")
def test_the_real_national_download(tmp_path):
    """39 territorial forces, British Transport Police and Northern Ireland, Oct-Dec 2018;
    Lancashire and Northumbria have no Oct file; four big forces are not in the snapshot."""
    result = national_counts(read_policeuk(SHARED, cache_dir=tmp_path), "data/reference")
    assert result.rows_read == 1_070_154 == result.rows_kept + result.rows_rejected
    absent = {(r.force, f"{r.month:%Y-%m}") for r in result.absent.itertuples()}
    assert absent == {("lancashire", "2018-10"), ("northumbria", "2018-10")}
    areas = result.areas
    with_data = areas[areas["months"] > 0]
    assert len(with_data) == 247
    assert set(areas.loc[areas["months"] == 0, "force"]) == {
        "Metropolitan Police", "Greater Manchester", "West Midlands", "West Yorkshire",
    }  # fmt: skip
    lancs = with_data[with_data["force"] == "Lancashire"]
    assert (lancs["months"] == 2).all() and (lancs["missing"] == "Oct 2018").all()
    assert set(result.counts["area"]) == set(with_data.index)
