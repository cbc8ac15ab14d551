"""The places chapter's glue: comparison windows, flagged months, tables and the assessment.

The assessment is checked on simulated incidents with a known truth (Poisson counts on the
real Nottingham LSOAs, a new ASB hotspot planted six months before the assessed period, and
a month whose ASB was mostly lost and is flagged), and on the real three-month fixture.
"""

from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from csplib.chapters.places import (
    ALL_CRIME,
    GROUPS,
    VIOLENCE,
    assess,
    assess_places,
    chapter_result,
    chart_titles,
    comparison_window,
    emerging_table,
    hotspot_table,
    places_findings,
    profile_measures,
    profile_table,
    ward_outlines,
)
from csplib.chapters.result import ChapterResult
from csplib.core.errors import ParamsError
from csplib.core.periods import Period
from csplib.core.schema import ASB, CRIME_CATEGORIES
from csplib.ingest.geography import Geography
from csplib.methods.places import GetisOrdHotspots, area_rates, emerging_hotspots

REPO = Path(__file__).resolve().parents[2]
REF = REPO / "data" / "reference"
NEW_HOTSPOT = "E01013836"  # Nottingham 008E, Basford ward
LOST_MONTH = pd.Timestamp("2023-06-01")


def bh(p):
    """Benjamini-Hochberg q-values, written out."""
    p = np.asarray(p, dtype=float)
    n = len(p)
    order = np.argsort(p)
    ranked = p[order] * n / np.arange(1, n + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(n)
    out[order] = np.minimum(q, 1)
    return out


@pytest.fixture(scope="module")
def geo():
    return Geography(REF, la_codes=["E06000018"])


def simulate(geo, seed=7):
    """Four financial years of monthly Poisson counts by LSOA, with a planted new hotspot."""
    rng = np.random.default_rng(seed)
    codes = geo.lsoa_table.index.to_numpy()
    months = pd.date_range("2021-04-01", "2025-03-01", freq="MS")
    means = {ASB: 4.0, "Burglary": 2.0, VIOLENCE: 5.0}
    frames = []
    for month in months:
        for category, mean in means.items():
            mu = np.full(len(codes), mean)
            if category == ASB:
                if month >= pd.Timestamp("2023-10-01"):
                    mu[codes == NEW_HOTSPOT] *= 4  # a step six months before 2024/25
                if month == LOST_MONTH:
                    mu *= 0.05  # a release that lost most of the month's ASB
            n = rng.poisson(mu)
            frames.append(
                pd.DataFrame(
                    {
                        "month": month,
                        "category": category,
                        "lsoa": pd.array(np.repeat(codes, n), "str"),
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def simulated(geo):
    incidents = simulate(geo)
    flags = pd.DataFrame({"category": [ASB], "month": [LOST_MONTH], "direction": ["low"]})
    store = SimpleNamespace(
        incidents=incidents,
        partner=None,
        geography=geo,
        quality=SimpleNamespace(implausible=flags),
    )
    params = SimpleNamespace(
        assessment=SimpleNamespace(period=Period.parse("2024/25")),
        area=SimpleNamespace(name="Nottingham"),
        themes={
            "asb": {"name": "Anti-social behaviour", "categories": [ASB]},
            "acq": {"name": "Acquisitive crime", "categories": ["Burglary", "Robbery"]},
            "hate": {"name": "Hate crime", "flags": {"hate": True}},
        },
    )
    return incidents, assess_places(params, store)


# ----------------------------------------------------------------------------- helpers
def test_comparison_window_takes_up_to_three_whole_years_the_data_hold():
    period = Period.parse("2024/25")
    months = pd.date_range("2014-04-01", "2025-03-01", freq="MS")
    assert comparison_window(period, months) == Period.window("2021-04", "2024-03")
    assert comparison_window(period, months, years=1) == Period.parse("2023/24")
    two = months[months >= "2022-01-01"]
    assert comparison_window(period, two) == Period.window("2022-04", "2024-03")
    partial = months[months >= "2023-09-01"]  # data start inside the year before
    assert comparison_window(period, partial) == Period.parse("2023/24")
    assert comparison_window(period, months[months >= "2024-04-01"]) is None
    with pytest.raises(ParamsError, match="years must be a whole number"):
        comparison_window(period, months, years=0)


def test_ward_outlines_nest_the_lsoas(geo):
    outlines = ward_outlines(geo)
    lsoas = geo.lsoas()
    assert len(outlines) == 20 and set(outlines.index) == set(lsoas["ward"])
    # every LSOA lies inside its own ward's outline (a small tolerance for rounding)
    own = gpd.GeoSeries(
        outlines.geometry.reindex(lsoas["ward"]).to_numpy(), index=lsoas.index, crs=lsoas.crs
    )
    assert lsoas.geometry.buffer(-1).within(own).all()
    area = lsoas.geometry.area.groupby(lsoas["ward"].to_numpy()).sum()
    assert np.allclose(outlines.geometry.area.reindex(area.index), area, rtol=1e-6)


def test_profile_measures_skip_duplicates_and_themes_needing_a_partner():
    inc = pd.DataFrame({"category": [ASB], "month": pd.to_datetime(["2024-01-01"])})
    themes = {
        "asb": {"name": "ASB", "categories": [ASB]},
        "violence": {"name": "Violence", "categories": [VIOLENCE]},
        "drugs": {"name": "Drugs", "categories": ["Drugs"]},
        "dsva": {"name": "Domestic abuse", "flags": {"domestic": True}},
    }
    cats, specs, notes = profile_measures(themes, inc)
    assert cats == [ASB, VIOLENCE]
    assert [s.name for s in specs.values()] == [ALL_CRIME, "Drugs"]
    assert list(specs[next(iter(specs))].categories) == list(CRIME_CATEGORIES)
    assert len(notes) == 1 and "Domestic abuse" in notes[0] and "partner" in notes[0]
    partner = pd.DataFrame({"month": [], "category": [], "lsoa": [], "domestic": []})
    _, specs, notes = profile_measures(themes, inc, partner)
    assert [s.name for s in specs.values()] == [ALL_CRIME, "Drugs", "Domestic abuse"]
    assert notes == []


def test_profile_table_adjusts_ward_p_values_across_wards():
    rng = np.random.default_rng(3)
    p = np.concatenate([[0.0004, 0.003, 0.02], rng.uniform(0.05, 1, 17)])
    n = len(p)
    frame = pd.DataFrame(
        {
            "measure": ["B"] * n + ["A"] * n,
            "ward": [f"w{i:02d}" for i in range(n)] * 2,
            "ward_name": [f"Ward {i}" for i in range(n)] * 2,
            "population": 1000.0,
            "deprived_lsoa_share": 0.0,
            "count": 10,
            "rate_per_1000": 10.0,
            "rank": list(range(n, 0, -1)) * 2,
            "share_of_area": 5.0,
            "months": "all 12 months",
            "comparison": ["all 12 months"] * n + ["not compared: no data for 2023/24"] * n,
            "months_compared": [12] * n + [0] * n,
            "count_compared": [20.0, 5.0, 30.0] + [10.0] * (n - 3) + [np.nan] * n,
            "previous_compared": [5.0, 20.0, 15.0] + [10.0] * (n - 3) + [np.nan] * n,
            "pct_change": 0.0,
            "p_value": list(p) + [np.nan] * n,
        }
    )
    t = profile_table(frame)
    assert t["measure"].tolist() == ["B"] * n + ["A"] * n  # measures keep their order
    assert t["rank"].tolist()[:n] == list(range(1, n + 1))  # wards by rank within a measure
    b = t[t["measure"] == "B"].set_index("ward")
    expected = pd.Series(bh(p), index=[f"w{i:02d}" for i in range(n)])
    assert np.allclose(b["q_value"], expected.reindex(b.index))
    # q = 0.0004*20 = 0.008, 0.003*20/2 = 0.03, 0.02*20/3 = 0.133
    assert b.loc["w00", "change"] == "up" and b.loc["w01", "change"] == "down"
    assert b.loc["w02", "change"] == "no significant change"  # p < 0.05 but q > 0.05
    assert set(t.loc[t["measure"] == "A", "change"]) == {"not compared"}
    assert t.loc[t["measure"] == "A", "q_value"].isna().all()


def test_hotspot_table_lists_the_hot_spots_without_geometry(geo):
    codes = geo.lsoa_table.index
    lsoas = geo.lsoas().set_index("lsoa")
    cluster = lsoas.index[lsoas.geometry.intersects(lsoas.geometry.loc[NEW_HOTSPOT])]
    counts = pd.Series(np.random.default_rng(5).poisson(10, len(codes)), index=codes)
    counts[cluster] += 40
    inc = pd.DataFrame(
        {
            "month": pd.Timestamp("2024-01-01"),
            "lsoa": pd.array(np.repeat(codes.to_numpy(), counts.to_numpy()), "str"),
        }
    )
    rates = area_rates(inc, geo, period="Jan 24", population_year=2020)
    res = GetisOrdHotspots(rates, "count", permutations=0).fit()
    t = hotspot_table({"ASB": res}, {"ASB": rates})
    assert "geometry" not in t.columns
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
    assert set(t["lsoa"]) == set(res.hot) and NEW_HOTSPOT in set(t["lsoa"])
    assert (t["q_value"] <= 0.05).all() and t["z"].is_monotonic_decreasing
    row = t.set_index("lsoa").loc[NEW_HOTSPOT]
    assert row["count"] == counts[NEW_HOTSPOT] and row["ward_name"] == "Basford"
    assert row["rate_per_1000"] == pytest.approx(rates.loc[NEW_HOTSPOT, "rate_per_1000"])
    empty = hotspot_table({}, {})
    assert empty.empty and "q_value" in empty.columns


def test_emerging_table_puts_new_hotspots_first(geo):
    codes = geo.lsoa_table.index
    rng = np.random.default_rng(11)
    before = pd.Series(rng.poisson(10, len(codes)), index=codes)
    mean = pd.Series(10.0, index=codes)
    mean[NEW_HOTSPOT] = 80.0
    after = pd.Series(rng.poisson(mean), index=codes)

    def rows(counts, month):
        return pd.DataFrame(
            {
                "month": pd.Timestamp(month),
                "lsoa": pd.array(np.repeat(codes.to_numpy(), counts.to_numpy()), "str"),
            }
        )

    res = emerging_hotspots(
        pd.concat([rows(before, "2023-01-01"), rows(after, "2024-01-01")]),
        geo,
        current="Jan 24",
        permutations=0,
    )
    t = emerging_table(res, geo.lsoa_table)
    assert "geometry" not in t.columns
    first = t.iloc[0]
    assert first["lsoa"] == NEW_HOTSPOT and first["new_hotspot"]
    assert first["ward_name"] == "Basford" and first["name"] == "Nottingham 008E"
    assert first["count"] == after[NEW_HOTSPOT] and first["baseline_count"] == before[NEW_HOTSPOT]
    assert first["expected"] == pytest.approx(res.screen.table.loc[NEW_HOTSPOT, "expected"])
    assert first["rate_ratio"] == pytest.approx(first["count"] / first["expected"])
    table = res.table
    rose = table["new_hotspot"] | (table["lsoa_change"] == "increase")
    rose |= table["classification"] == "emerging hot spot"
    assert set(t["lsoa"]) == set(table.index[rose])
    assert not t["new_hotspot"].iloc[t["new_hotspot"].sum() :].any()


# ----------------------------------------------------------------------------- assessment
def test_assessment_finds_the_planted_hotspot_and_leaves_out_the_lost_month(simulated, geo):
    incidents, res = simulated
    assert res.comparison == Period.window("2021-04", "2024-03")
    assert res.population_year == 2020 and res.config["population_year_requested"] == 2024
    # emerging: the step began in October 2023, half-way through the year before
    t = res.emerging_table
    first = t.iloc[0]
    assert first["lsoa"] == NEW_HOTSPOT and first["new_hotspot"]
    assert first["lsoa_change"] == "increase" and first["lsoa_q_value"] <= 0.05
    in_period = incidents[incidents["month"] >= "2024-04-01"]
    assert (
        first["count"]
        == ((in_period["lsoa"] == NEW_HOTSPOT) & (in_period["category"] == ASB)).sum()
    )
    # the lost month is left out of the comparison window (35 of 36 months)
    assert res.emerging.config["scale"] == pytest.approx(12 / 35)
    earlier = incidents[(incidents["month"] < "2024-04-01") & (incidents["category"] == ASB)]
    earlier = earlier[(earlier["month"] != LOST_MONTH) & (earlier["lsoa"] == NEW_HOTSPOT)]
    assert first["baseline_count"] == len(earlier)
    assert any("Jun 2023" in n and "emerging" in n for n in res.notes)
    # ward profiles: ASB compares 11 months, crime 12; every ward once per measure
    prof = res.profiles
    assert prof.groupby("measure")["ward"].nunique().eq(20).all()
    assert list(pd.unique(prof["measure"]))[:3] == [ALL_CRIME, ASB, VIOLENCE]
    assert set(pd.unique(prof["measure"])) == {ALL_CRIME, ASB, VIOLENCE, "Acquisitive crime"}
    assert set(prof.loc[prof["measure"] == ASB, "months_compared"]) == {11}
    assert set(prof.loc[prof["measure"] == ALL_CRIME, "months_compared"]) == {12}
    assert set(prof.loc[prof["measure"] == ASB, "comparison"]) == {
        "like-for-like: Apr, May and Jul-Mar (11 of 12 months)"
    }
    assert any(
        n.startswith(f"{ASB}: the change on 2023/24 is like-for-like: Apr, May and Jul-Mar")
        for n in res.notes
    )
    assert any("Hate crime" in n for n in res.notes)
    crime = prof[prof["measure"] == ALL_CRIME]
    assert crime["count"].sum() == in_period["category"].isin(CRIME_CATEGORIES).sum()
    assert crime["population"].sum() == pytest.approx(geo.population(2024)["population"].sum())
    # rates by ward agree with the profile and sit on the LSOAs dissolved by ward
    for group in GROUPS:
        wards = res.ward_rates[group]
        assert wards["count"].sum() == res.lsoa_rates[group]["count"].sum()
        prof_counts = prof[prof["measure"] == group].set_index("ward")["count"]
        assert wards["count"].equals(prof_counts.reindex(wards.index).rename("count"))
        assert wards.geometry.geom_equals(res.wards.geometry.reindex(wards.index)).all()
    assert res.lsoa_rates[ASB]["count"].sum() == (in_period["category"] == ASB).sum()
    titles = chart_titles(res)
    assert "Nottingham 008E" in titles["emerging"]
    assert set(titles) == {f"{k}_{g}" for k in ("ward", "lsoa", "hotspot") for g in GROUPS} | {
        "emerging"
    }
    texts = [f.text for f in places_findings(res)]
    assert all(f.evidence == "05_places" for f in places_findings(res))
    [asb_wards] = [t for t in texts if t.startswith("ASB ") and "ward" in t and "2023/24" in t]
    assert asb_wards.endswith(" Compared like-for-like: Apr, May and Jul-Mar (11 of 12 months).")
    planted = [t for t in texts if "Nottingham 008E" in t]
    assert len(planted) == 1 and "Basford" in planted[0] and "new ASB hotspot" in planted[0]


def test_assessment_on_three_months_of_real_data_says_what_it_cannot_compute():
    from csplib.ingest.store import load_store
    from csplib.params import load_params

    params = load_params(REPO / "tests" / "fixtures" / "params" / "small.yaml")
    store = load_store(params)
    res = assess_places(params, store)
    assert res.emerging is None and res.comparison is None and res.emerging_table is None
    assert any("emerging hotspots" in n and "cannot be computed" in n for n in res.notes)
    assert any("not annualised" in n for n in res.notes)
    assert (res.profiles["months_compared"] == 0).all()
    assert set(res.profile_table["change"]) == {"not compared"}
    hot = res.hotspot_table
    assert len(hot) and (hot["q_value"] <= 0.05).all() and (hot["z"] > 0).all()
    crime = store.incidents["category"].isin(CRIME_CATEGORIES).sum()
    assert res.lsoa_rates[ALL_CRIME]["count"].sum() == crime
    texts = [f.text for f in places_findings(res)]
    assert any("cannot be computed" in t for t in texts)
    assert "emerging" not in chart_titles(res)


def test_findings_do_not_state_small_counts(geo):
    inc = pd.DataFrame(
        {
            "month": pd.Timestamp("2024-01-01"),
            "category": [ASB] * 3 + ["Burglary"] * 3,
            "lsoa": pd.array(["E01013810"] * 6, "str"),
        }
    )
    store = SimpleNamespace(
        incidents=inc,
        partner=None,
        geography=geo,
        quality=SimpleNamespace(implausible=pd.DataFrame(columns=["category", "month"])),
    )
    params = SimpleNamespace(
        assessment=SimpleNamespace(period=Period.parse("Jan 24")),
        area=SimpleNamespace(name="Nottingham"),
        themes={},
    )
    res = assess_places(params, store)
    texts = [f.text for f in places_findings(res)]
    top = [t for t in texts if t.startswith("Hyson Green & Arboretum had the highest")]
    assert len(top) == 2
    assert not any("(3 " in t for t in top)
    assert res.emerging is None


def test_a_comparison_left_empty_by_a_flagged_month_is_a_note_not_an_error(geo):
    codes = geo.lsoa_table.index.to_numpy()[:20]
    months = pd.to_datetime(["2024-03-01", "2024-04-01", "2024-05-01"])
    inc = pd.DataFrame(
        [(m, c, code) for m in months for c in (ASB, "Burglary") for code in codes],
        columns=["month", "category", "lsoa"],
    )
    flags = pd.DataFrame({"category": [ASB], "month": [months[0]]})
    store = SimpleNamespace(
        incidents=inc,
        partner=None,
        geography=geo,
        quality=SimpleNamespace(implausible=flags),
    )
    params = SimpleNamespace(
        assessment=SimpleNamespace(period=Period.window("2024-04", "2024-05")),
        area=SimpleNamespace(name="Nottingham"),
        themes={},
    )
    res = assess_places(params, store)  # the only earlier month is flagged for ASB
    assert res.emerging is None and res.comparison is None
    assert any(n.startswith("Emerging hotspots cannot be computed") for n in res.notes)
    assert any("no usable month" in f.text for f in places_findings(res))


# ----------------------------------------------------------------------------- the result
def test_chapter_result_declares_its_tables_and_states_the_assessment(simulated):
    _, res = simulated
    result = chapter_result(res)
    assert result.chapter == "05_places" and result.assessment is res
    assert list(result.tables) == [
        "ward_profiles",
        "ward_summary",
        "hotspots",
        "emerging_hotspots_asb",
    ]
    profiles = result.table("ward_profiles")
    assert profiles.frame.equals(res.profile_table)
    assert profiles.counts == ("count", "count_compared", "previous_compared")
    assert profiles.derived["q_value"] == ("count_compared", "previous_compared")
    assert profiles.derived["rate_per_1000"] == ("count",)
    hot = result.table("hotspots")
    assert hot.counts == ("count",) and hot.derived == {"rate_per_1000": ("count",)}
    # one row a ward, stating what the full profile and the hot spot table state
    summary = result.table("ward_summary")
    assert summary.counts == ("crime_count", "asb_count")
    wards = summary.frame.set_index("ward_name")
    assert len(wards) == res.profile_table["ward"].nunique() == 20
    full = res.profile_table.set_index(["measure", "ward_name"])
    for measure, prefix in ((ALL_CRIME, "crime"), (ASB, "asb")):
        part = full.xs(measure)
        assert (wards[f"{prefix}_rate"] == part["rate_per_1000"].reindex(wards.index)).all()
        assert (wards[f"{prefix}_rank"] == part["rank"].reindex(wards.index)).all()
        said = wards[f"{prefix}_change"].str.split(" ", n=1).str[1]
        assert (said == part["change"].reindex(wards.index)).all()
    assert wards["crime_rank"].is_monotonic_increasing
    spots = hot.frame[hot.frame["group"] == ASB].groupby("ward_name")["lsoa"].nunique()
    for ward, n in spots.items():
        assert f"{n} (ASB)" in wards.loc[ward, "hot_spot_lsoas"]
    rising = result.table("emerging_hotspots_asb")
    assert rising.counts == ("count", "baseline_count")
    assert rising.derived["expected"] == ("baseline_count",)
    assert all(t.totals is None and t.caption for t in result.tables.values())
    assert [f.text for f in result.findings] == [f.text for f in places_findings(res)]
    assert result.figures == chart_titles(res)
    head = result.headline
    new = res.emerging_table.loc[res.emerging_table["new_hotspot"], "name"].tolist()
    assert head["new_asb_hotspots"] == new and new[0] == "Nottingham 008E"
    assert head["comparison"] == res.comparison.label and head["wards"] == 20
    assert head["hot_spot_lsoas"][ASB] == len(res.hotspots[ASB].hot)
    assert head["highest_ward_rate"][ALL_CRIME]["rate_per_1000"] == pytest.approx(
        res.ward_rates[ALL_CRIME]["rate_per_1000"].max()
    )
    assert result.notes["data"] == res.notes
    assert result.notes["hotspots_table"] == [] and result.notes["emerging_table"] == []
    assert result.notes["emerging"][0].startswith(f"2024/25 compared with {res.comparison.label}")
    assert result.source == (
        f"police.uk; ONS mid-{res.population_year} population estimates; ONS boundaries"
    )
    saved = ChapterResult.from_json(result.to_json())
    assert saved.headline["new_asb_hotspots"] == new
    assert [t for t in saved.tables] == list(result.tables)


def test_assess_runs_the_chapter_on_a_context():
    from csplib.ingest.store import load_store
    from csplib.params import load_params

    params = load_params(REPO / "tests" / "fixtures" / "params" / "small.yaml")
    ctx = SimpleNamespace(params=params, store=load_store(params))
    result = assess(ctx)
    # three months: hot spots, but no earlier months for emerging hotspots
    assert list(result.tables) == ["ward_profiles", "ward_summary", "hotspots"]
    assert result.headline["comparison"] is None and result.headline["new_asb_hotspots"] is None
    assert result.notes["emerging"][0].startswith("Emerging hotspots cannot be computed")
    assert result.notes["emerging_table"] == []
    assert "emerging" not in result.figures
    assert any("cannot be computed" in f.text for f in result.findings)
    assert all(f.evidence == "05_places" for f in result.findings)


def test_a_welsh_partnership_is_assessed_without_deprivation_and_says_so():
    cardiff = Geography(REF, csp_code="W14000015")
    incidents = simulate(cardiff, seed=3)
    incidents = incidents[incidents["month"] >= "2023-04-01"]
    store = SimpleNamespace(
        incidents=incidents,
        partner=None,
        geography=cardiff,
        quality=SimpleNamespace(implausible=None),
    )
    params = SimpleNamespace(
        assessment=SimpleNamespace(period=Period.parse("2024/25")),
        area=SimpleNamespace(name="Cardiff"),
        themes={},
    )
    res = assess_places(params, store)
    (note,) = [n for n in res.notes if "England only" in n]
    assert "all 218 LSOAs of Cardiff are in Wales" in note and "blank for a ward" in note
    lookup = pd.read_csv(REF / "lookups" / "lookup_lsoa21_ward24_ltla24.csv.gz", dtype=str)
    n_wards = lookup.loc[lookup["ltla24_code"] == "W06000015", "ward24_code"].nunique()
    assert len(res.wards) == n_wards == res.profiles["ward"].nunique()
    assert res.profiles["deprived_lsoa_share"].isna().all()
    lsoa_rates = res.lsoa_rates[ALL_CRIME]
    assert lsoa_rates["imd_decile"].isna().all() and lsoa_rates.attrs["deprivation_note"]
    wards = res.ward_rates[ALL_CRIME]
    assert wards.attrs["level"] == "ward" and wards["deprived_lsoa_share"].isna().all()
    assert (
        wards["count"].sum()
        == incidents[
            (incidents["month"] >= "2024-04-01") & incidents["category"].isin(CRIME_CATEGORIES)
        ].shape[0]
    )
    result = chapter_result(res)
    assert any("England only" in n for n in result.notes["data"])
    assert "ward_profiles" in result.tables and result.findings
