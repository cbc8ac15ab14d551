"""The risk chapter, end to end on the default (synthetic) assessment.

Repeat victimisation is checked against the partnership's published figures the synthetic
data are calibrated to (``truth.json``); concentration and the deprivation gradient against
counts made here with plain pandas from the store.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csplib.chapters.result import load_result
from csplib.core.schema import ALL_CRIME, ASB
from csplib.ingest.store import load_store
from csplib.params import load_params

REPO = Path(__file__).resolve().parents[2]
DEFAULT = REPO / "parameters" / "default.yaml"
PUBLISHED_YEARS = ("2018/19", "2019/20", "2020/21", "2021/22")


def _annex(run, name, **kwargs):
    return pd.read_csv(run / "tables" / f"04_risk__{name}.csv", **kwargs)


@pytest.fixture(scope="module")
def store():
    return load_store(load_params(DEFAULT))


@pytest.fixture(scope="module")
def period_rows(store):
    inc = store.incidents
    return inc[(inc["month"] >= "2024-04-01") & (inc["month"] < "2025-04-01")]


def test_hate_crime_repeat_victims_match_the_published_figures(synthetic_run, truth):
    measures = _annex(synthetic_run, "repeat_measures", index_col="financial_year")
    targets = truth["calibration"]["hate_repeat_victim_pct"]
    got = measures["% of hate crime victims that are repeats"]
    for fy in PUBLISHED_YEARS:
        assert targets[fy]["source"] == "published target"
        assert got[fy] == pytest.approx(targets[fy]["value"], abs=1.0), fy
    assert [round(got[fy], 1) for fy in PUBLISHED_YEARS] == [16.3, 13.5, 17.0, 14.1]


def test_repeat_counts_match_the_truth_file(synthetic_run, truth):
    detail = _annex(synthetic_run, "repeat_victims_by_year", index_col=["group", "financial_year"])
    for fy, rec in truth["partner"].items():
        hate = detail.loc[("Hate crime", fy)]
        assert hate["incidents"] == rec["hate_crimes"]
        assert hate["victims"] == rec["hate_victims"]
        assert hate["repeat_victims"] == rec["hate_repeat_victims"]
        # domestic abuse: crimes published without a location are outside the area, so the
        # shares differ slightly from the generator's (about 30% repeats)
        dom = detail.loc[("Domestic abuse", fy)]
        assert dom["repeat_victim_share"] == pytest.approx(
            rec["domestic_repeat_victim_pct"], abs=1.0
        )
    # a repeat victim suffers at least two incidents, so their share of incidents is larger
    assert (detail["repeat_incident_share"] > detail["repeat_victim_share"]).all()


def test_deprivation_gradient_is_above_one(synthetic_run, store, period_rows):
    summary = _annex(synthetic_run, "deprivation_gradient", index_col="group")
    rates = _annex(synthetic_run, "rates_by_deprivation_decile", index_col=["group", "imd_decile"])
    for group in (ALL_CRIME, ASB):
        row = summary.loc[group]
        assert row["rate_ratio"] > 1 and row["ci_low"] > 1, group
        by_decile = rates.xs(group)["rate"]
        assert by_decile.loc[[1, 2]].mean() > by_decile.loc[[9, 10]].mean()
    # independent: crime per 1,000 residents in decile 1 and decile 10, plain pandas
    geo = store.geography
    pop = geo.population(2024)["population"]
    dec = geo.deprivation()["imd_decile"]
    crimes = period_rows[period_rows["category"] != ASB]["lsoa"].value_counts()
    frame = pd.DataFrame({"n": crimes.reindex(pop.index, fill_value=0), "pop": pop, "d": dec})
    sums = frame.groupby("d")[["n", "pop"]].sum()
    rate = 1000 * sums["n"] / sums["pop"]
    assert summary.loc[ALL_CRIME, "rate_ratio"] == pytest.approx(rate[1] / rate[10])
    assert rates.xs(ALL_CRIME)["incidents"].to_numpy() == pytest.approx(sums["n"].to_numpy())


def test_concentration_counts_every_lsoa(synthetic_run, store, period_rows, truth):
    conc = _annex(synthetic_run, "concentration", index_col="group")
    areas = store.geography.lsoa_table.index
    for group, rows in (
        (ALL_CRIME, period_rows[period_rows["category"] != ASB]),
        (ASB, period_rows[period_rows["category"] == ASB]),
    ):
        counts = rows["lsoa"].value_counts().reindex(areas, fill_value=0)
        x = np.sort(counts.to_numpy())[::-1]
        n = len(x)
        for p in (5, 10):
            k = int(np.ceil(p / 100 * n))
            assert conc.loc[group, f"top_{p}pct_share"] == pytest.approx(
                100 * x[:k].sum() / x.sum()
            )
        mad = np.abs(x[:, None] - x[None, :]).mean() / (2 * x.mean())
        assert conc.loc[group, "gini"] == pytest.approx(mad, abs=5e-4)  # annex rounds to 3 dp
    # the planted ASB hotspot (x4 from October 2023) is among the busiest 10% of LSOAs
    hotspot = truth["effects"]["asb_hotspot"]["lsoa11"]  # unchanged in the 2021 codes
    asb = period_rows[period_rows["category"] == ASB]["lsoa"].value_counts()
    top10 = asb.reindex(areas, fill_value=0).sort_values(ascending=False)
    assert hotspot in top10.index[: int(conc.loc[ASB, "top_10pct_areas"])]


def test_public_concern_reports_the_latest_survey_wave(synthetic_run, store):
    concern = _annex(synthetic_run, "public_concern", index_col="indicator")
    ind = store.indicators
    asb = ind[ind["indicator"] == "survey_experience_asb"].sort_values("period_end")
    asb = asb[asb["period_end"] <= "2025-03-31"]
    row = concern.loc["survey_experience_asb"]
    assert row["latest"] == pytest.approx(100 * asb["value"].iloc[-1])
    assert row["previous"] == pytest.approx(100 * asb["value"].iloc[-2])
    assert row["polarity"] == "lower_is_better"
    assert concern.loc["survey_feel_safe_after_dark", "polarity"] == "higher_is_better"


def test_the_chapter_result_is_saved_with_its_findings(synthetic_run):
    result = load_result(synthetic_run, "04_risk")
    detail = _annex(synthetic_run, "repeat_victims_by_year", index_col=["group", "financial_year"])
    conc = _annex(synthetic_run, "concentration", index_col="group")
    # the assessed period is the financial year 2024/25: its shares are that year's
    for group in ("Hate crime", "Domestic abuse"):
        assert result.headline["repeat_victim_share"][group] == pytest.approx(
            detail.loc[(group, "2024/25"), "repeat_victim_share"]
        )
    assert result.headline["top_5pct_share"][ASB] == pytest.approx(conc.loc[ASB, "top_5pct_share"])
    assert result.findings and {f.evidence for f in result.findings} == {"04_risk"}
    assert set(result.figures) == {"repeats", "lorenz", "deprivation"}
    annex = sorted(p.name for p in (synthetic_run / "tables").glob("04_risk__*.csv"))
    assert sorted(f"04_risk__{name}.csv" for name in result.tables) == annex
