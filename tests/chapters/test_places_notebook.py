"""End-to-end checks of the places chapter on the default (synthetic) assessment.

The chapter's data annex (``tables/05_places__*.csv``) is compared with the synthetic
dataset's truth (truth.json): the planted new ASB hotspot, the city totals by category, the
ASB month the publication thinned, and the area's residents from the reference data.
"""

from pathlib import Path

import pandas as pd
import pytest

from csplib.chapters.places import ALL_CRIME, GROUPS
from csplib.chapters.result import load_result
from csplib.core.schema import ASB, CRIME_CATEGORIES
from csplib.ingest.geography import Geography

REPO = Path(__file__).resolve().parents[2]
PERIOD = "2024/25"


def table(run, name: str) -> pd.DataFrame:
    path = run / "tables" / f"05_places__{name}.csv"
    assert path.is_file(), f"the chapter did not write {path.name}"
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def test_planted_asb_hotspot_is_a_new_hotspot_in_the_annex(synthetic_run, truth):
    effect = truth["effects"]["asb_hotspot"]
    assert effect["category"] == ASB and effect["from_month"] == "2023-10"
    code = effect["lsoa11"]  # unchanged in 2021: the same code in the store's vintage
    t = table(synthetic_run, "emerging_hotspots_asb")
    assert code in set(t["lsoa"]), "the planted ASB hotspot is not in the emerging table"
    row = t.set_index("lsoa").loc[code]
    assert row["name"] == effect["lsoa11_name"] and row["ward_name"] == effect["ward"]
    assert str(row["new_hotspot"]) == "True"
    assert row["lsoa_change"] == "increase" and float(row["lsoa_q_value"]) <= 0.05
    # x4 from October 2023: well above the earlier level, and the strongest new hotspot
    assert float(row["rate_ratio"]) > 1.8
    assert t.iloc[0]["lsoa"] == code
    # no LSOA's own test calls anything else a rise: ASB has no other planted change
    assert list(t.loc[t["lsoa_change"] == "increase", "lsoa"]) == [code]
    assert not {"longitude", "latitude", "geometry"} & set(t.columns)


def test_ward_profile_has_every_ward_once_and_the_area_population(synthetic_run, truth):
    t = table(synthetic_run, "ward_profiles")
    crime = t[t["measure"] == ALL_CRIME]
    assert len(crime) == 20 and crime["ward"].is_unique
    geo = Geography(REPO / "data" / "reference", la_codes=["E06000018"])
    assert set(crime["ward"]) == set(geo.lsoa_table["ward"])
    residents = geo.population(2024)["population"].sum()
    assert crime["population"].sum() == pytest.approx(residents)
    # counts add up to the city totals of the truth (no ward count is small)
    totals = truth["calibration"]["category_totals_city"]
    assert crime["count"].astype(int).sum() == sum(totals[c][PERIOD] for c in CRIME_CATEGORIES)
    asb = t[t["measure"] == ASB]
    assert (
        asb["count"].astype(int).sum()
        == truth["calibration"]["asb_incidents"][PERIOD]["in_published_files"]
    )
    # rank 1 = highest rate
    top = crime.loc[crime["rate_per_1000"].astype(float).idxmax()]
    assert int(top["rank"]) == 1
    # the thinned ASB month of the year before is left out of both years' comparison
    low = truth["publication"]["low_months"]
    assert [m["month"] for m in low] == ["2023-06"] and low[0]["category"] == ASB
    assert set(asb["months_compared"]) == {11}
    assert set(crime["months_compared"]) == {12}
    assert (crime["count_compared"].astype(int) == crime["count"].astype(int)).all()
    assert set(t["change"]) <= {"up", "down", "no significant change", "not compared"}


def test_hotspot_annex_lists_significant_hot_spots_only(synthetic_run):
    t = table(synthetic_run, "hotspots")
    assert list(t.columns) == [
        "group",
        "lsoa",
        "name",
        "ward_name",
        "count",
        "rate_per_1000",
        "z",
        "q_value",
    ]
    assert set(t["group"]) == set(GROUPS)
    assert (t["q_value"].astype(float) <= 0.05).all() and (t["z"].astype(float) > 0).all()
    # the city centre (Castle ward) holds hot spots of every group
    for group, rows in t.groupby("group"):
        assert "Castle" in set(rows["ward_name"]), group


def test_saved_result_states_the_new_hotspot_and_the_tables(synthetic_run, truth):
    result = load_result(synthetic_run, "05_places")
    assert result is not None, "the chapter did not save its result"
    assert list(result.tables) == [
        "ward_profiles",
        "ward_summary",
        "hotspots",
        "emerging_hotspots_asb",
    ]
    effect = truth["effects"]["asb_hotspot"]
    assert result.headline["new_asb_hotspots"][0] == effect["lsoa11_name"]
    assert result.headline["period"] == PERIOD and result.headline["wards"] == 20
    assert result.figures["emerging"].startswith(f"1 new ASB hotspot in {PERIOD}")
    planted = [f.text for f in result.findings if effect["lsoa11_name"] in f.text]
    assert len(planted) == 1 and "new ASB hotspot" in planted[0]
    assert all(f.evidence == "05_places" for f in result.findings)
