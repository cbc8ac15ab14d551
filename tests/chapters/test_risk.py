"""Risk chapter tables: repeats by year, concentration, deprivation gradient, public concern."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csplib.chapters.result import ChapterResult
from csplib.chapters.risk import (
    CONCENTRATION_COLUMNS,
    CRIME,
    RiskAssessment,
    RiskResult,
    assess,
    assess_risk,
    chart_titles,
    risk_findings,
    risk_groups,
)
from csplib.core.errors import DataError
from csplib.core.periods import Period
from csplib.core.schema import ASB
from csplib.ingest.store import load_store
from csplib.methods.concentration import concentration_table
from csplib.methods.risk import (
    concern_table,
    deprivation_gradient,
    gradient_summary,
    gradient_table,
    survey_polarity,
)
from csplib.methods.risk_repeats import repeat_measure_table, repeats_by_year, repeats_in_period
from csplib.params import load_params
from csplib.present.charts.risk import deprivation_chart, repeat_victims_chart
from csplib.present.disclosure import protect

REPO = Path(__file__).resolve().parents[2]
SMALL = REPO / "tests" / "fixtures" / "params" / "small.yaml"


def _partner(records):
    """Rows (victim, date, hate, domestic) as a partner extract."""
    frame = pd.DataFrame(records, columns=["victim_id", "date", "hate", "domestic"])
    frame["date"] = pd.to_datetime(frame["date"])
    frame["month"] = frame["date"].dt.to_period("M").dt.to_timestamp()
    return frame


# ----------------------------------------------------------------------------- repeats
def test_repeats_are_counted_within_each_financial_year():
    rows = _partner(
        [
            ("A", "2019-04-02", True, False),
            ("A", "2020-03-30", True, False),  # same FY: repeat in 2019/20
            ("B", "2020-03-15", True, False),
            ("B", "2020-04-10", True, False),  # 26 days apart, but across 1 April: no repeat
            ("C", "2019-06-01", True, False),
            ("D", "2019-06-01", False, True),
            ("D", "2019-07-01", False, True),
            ("D", "2019-08-01", False, True),
            (None, "2019-08-01", False, True),
        ]
    )
    r = repeats_by_year(rows)
    hate = r.xs("Hate crime")
    assert hate["victims"].tolist() == [3.0, 1.0]
    assert hate["repeat_victims"].tolist() == [1.0, 0.0]
    assert hate.loc["2019/20", "repeat_victim_share"] == pytest.approx(100 / 3)
    assert hate.loc["2019/20", "repeat_incident_share"] == pytest.approx(50.0)  # A's 2 of 4
    dom = r.xs("Domestic abuse").loc["2019/20"]
    assert (dom["victims"], dom["repeat_victims"], dom["blank_victim_excluded"]) == (1, 1, 1)
    # months: the partner extract has 2019/20 months Apr, Jun, Jul, Aug, Mar; 2020/21: Apr
    assert r["months"].xs("Hate crime").tolist() == [5, 1]
    assert not r["complete"].any()


def test_repeats_match_a_simulated_known_share():
    rng = np.random.default_rng(3)
    records = []
    for fy_start, share in ((2019, 0.16), (2020, 0.13)):
        n_victims = 500
        repeaters = set(rng.choice(n_victims, size=int(share * n_victims), replace=False))
        for v in range(n_victims):
            k = rng.integers(2, 5) if v in repeaters else 1
            days = rng.integers(0, 365, size=k)
            for d in days:
                date = pd.Timestamp(fy_start, 4, 1) + pd.Timedelta(days=int(d))
                records.append((f"V{fy_start}{v}", date, True, False))
    r = repeats_by_year(_partner(records), {"Hate crime": "hate"})
    assert r["repeat_victim_share"].tolist() == pytest.approx([16.0, 13.0])


def test_repeats_need_flagged_rows():
    rows = _partner([("A", "2019-04-02", False, False)])
    with pytest.raises(DataError, match="no rows flagged hate"):
        repeats_by_year(rows, {"Hate crime": "hate"})
    with pytest.raises(DataError, match="no 'weapon' flag"):
        repeats_by_year(rows, {"Weapons": "weapon"})


def test_repeats_in_period_and_the_measure_table():
    rows = _partner(
        [
            ("A", "2019-05-01", True, False),
            ("A", "2019-06-01", True, True),
            ("B", "2020-05-01", True, False),
        ]
    )
    p = repeats_in_period(rows, "2019/20")
    assert p.loc["Hate crime", "repeat_victims"] == 1 and p.loc["Domestic abuse", "victims"] == 1
    wide = repeat_measure_table(repeats_by_year(rows))
    assert wide.loc["2019/20", "% of hate crime victims that are repeats"] == 100.0
    assert wide.loc["2020/21", "% of hate crime victims that are repeats"] == 0.0
    assert np.isnan(wide.loc["2020/21", "% of domestic abuse victims that are repeats"])


# ----------------------------------------------------------------------------- places
def test_groups_concentration_and_gradient_tables():
    inc = pd.DataFrame(
        {
            "month": pd.to_datetime(["2019-05-01"] * 12 + ["2018-05-01"]),
            "category": ["Burglary"] * 9 + [ASB] * 3 + ["Burglary"],
            "lsoa": ["A"] * 8 + ["B"] + ["A", "C", "C"] + ["D"],
        }
    )
    groups = risk_groups(inc, "2019/20")
    assert {k: len(v) for k, v in groups.items()} == {CRIME: 9, ASB: 3}
    conc = concentration_table(groups, ["A", "B", "C", "D"])
    assert conc.loc[CRIME, "top_5pct_share"] == pytest.approx(100 * 8 / 9)
    assert conc.loc[ASB, "zero_areas"] == 2
    pop = pd.Series({"A": 1000, "B": 1000, "C": 2000, "D": 2000})
    dec = pd.Series({"A": 1, "B": 1, "C": 10, "D": 10})
    grads = {g: deprivation_gradient(rows, pop, dec) for g, rows in groups.items()}
    table = gradient_table(grads)
    assert table.loc[(CRIME, 1), "rate"] == pytest.approx(4.5)  # 9 per 2,000 residents
    assert table.loc[(ASB, 10), "rate"] == pytest.approx(0.5)
    summary = gradient_summary(grads)
    assert summary.loc[ASB, "rate_ratio"] == pytest.approx(1.0)


# ----------------------------------------------------------------------------- concern
def _survey(area="E06000018"):
    return pd.DataFrame(
        {
            "indicator": ["survey_experience_asb"] * 3 + ["survey_feel_safe_after_dark"] * 2,
            "area": [area] * 5,
            "period_start": pd.to_datetime(
                ["2018-01-01", "2019-01-01", "2020-01-01", "2018-01-01", "2019-01-01"]
            ),
            "period_end": pd.to_datetime(
                ["2018-12-31", "2019-12-31", "2020-12-31", "2018-12-31", "2019-12-31"]
            ),
            "numerator": [170, 184, 300, 1160, 1240],
            "denominator": [2000, 2000, 2000, 2000, 2000],
            "value": [0.085, 0.092, 0.15, 0.58, 0.62],
            "kind": ["survey"] * 5,
            "notes": ["experienced ASB"] * 3 + ["feel safe after dark"] * 2,
        }
    )


def test_survey_polarity_from_the_registry_then_the_name():
    pol = survey_polarity(["survey_experience_asb", "survey_feel_safe_daytime", "worry_crime"])
    assert pol == {
        "survey_experience_asb": "lower_is_better",  # the registry's measure says so
        "survey_feel_safe_daytime": "higher_is_better",
        "worry_crime": "lower_is_better",
    }


def test_concern_table_latest_wave_up_to_the_period_end():
    t = concern_table(_survey(), ["E22000257", "E06000018"], until="2020-03-31")
    row = t.loc["survey_experience_asb"]
    assert row["latest"] == pytest.approx(9.2) and row["previous"] == pytest.approx(8.5)
    assert row["description"] == "experienced ASB" and row["polarity"] == "lower_is_better"
    safe = t.loc["survey_feel_safe_after_dark"]
    assert safe["pp_change"] == pytest.approx(4.0) and safe["significant"]
    assert safe["outcome"] == "good"  # a rise in feeling safe is good
    later = concern_table(_survey(), ["E06000018"])
    assert later.loc["survey_experience_asb", "latest"] == pytest.approx(15.0)


def test_concern_table_area_rules():
    two = pd.concat([_survey(), _survey("E06000019")])
    with pytest.raises(DataError, match="none of which is the partnership"):
        concern_table(two, ["E06000001"])
    assert concern_table(_survey("somewhere"), ["E06000018"]).shape[0] == 2  # one area: used
    no_survey = _survey().assign(kind="count")
    assert concern_table(no_survey, ["E06000018"]).empty


# ----------------------------------------------------------------------------- findings
def _result():
    idx = pd.MultiIndex.from_product([["Hate crime"], ["2018/19", "2020/21"]])
    repeats = pd.DataFrame({"repeat_victim_share": [16.3, 17.0]}, index=idx)
    period = pd.DataFrame(
        {
            "victims": [100.0],
            "repeat_victims": [17.0],
            "repeat_victim_share": [17.0],
            "repeat_incident_share": [35.5],
        },
        index=["Hate crime"],
    )
    conc = pd.DataFrame(
        {"areas": [100.0], "top_5pct_areas": [5.0], "top_5pct_share": [31.0], "gini": [0.42]},
        index=[CRIME],
    )
    g = deprivation_gradient(
        pd.Series({"a": 30, "b": 9}),
        pd.Series({"a": 2000, "b": 3000}),
        pd.Series({"a": 1, "b": 10}),
    )
    concern = pd.DataFrame(
        {
            "description": ["experienced ASB"],
            "latest": [9.2],
            "latest_period": ["2019"],
            "previous_period": ["2018"],
            "previous": [8.5],
            "pp_change": [0.7],
            "significant": [False],
        },
        index=["survey_experience_asb"],
    )
    return RiskAssessment(
        "Town",
        Period.parse("2020/21"),
        Period.parse("2018/19"),
        repeats,
        period,
        conc,
        {},
        {CRIME: g},
        concern,
    )


def test_risk_findings_and_titles():
    texts = [f.text for f in risk_findings(_result())]
    assert texts[0] == (
        "In 2020/21, 17.0% of hate crime victims (17 of 100) were repeat victims (two or more "
        "incidents in the period), and they suffered 35.5% of hate crime incidents; 16.3% of "
        "victims were repeats in the baseline 2018/19."
    )
    assert "recorded 31.0% of it in 2020/21 (Gini coefficient 0.42)" in texts[1]
    assert "was 5.0 times that in the least deprived decile present (decile 10)" in texts[2]
    assert texts[3] == (
        "Survey: experienced ASB: 9.2% in 2019 (8.5% in 2018: no statistically significant change)."
    )
    titles = chart_titles(_result())
    assert titles["repeats"] == "Repeat victims in 2020/21: 17% of hate crime victims"
    assert titles["deprivation"].startswith("The most deprived neighbourhoods had 5.0 times")


# ----------------------------------------------------------------------------- charts
def test_risk_charts():
    r = _result()
    ax = deprivation_chart(r.gradients)
    assert [round(float(p.get_height()), 1) for p in ax.patches] == [15.0, 3.0]
    ax = repeat_victims_chart(r.repeats)
    assert ax.lines[0].get_ydata().tolist() == [16.3, 17.0]
    with pytest.raises(ValueError, match="group, year"):
        repeat_victims_chart(r.repeats.reset_index(level=0))


# ----------------------------------------------------------------------------- end to end
def test_assess_risk_on_three_months_of_real_police_uk_data():
    params = load_params(SMALL)
    store = load_store(params)
    r = assess_risk(params, store)
    assert r.repeats is None and "no partner extract" in r.notes["repeats"][0]
    assert r.concern is None and r.notes["concern"]
    assert "not annualised" in r.notes["data"][0]
    counts = store.incidents.loc[store.incidents["category"] == ASB, "lsoa"].value_counts()
    full = counts.reindex(store.geography.lsoa_table.index, fill_value=0).sort_values()[::-1]
    k = int(np.ceil(0.05 * len(full)))
    assert r.concentration.loc[ASB, "top_5pct_share"] == pytest.approx(
        100 * full.iloc[:k].sum() / full.sum()
    )
    assert r.gradients[CRIME].ratio > 1


class _Ctx:
    """What a chapter reads of its context: parameters and a store."""

    def __init__(self, params, store):
        self.params, self.store = params, store


class _Store:
    """The SMALL store with a partner extract of hate crime and domestic abuse added."""

    def __init__(self, store, partner):
        self.incidents, self.geography, self.indicators = (
            store.incidents,
            store.geography,
            store.indicators,
        )
        self.partner = partner


@pytest.fixture(scope="module")
def small_results():
    params = load_params(SMALL)
    store = load_store(params)
    rng = np.random.default_rng(3)
    n = 400
    partner = pd.DataFrame(
        {
            "victim_id": rng.integers(0, 250, n).astype(str),
            "date": pd.Timestamp("2023-04-01") + pd.to_timedelta(rng.integers(0, 365, n), "D"),
            "hate": rng.random(n) < 0.4,
        }
    )
    partner["domestic"] = ~partner["hate"]
    partner["month"] = partner["date"].dt.to_period("M").dt.to_timestamp()
    plain = assess(_Ctx(params, store))
    with_partner = assess(_Ctx(params, _Store(store, partner)))
    return params, plain, with_partner, partner


def test_assess_without_partner_or_survey_shows_places_only(small_results):
    params, result, _, _ = small_results
    assert isinstance(result, ChapterResult) and result.chapter == "04_risk"
    assert list(result.tables) == [
        "concentration",
        "concentration_by_category",
        "deprivation_gradient",
        "rates_by_deprivation_decile",
    ]
    assert result.notes["repeats"] and result.notes["concern"]
    conc = result.table("concentration")
    assert conc.counts == ("incidents",)
    assert list(conc.frame.columns) == list(CONCENTRATION_COLUMNS)
    # every measure, its chance range and the reading follow the count of incidents
    plain = {"areas", "incidents", "zero_areas", "top_5pct_areas", "top_10pct_areas"}
    assert conc.derived == {c: ("incidents",) for c in CONCENTRATION_COLUMNS if c not in plain}
    # each crime type, then the all-crime row as their declared total
    cats = result.table("concentration_by_category")
    assert cats.totals == (CRIME,) and cats.frame.index[-1] == CRIME
    assert cats.frame["incidents"].iloc[:-1].sum() == cats.frame.loc[CRIME, "incidents"]
    assert cats.frame.loc[CRIME].equals(conc.frame.loc[CRIME])
    assert cats.frame["incidents"].iloc[:-1].is_monotonic_decreasing
    assert result.table("deprivation_gradient").counts == ()
    rates = result.table("rates_by_deprivation_decile")
    assert rates.counts == ("incidents",) and set(rates.derived) == {"rate", "ci_low", "ci_high"}
    assert result.headline["top_5pct_share"][ASB] == pytest.approx(
        float(conc.frame.loc[ASB, "top_5pct_share"])
    )
    assert set(result.lorenz) == set(result.gradients) == {CRIME, ASB}
    assert result.figures["lorenz"].startswith("The busiest 5% of neighbourhoods had")
    saved = ChapterResult.from_json(result.to_json())  # the charts' data are not saved
    assert saved.headline["lsoas"] == result.headline["lsoas"] and not hasattr(saved, "lorenz")
    for table in result.tables.values():
        shown, _ = protect(table, threshold=params.thresholds.suppress_below)
        assert list(shown.columns) == list(table.frame.columns)


def test_assess_with_a_partner_extract_shows_repeats(small_results):
    params, _, result, partner = small_results
    assert isinstance(result, RiskResult)
    assert list(result.tables)[:2] == ["repeat_measures", "repeat_victims_by_year"]
    assert result.table("repeat_measures").counts == ()
    detail = result.table("repeat_victims_by_year")
    assert detail.counts == (
        "incidents",
        "victims",
        "repeat_victims",
        "incidents_by_repeat_victims",
        "blank_victim_excluded",
    )
    assert detail.derived == {
        "repeat_victim_share": ("repeat_victims", "victims"),
        "repeat_incident_share": ("incidents_by_repeat_victims", "incidents"),
    }
    # the headline is the assessed period's share, counted here with plain pandas
    hate = partner[partner["hate"] & (partner["month"] >= "2024-01-01")]
    hate = hate[hate["month"] < "2024-04-01"]
    per_victim = hate["victim_id"].value_counts()
    expected = 100 * (per_victim >= 2).sum() / len(per_victim)
    assert result.headline["repeat_victim_share"]["Hate crime"] == pytest.approx(expected)
    assert result.figures["repeats"].startswith("Repeat victims in 2023/24: ")
    for table in result.tables.values():
        shown, _ = protect(table, threshold=params.thresholds.suppress_below)
        assert list(shown.columns) == list(table.frame.columns)


def _area_context(la_codes, name, seed=11):
    """A context of a year of Poisson counts on the real LSOAs of some authorities."""
    from types import SimpleNamespace

    from csplib.ingest.geography import Geography

    geo = Geography(REPO / "data" / "reference", la_codes=la_codes)
    codes = geo.lsoa_table.index.to_numpy()
    rng = np.random.default_rng(seed)
    frames = []
    for month in pd.date_range("2019-04-01", "2020-03-01", freq="MS"):
        for category, mean in (("Burglary", 3.0), (ASB, 4.0)):
            n = rng.poisson(mean, len(codes))
            frames.append(
                pd.DataFrame({"month": month, "category": category, "lsoa": np.repeat(codes, n)})
            )
    store = SimpleNamespace(
        incidents=pd.concat(frames, ignore_index=True),
        partner=None,
        indicators=None,
        geography=geo,
    )
    params = SimpleNamespace(
        assessment=SimpleNamespace(period="2019/20", baseline=None),
        area=SimpleNamespace(name=name, csp_code=None, la_codes=la_codes),
        thresholds=SimpleNamespace(suppress_below=5),
    )
    return _Ctx(params, store)


def test_a_welsh_partnership_has_no_deprivation_gradient_and_says_why():
    result = assess(_area_context(["W06000015"], "Cardiff"))
    assert list(result.tables) == ["concentration", "concentration_by_category"]
    assert result.gradients == {} and result.headline["deprivation_rate_ratio"] == {}
    assert result.headline["deprivation_edition"] is None
    (note,) = result.notes["places"]
    assert "cover England only: all 218 LSOAs of Cardiff are in Wales" in note
    assert note.endswith("The deprivation gradient is therefore not computed.")
    assert "deprivation" not in result.figures
    assert not any("deprived" in f.text for f in result.findings)
    assert set(result.lorenz) == {CRIME, ASB}  # the rest of the chapter goes on


def test_an_area_across_the_border_grades_its_english_lsoas_only():
    from csplib.ingest.geography import Geography

    ctx = _area_context(["E06000018", "W06000015"], "Both")
    both = assess_risk(ctx.params, ctx.store)
    # independently: Nottingham's own deciles and residents, plain pandas
    nottingham = Geography(REPO / "data" / "reference", la_codes=["E06000018"])
    rows = ctx.store.incidents
    crimes = rows.loc[rows["category"] != ASB, "lsoa"].value_counts()
    frame = pd.DataFrame(
        {
            "pop": nottingham.population(2019)["population"],
            "decile": nottingham.deprivation()["imd_decile"].astype(int),
        }
    )
    frame["n"] = crimes.reindex(frame.index, fill_value=0)
    sums = frame.groupby("decile")[["n", "pop"]].sum()
    rate = sums["n"] / sums["pop"]
    gradient = both.gradients[CRIME]
    assert gradient.ratio == pytest.approx(rate.iloc[0] / rate.iloc[-1])
    assert gradient.table["lsoas"].sum() == len(frame) == 179
    welsh_rows = int(crimes[crimes.index.str.startswith("W")].sum())
    assert gradient.config["excluded"] == welsh_rows > 0
    assert "covers the area's LSOAs in England only" in both.notes["places"][0]
    assert "218 of the 397 LSOAs of Nottingham, Cardiff are in Wales" in both.notes["places"][0]
    assert both.config["deprivation_edition"] == "IoD2025"


# ----------------------------------------------------------------------------- against chance
def test_incidents_spread_at_random_read_as_no_more_concentrated_than_chance():
    """The Cardiff context's counts are Poisson with the same mean in every LSOA: random
    allocation, so each group reads as chance (a one-sided 2.5% test each)."""
    result = assess(_area_context(["W06000015"], "Cardiff"))
    conc = result.table("concentration").frame
    assert conc["pattern"].tolist() == ["no more concentrated than chance"] * 2
    for group, row in conc.iterrows():
        assert row["top_5pct_share_chance_low"] <= row["top_5pct_share"], group
        assert row["top_5pct_share"] <= row["top_5pct_share_chance_high"], group
    assert result.headline["concentration_pattern"] == {
        CRIME: "no more concentrated than chance",
        ASB: "no more concentrated than chance",
    }
    text = " ".join(f.text for f in result.findings)
    assert "so crime was no more concentrated than chance" in text
    assert "no more concentrated than chance: burglary" in text
    assert "(chance alone " in result.figures["lorenz"]
    assert set(result.chance_lorenz) == {CRIME, ASB}


def test_a_planted_crime_type_is_found_and_a_sparse_random_one_is_not():
    """Robbery: 160 crimes over 218 LSOAs, at random. Shoplifting: 30% of it in 3% of LSOAs.
    Weapons: three crimes, too few to assess. Reported per crime type against chance."""
    from types import SimpleNamespace

    ctx = _area_context(["W06000015"], "Cardiff")
    codes = ctx.store.geography.lsoa_table.index.to_numpy()
    n = len(codes)
    rng = np.random.default_rng(4)
    hot = rng.choice(codes, size=7, replace=False)  # 3% of 218 LSOAs
    shop = np.concatenate([rng.choice(hot, size=int(0.3 * 2 * n)), rng.choice(codes, size=305)])
    lsoa = np.concatenate([rng.choice(codes, size=160), shop, codes[:3]])
    rows = pd.DataFrame(
        {
            "month": pd.Timestamp("2019-07-01"),
            "lsoa": lsoa,
            "category": ["Robbery"] * 160
            + ["Shoplifting"] * len(shop)
            + ["Possession of weapons"] * 3,
        }
    )
    store = SimpleNamespace(**{**vars(ctx.store), "incidents": rows})
    result = assess(_Ctx(ctx.params, store))
    cats = result.table("concentration_by_category").frame
    assert cats.index.tolist() == ["Shoplifting", "Robbery", "Possession of weapons", CRIME]
    assert cats.loc["Shoplifting", "pattern"] == "more concentrated than chance"
    assert (
        cats.loc["Shoplifting", "top_5pct_share"]
        > 30
        > cats.loc["Shoplifting", "top_5pct_share_chance_high"]
    )
    assert cats.loc["Robbery", "pattern"] == "no more concentrated than chance"
    assert cats.loc["Robbery", "top_5pct_share"] > 14  # looks concentrated, by chance alone
    assert cats.loc["Robbery", "gini"] > 0.5  # and by the Gini
    # fewer crimes than places: the generalized Gini measures against one crime per place
    assert cats.loc["Robbery", "generalized_gini"] < cats.loc["Robbery", "gini"]
    (sentence,) = [f.text for f in result.findings if f.text.startswith("Each crime type")]
    assert ": more concentrated than chance: shoplifting;" in sentence
    assert "no more concentrated than chance: robbery (" in sentence
    assert sentence.endswith("(1 crime type with fewer than 5 crimes not assessed).")
    assert "possession of weapons" not in sentence
    assert result.headline["category_pattern"]["Robbery"] == "no more concentrated than chance"
    # the three weapons crimes are suppressed, and the total row does not give them away
    shown, _ = protect(result.table("concentration_by_category"), threshold=5)
    assert shown.loc["Possession of weapons", "incidents"] == "[c]"
    assert shown.loc["Possession of weapons", "pattern"] == "[c]"
    assert (shown["incidents"] == "[c]").sum() >= 2
