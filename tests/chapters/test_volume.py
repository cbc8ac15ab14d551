"""The volume chapter: on the default assessment, its saved result states the annex's figures;
on a tiny two-force download, its quality notes state the area's gaps."""

import json
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from csplib.chapters import volume
from csplib.chapters.findings import quality_findings
from csplib.core.schema import ASB
from csplib.ingest.store import load_store
from csplib.params import load_params

SMALL = Path(__file__).resolve().parents[1] / "fixtures" / "params" / "small.yaml"


def test_result_matches_the_annex(synthetic_run):
    saved = json.loads((synthetic_run / "results" / "01_volume.json").read_text())
    table = pd.read_csv(synthetic_run / "tables" / "01_volume__assessed_period.csv", index_col=0)
    crimes = int(table.drop(index=["Anti-social behaviour", "All"])["count"].astype(int).sum())
    assert saved["headline"]["crimes"] == crimes
    assert saved["headline"]["asb"] == int(table.loc["Anti-social behaviour", "count"])
    assert saved["headline"]["months_covered"] == saved["headline"]["months_in_period"] == 12
    assert f"recorded {crimes:,} crimes" in saved["findings"][0]["text"]
    assert [t["name"] for t in saved["tables"]] == list(volume.TABLE_NAMES)
    for name in volume.TABLE_NAMES:
        assert (synthetic_run / "tables" / f"01_volume__{name}.csv").is_file()


HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
    "LSOA name,Crime type,Last outcome category,Context"
)


def street_file(month: str, lsoa: str, rows: dict[str, int]) -> str:
    lines = [HEADER]
    for category, n in rows.items():
        for i in range(n):
            crime_id = "" if category == ASB else f"{lsoa}-{month}-{category[:4]}-{i}"
            lines.append(f"{crime_id},{month},P,P,-1.15,52.95,On or near X,{lsoa},L,{category},,")
    return "\n".join(lines) + "\n"


@pytest.fixture
def two_force_store(tmp_path):
    """Nottingham's force with no ASB row in March 2024; another force with no January file."""
    path = tmp_path / "download.zip"
    months = ["2024-01", "2024-02", "2024-03", "2024-04"]
    with zipfile.ZipFile(path, "w") as z:
        for m in months:
            rows = {"Burglary": 12} if m == "2024-03" else {"Burglary": 12, ASB: 15}
            z.writestr(f"{m}/{m}-nottinghamshire-street.csv", street_file(m, "E01013810", rows))
        for m in months[1:]:
            z.writestr(f"{m}/{m}-leicestershire-street.csv", street_file(m, "E01019420", {ASB: 9}))
    params = load_params(
        SMALL,
        overrides={
            "assessment": {"year": 2024, "period": {"start": "2024-01", "end": "2024-04"}},
            "data": {
                "police_uk": [str(path)],
                "reference_dir": "data/reference",
                "cache_dir": str(tmp_path / "cache"),
            },
        },
    )
    return SimpleNamespace(params=params, store=load_store(params))


def test_quality_notes_state_the_area_forces_gaps_only(two_force_store):
    store = two_force_store.store
    # the report keeps every force's gaps, against the whole download (Jan to Apr 2024)
    assert store.quality.missing.values.tolist() == [
        ["leicestershire", pd.Timestamp("2024-01-01"), "no file"],
        ["nottinghamshire", pd.Timestamp("2024-03-01"), f"no {ASB} rows"],
    ]
    # the area's ASB is also implausibly low in March; the category gap explains it
    assert store.quality.implausible[["category", "month"]].values.tolist() == [
        [ASB, pd.Timestamp("2024-03-01")]
    ]
    result = volume.assess(two_force_store)
    assert result.notes["quality"] == [
        f"{ASB} has no row at all in the nottinghamshire file for Mar 2024, though it is never "
        "that small: its count for that month is missing, not zero."
    ]
    assert result.headline["asb"] == 45 and result.headline["crimes"] == 48


def test_quality_notes_state_a_missing_month_of_the_area_force(two_force_store):
    store = two_force_store.store
    forces = ["leicestershire", "nottinghamshire"]  # as if both held rows in the area
    texts = [f.text for f in quality_findings(store.quality, forces=forces)]
    assert texts[0] == (
        "Data are missing for 1 month (leicestershire Jan 2024: no file); counts for that "
        "month are incomplete, not low."
    )
    assert len(texts) == 2


def test_a_month_two_forces_miss_is_one_month_and_runs_are_joined():
    missing = pd.DataFrame(
        {
            "force": ["lancashire", "northumbria", "notts", "notts", "notts"],
            "month": pd.to_datetime(
                ["2018-10-01", "2018-10-01", "2019-03-01", "2019-04-01", "2019-05-01"]
            ),
            "reason": ["no file"] * 5,
        }
    )
    quality = SimpleNamespace(missing=missing, implausible=pd.DataFrame())
    (both,) = quality_findings(quality)
    assert both.text == (
        "Data are missing for 4 months (lancashire Oct 2018: no file; northumbria Oct 2018: "
        "no file; notts Mar 2019 to May 2019: no file); counts for those months are "
        "incomplete, not low."
    )
    (own,) = quality_findings(quality, forces=["notts"])
    assert own.text.startswith("Data are missing for 3 months (notts Mar 2019 to May 2019")
    assert quality_findings(quality, forces=["derbyshire"]) == []
