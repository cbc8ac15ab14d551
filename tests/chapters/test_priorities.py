"""Prioritisation glue: threat inputs from the models, judgements, fallbacks, findings."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from csplib.chapters.priorities import (
    PrioritisationResult,
    assess,
    chapter_result,
    priorities_findings,
    prioritise,
    prioritise_store,
    rank_range_title,
    scheme_settings,
    scheme_table,
    theme_monthly_counts,
    theme_threat,
    volume_harm_title,
)
from csplib.core.errors import ParamsError
from csplib.core.schema import ASB
from csplib.methods.models import CountForecast, CountTrend
from csplib.methods.scoring import load_priority_config, score_themes, sensitivity_analysis
from csplib.params import load_params

SMALL = "tests/fixtures/params/small.yaml"
MONTHS = pd.date_range("2022-04-01", "2025-03-01", freq="MS")


def _incidents(means: dict, months=MONTHS, seed=0, lsoas=("A", "B", "C", "D")):
    """Poisson monthly counts per category; ``means`` maps category -> array or number."""
    rng = np.random.default_rng(seed)
    parts = []
    for cat, mu in means.items():
        n = rng.poisson(np.broadcast_to(np.asarray(mu, float), (len(months),)))
        rows = pd.DataFrame({"month": months.repeat(n), "category": cat})
        rows["lsoa"] = rng.choice(list(lsoas), size=len(rows))
        parts.append(rows)
    return pd.concat(parts, ignore_index=True)


def _partner(months=MONTHS, seed=1, per_month=30):
    """A partner extract: violence rows, some domestic, with victim IDs and dates."""
    rng = np.random.default_rng(seed)
    rows = pd.DataFrame({"month": months.repeat(per_month)})
    rows["date"] = rows["month"] + pd.to_timedelta(rng.integers(0, 28, len(rows)), unit="D")
    rows["category"] = "Violence and sexual offences"
    rows["lsoa"] = rng.choice(["A", "B", "C", "D"], size=len(rows))
    rows["domestic"] = rng.random(len(rows)) < 0.4
    rows["hate"] = False
    rows["weapon"] = False
    rows["victim_id"] = [f"V{i:03d}" for i in rng.integers(0, 300, len(rows))]
    rows["offence_code"] = "8N"
    return rows


THEMES = {
    "burglary": {"name": "Burglary", "categories": ["Burglary"]},
    "drugs": {"name": "Drugs", "categories": ["Drugs"]},
    "asb": {"name": "Anti-social behaviour", "categories": [ASB]},
}


# ----------------------------------------------------------------------------- monthly counts
def test_monthly_counts_missing_and_implausible_months_are_nan_not_zero():
    inc = _incidents({"Burglary": 20, "Drugs": 10, ASB: 50})
    present = MONTHS.drop(pd.Timestamp("2023-08-01"))
    inc = inc[inc["month"] != "2023-08-01"]
    implausible = pd.DataFrame({"category": [ASB], "month": pd.to_datetime(["2024-06-01"])})
    m = theme_monthly_counts(
        THEMES, inc, end="2025-03", months=36, months_present=present, implausible=implausible
    )
    assert list(m.columns) == ["Burglary", "Drugs", "Anti-social behaviour"]
    assert m.index.freqstr == "MS" and len(m) == 36
    assert m.loc["2023-08-01"].isna().all()  # missing for every theme
    assert np.isnan(m.loc["2024-06-01", "Anti-social behaviour"])  # implausible for ASB only
    assert (
        m.loc["2024-06-01", "Burglary"]
        == ((inc["month"] == "2024-06-01") & (inc["category"] == "Burglary")).sum()
    )
    assert m.attrs["excluded"]["Anti-social behaviour"] == [pd.Timestamp("2024-06-01")]
    # a month with data but no rows of the theme is zero
    inc2 = inc[~((inc["category"] == "Drugs") & (inc["month"] == "2024-01-01"))]
    m2 = theme_monthly_counts(THEMES, inc2, end="2025-03", months_present=present)
    assert m2.loc["2024-01-01", "Drugs"] == 0.0


def test_monthly_counts_flag_theme_reads_partner_months_and_ignores_police_uk_defects():
    inc = _incidents({ASB: 50, "Violence and sexual offences": 30})
    partner = _partner()
    theme = {
        "da": {"name": "Domestic abuse", "flags": {"domestic": True}},
        "mix": {"name": "ASB and domestic", "categories": [ASB], "flags": {"domestic": True}},
    }
    implausible = pd.DataFrame(
        {
            "category": [ASB, "Violence and sexual offences"],
            "month": pd.to_datetime(["2024-06-01", "2024-07-01"]),
        }
    )
    present = MONTHS.drop(pd.Timestamp("2023-08-01"))  # police.uk gap; partner has the month
    m = theme_monthly_counts(
        theme, inc, partner, end="2025-03", months_present=present, implausible=implausible
    )
    da = partner[partner["domestic"]].groupby("month").size()
    assert m["Domestic abuse"].tolist() == da.reindex(MONTHS).astype(float).tolist()
    # the mixed theme reads ASB from police.uk: its gap and its implausible ASB month are NaN,
    # but a police.uk violence defect does not touch the partner's crimes
    assert np.isnan(m.loc["2023-08-01", "ASB and domestic"])
    assert np.isnan(m.loc["2024-06-01", "ASB and domestic"])
    assert not np.isnan(m.loc["2024-07-01", "ASB and domestic"])


# ----------------------------------------------------------------------------- threat
def test_threat_recovers_a_known_trend_and_passes_the_models_through():
    rng = np.random.default_rng(11)
    y = pd.Series(rng.poisson(80 * 1.3 ** (np.arange(36) / 12)), index=MONTHS, dtype=float)
    flat = pd.Series(rng.poisson(80, 36), index=MONTHS, dtype=float)
    t = theme_threat(pd.DataFrame({"Rising": y, "Flat": flat}))
    r = t.loc["Rising"]
    assert r["lower_pct"] < 30 < r["upper_pct"] and r["p_value"] < 1e-6
    assert t.loc["Flat", "p_value"] > 0.05
    # the same numbers as the models themselves
    fit = CountTrend(y).fit()
    assert r["annual_change_pct"] == pytest.approx(100 * fit.annual_change)
    assert (r["lower_pct"], r["upper_pct"]) == pytest.approx(tuple(100 * c for c in fit.ci))
    fc = CountForecast(y, horizon=12).fit()
    assert r["forecast_total"] == pytest.approx(fc.total)
    assert r["last_12_months"] == y.iloc[-12:].sum()
    assert r["forecast_change"] == pytest.approx(100 * (fc.total / y.iloc[-12:].sum() - 1))
    # a rising series is forecast to keep rising by about its trend
    assert 20 < r["forecast_change"] < 40


def test_threat_fallbacks_short_series():
    idx = pd.date_range("2024-04-01", periods=12, freq="MS")
    frame = pd.DataFrame(
        {"Year": np.arange(40, 52, dtype=float), "Short": [5.0, 6.0, 7.0] + [np.nan] * 9}, index=idx
    )
    frame.loc[idx[:9], "Short"] = np.nan
    frame.loc[idx[9:], "Short"] = [5.0, 6.0, 7.0]
    t = theme_threat(frame)
    # 12 months: a trend without seasonality, but no forecast (it would be a constant rate)
    assert (
        np.isfinite(t.loc["Year", "annual_change_pct"]) and t.loc["Year", "annual_change_pct"] > 0
    )
    assert np.isnan(t.loc["Year", "forecast_change"])
    assert "constant rate" in t.loc["Year", "note"]
    # 3 months: nothing, and the note says why
    assert np.isnan(t.loc["Short", "annual_change_pct"]) and t.loc["Short", "months_used"] == 3
    assert "only 3 months" in t.loc["Short", "note"]


# ----------------------------------------------------------------------------- prioritise
def test_trend_window_stated_as_used_when_the_data_stop_before_the_period_ends():
    """Data to Feb 2025 for 2024/25 (to Mar 2025), with a gap: every statement of the trend
    window ends in Feb 2025 and says how many months had data."""
    months = pd.date_range("2022-04-01", "2025-02-01", freq="MS").drop(pd.Timestamp("2023-08-01"))
    inc = _incidents({"Burglary": 40 * 1.2 ** (np.arange(34) / 12), "Drugs": 60.0}, months)
    themes = {k: THEMES[k] for k in ("burglary", "drugs")}
    res = prioritise(themes, inc, period="2024/25", months_present=months, population=1e5)
    assert res.settings["trend_window"] == (
        "Apr 2022 to Feb 2025, 34 months with data (at most 36 are used)"
    )
    assert (res.settings["trend_first"], res.settings["trend_last"]) == ("Apr 2022", "Feb 2025")
    assert res.threat["months_used"].tolist() == [34.0, 34.0]
    assert res.threat["window"].tolist() == ["Apr 2022 to Feb 2025"] * 2
    basis = res.indicators.loc["Burglary", "threat_basis"]
    assert basis == "trend over 34 months with data, Apr 2022 to Feb 2025 (GLM)"
    result = chapter_result(res)
    settings = result.table("scheme_settings").frame["value"]
    assert settings[["trend_window", "trend_months_with_data", "trend_months"]].tolist() == [
        "Apr 2022 to Feb 2025",
        "34",
        "36",
    ]
    assert "Trend window: Apr 2022 to Feb 2025, 34 months with data" in result.notes["scored"][0]
    assert "model over Apr 2022 to Feb 2025, 34 months" in result.table("threat_models").caption
    rising = [f.text for f in result.findings if "rose by" in f.text]
    assert rising and rising[0].startswith("Burglary rose by")
    assert "over Apr 2022 to Feb 2025 (34 months with data)" in rising[0]
    stated = [f.text for f in result.findings] + sum(result.notes.values(), [])
    stated += [t.caption for t in result.tables.values()]
    assert not [t for t in stated if "Mar 2025" in t or "36 months" in t]


def test_year_on_year_fallback_when_the_trend_window_is_too_short():
    months = pd.DatetimeIndex(["2024-01-01", "2024-02-01", "2025-01-01", "2025-02-01"])
    inc = _incidents({"Burglary": [30, 30, 45, 45]}, months=months)
    res = prioritise(
        {"b": THEMES["burglary"]},
        inc,
        period="Jan 25 - Feb 25",
        months_present=months,
        population=1000,
    )
    row = res.indicators.loc["Burglary"]
    cur = (inc["month"] >= "2025-01-01").sum()
    prev = len(inc) - cur
    assert row["threat_basis"].startswith("year on year")
    assert row["pct_change"] == pytest.approx(100 * (cur - prev) / prev)
    assert row["p_value"] == pytest.approx(stats.binomtest(cur, cur + prev, 0.5).pvalue)
    assert np.isnan(res.threat.loc["Burglary", "annual_change_pct"])


def test_flag_theme_without_partner_is_listed_not_scored_and_the_rest_are_scored():
    inc = _incidents({"Burglary": 20, "Drugs": 10, ASB: 50})
    themes = {**THEMES, "hate": {"name": "Hate crime", "flags": {"hate": True}}}
    res = prioritise(themes, inc, period="2024/25", population=10_000, lsoas=list("ABCD"))
    assert list(res.not_scored.index) == ["Hate crime"]
    assert "partner" in res.not_scored.loc["Hate crime", "reason"]
    assert set(res.scores.index) == {"Burglary", "Drugs", "Anti-social behaviour"}
    assert res.notes[0].startswith("Hate crime could not be scored")
    assert any("for repeat victims (" in n and "victim IDs" in n for n in res.notes)
    findings = [f.text for f in priorities_findings(res)]
    assert any(f.startswith("Hate crime could not be scored") for f in findings)


def test_partner_theme_gets_repeat_victims_and_code_harm():
    inc = _incidents({"Violence and sexual offences": 30, ASB: 40})
    partner = _partner()
    themes = {"da": {"name": "Domestic abuse", "flags": {"domestic": True}}, "asb": THEMES["asb"]}
    res = prioritise(
        themes,
        inc,
        partner,
        period="2024/25",
        population=10_000,
        lsoas=list("ABCD"),
        category_weights={"Violence and sexual offences": 100.0},
        code_weights={"8N": 250.0},
    )
    da = res.indicators.loc["Domestic abuse"]
    assert da["harm_per_offence"] == 250.0  # partner rows weighted by their own code
    assert np.isfinite(da["repeat_victim_share"]) and da["repeat_victim_share"] > 0
    assert np.isnan(res.indicators.loc["Anti-social behaviour", "harm_per_offence"])
    assert any(n.startswith("Anti-social behaviour has no harm score") for n in res.notes)
    assert np.isnan(res.scores.loc["Anti-social behaviour", "harm"])


def test_judgements_by_id_or_name_enter_the_scores():
    inc = _incidents({"Burglary": 20, "Drugs": 10, ASB: 50})
    cfg = load_priority_config(
        {
            "judgements": {
                "partnership_response": {"burglary": 5, "Drugs": 1},
                "vulnerability": {"asb": 4},
            }
        }
    )
    res = prioritise(THEMES, inc, period="2024/25", config=cfg, population=10_000)
    ind, sc = res.indicators, res.scores
    assert ind.loc["Burglary", "partnership_response"] == 5.0
    assert ind.loc["Drugs", "partnership_response"] == 1.0
    assert np.isnan(ind.loc["Anti-social behaviour", "partnership_response"])
    assert ind.loc["Anti-social behaviour", "vulnerability"] == 4.0
    # lower is worse: a strong response (5) scores 1, a weak one (1) scores 5
    assert sc.loc["Burglary", "response"] == 1.0 and sc.loc["Drugs", "response"] == 5.0
    assert not any("partnership_response" in n for n in res.notes)


def test_judgement_for_a_new_indicator_of_a_new_criterion():
    inc = _incidents({"Burglary": 20, "Drugs": 10})
    cfg = load_priority_config(
        {
            "weights": {"community": 2.0},
            "criteria": {"community": {"community_impact": {"breakpoints": [1.5, 2.5, 3.5, 4.5]}}},
            "judgements": {"community_impact": {"burglary": 5, "drugs": 2}},
        }
    )
    themes = {k: THEMES[k] for k in ("burglary", "drugs")}
    res = prioritise(themes, inc, period="2024/25", config=cfg, population=10_000)
    assert res.scores.loc["Burglary", "community"] == 5.0
    assert res.scores.loc["Drugs", "community"] == 2.0


def test_bad_judgements_name_the_key():
    inc = _incidents({"Burglary": 20})
    themes = {"burglary": THEMES["burglary"]}
    with pytest.raises(
        ParamsError,
        match=r"priorities\.judgements\.vulnerability\.robbery: no "
        r"theme 'robbery'",
    ):
        prioritise(
            themes, inc, period="2024/25", config={"judgements": {"vulnerability": {"robbery": 3}}}
        )
    with pytest.raises(
        ParamsError,
        match=r"priorities\.judgements\.rate_per_1000_a_year: 'rate_per_1000_a_year' is computed",
    ):
        prioritise(
            themes,
            inc,
            period="2024/25",
            config={"judgements": {"rate_per_1000_a_year": {"burglary": 3}}},
        )
    with pytest.raises(ParamsError, match=r"priorities\.judgements\.nonsense: no indicator"):
        load_priority_config({"judgements": {"nonsense": {"burglary": 3}}})
    with pytest.raises(
        ParamsError,
        match=r"priorities\.judgements\.vulnerability\.burglary: "
        r"expected a number, got 'high'",
    ):
        load_priority_config({"judgements": {"vulnerability": {"burglary": "high"}}})


def test_parameters_file_accepts_judgements():
    p = load_params(
        SMALL, overrides={"priorities": {"judgements": {"partnership_response": {"asb": 3}}}}
    )
    assert p.priorities["judgements"] == {"partnership_response": {"asb": 3}}
    with pytest.raises(ParamsError, match="judgements.partnership_response.asb"):
        load_params(
            SMALL,
            overrides={"priorities": {"judgements": {"partnership_response": {"asb": "strong"}}}},
        )


def test_scheme_tables_show_the_configuration_used():
    cfg = load_priority_config(
        {
            "weights": {"harm": 2.5},
            "criteria": {"volume": {"count": {"breakpoints": [10, 20, 30, 40]}}},
            "sensitivity": {"draws": 50, "seed": 7},
        }
    )
    t = scheme_table(cfg)
    assert t.loc["count", ["breakpoint_1", "breakpoint_4"]].tolist() == [10.0, 40.0]
    assert (t.loc[t["criterion"] == "harm", "criterion_weight"] == 2.5).all()
    assert t.loc["pct_change", "significance"] == "p_value"
    assert t.loc["partnership_response", "direction"] == "lower_is_worse"
    assert len(t) == len(cfg.indicators)
    s = scheme_settings(cfg)
    assert s.loc["draws", "value"] == "50" and s.loc["seed", "value"] == "7"


def test_small_real_fixture_scores_what_it_can(tmp_path):
    from csplib.ingest.store import load_store

    themes = {
        "asb": {"name": "Anti-social behaviour", "categories": [ASB]},
        "hate": {"name": "Hate crime", "flags": {"hate": True}},
        "drugs": {"name": "Drugs", "categories": ["Drugs"]},
    }
    params = load_params(SMALL, overrides={"themes": themes})
    res = prioritise_store(params, load_store(params))
    assert list(res.not_scored.index) == ["Hate crime"]
    assert set(res.scores.index) == {"Anti-social behaviour", "Drugs"}
    assert res.scores["threat"].isna().all()  # 3 months: no trend, no previous year
    assert any("threat criterion has no value" in n for n in res.notes)
    assert any("3 months" in n for n in res.notes)
    # the implausible January ASB month of the real data is left out of the trend input
    assert np.isnan(res.monthly.loc["2024-01-01", "Anti-social behaviour"])
    assert res.monthly.loc["2024-01-01", "Drugs"] > 0
    assert res.sensitivity.summary["robust"].dtype == bool


# ----------------------------------------------------------------------------- findings
def _result_from(ind: pd.DataFrame, threat: pd.DataFrame | None = None, **sens):
    cfg = load_priority_config(
        {
            "weights": {"threat": 1, "volume": 1},
            "criteria": {
                "threat": {"pct_change": {"breakpoints": [-10, -2.5, 2.5, 10]}},
                "volume": {"count": {"breakpoints": [250, 1000, 2500, 5000]}},
            },
            "sensitivity": {"top_k": 2, "draws": 400, "seed": 1, **sens},
        },
        use_defaults=False,
    )
    if threat is None:
        threat = pd.DataFrame(
            {
                "annual_change_pct": np.nan,
                "lower_pct": np.nan,
                "upper_pct": np.nan,
                "p_value": np.nan,
                "months_used": 36.0,
                "window": "Apr 2022 to Mar 2025",
            },
            index=ind.index,
        )
    return PrioritisationResult(
        indicators=ind,
        threat=threat,
        scores=score_themes(ind, cfg),
        sensitivity=sensitivity_analysis(ind, cfg),
        config=cfg,
        not_scored=pd.DataFrame({"reason": []}, index=pd.Index([], name="theme")),
        settings={"period": "2024/25"},
    )


def test_findings_split_robust_and_sensitive_recommendations():
    # A is clearly first; B and C tie near the boundary of the top 2, so their places flip
    ind = pd.DataFrame(
        {"pct_change": [20.0, 5.0, -5.0, -20.0], "count": [6000.0, 900.0, 2400.0, 100.0]},
        index=["A", "B", "C", "D"],
    )
    res = _result_from(ind, breakpoint_shift=0.3)
    summ = res.sensitivity.summary
    assert bool(summ.loc["A", "robust"]) and not bool(summ.loc["C", "robust"])
    texts = [f.text for f in priorities_findings(res)]
    assert texts[0].startswith("Recommended priorities for 2024/25: A (score 5.0 of 5) (robust)")
    assert "(rank sensitive to the weights: in the top 2 in" in texts[0]
    assert texts[1].endswith("could also enter the top 2.")
    assert all(f.evidence == "07_priorities" for f in priorities_findings(res))


def test_findings_report_significant_rises_only():
    ind = pd.DataFrame({"pct_change": [12.0, 8.0], "count": [3000.0, 300.0]}, index=["A", "B"])
    threat = pd.DataFrame(
        {
            "annual_change_pct": [12.0, 8.0],
            "lower_pct": [5.0, -2.0],
            "upper_pct": [19.5, 19.0],
            "p_value": [0.0004, 0.12],
            "months_used": [27.0, 36.0],
            "window": ["Apr 2022 to Feb 2025", "Apr 2022 to Mar 2025"],
        },
        index=ind.index,
    )
    texts = [f.text for f in priorities_findings(_result_from(ind, threat))]
    rising = [t for t in texts if "rose by" in t]
    # the months the trend was fitted to, ending with the last month with data (not the
    # period's end), and how many had data
    assert rising == [
        "A rose by 12.0% a year (95% CI 5.0% to 19.5%) over Apr 2022 to Feb 2025 (27 months "
        "with data); the rise is statistically significant (p < 0.001)."
    ]


def test_chart_titles():
    t = pd.DataFrame(
        {
            "rate_per_1000_a_year": [30.0, 3.0, np.nan],
            "harm_per_offence": [500.0, 40.0, 9.0],
            "threat": [2.0, 4.0, 5.0],
        },
        index=["V", "H", "ASB"],
    )
    assert (
        volume_harm_title(t)
        == "V has the highest rate and the most harm per offence;\nH the highest threat"
    )
    s = pd.DataFrame({"robust": [True, True]}, index=["A", "B"])
    assert rank_range_title(s, 1).startswith("Every theme keeps its place")


# ----------------------------------------------------------------------------- the result
def test_chapter_result_declares_its_tables_and_headlines_the_priorities():
    months = pd.date_range("2022-04-01", "2025-03-01", freq="MS")
    inc = _incidents({"Burglary": 40 * 1.2 ** (np.arange(36) / 12), "Drugs": 60.0}, months)
    themes = {k: v for k, v in THEMES.items() if k != "asb"}
    res = prioritise(themes, inc, period="2024/25", population=1000, lsoas=list("ABCD"))
    result = chapter_result(res)
    assert result.chapter == "07_priorities" and result.prioritisation is res
    assert list(result.tables) == [
        "scoring_scheme",
        "scheme_settings",
        "threat_models",
        "indicators",
        "indicator_scores",
        "scores",
        "sensitivity",
    ]
    indicators = result.table("indicators")
    assert indicators.counts == ("count",)
    assert set(indicators.derived) == {
        "rate_per_1000",
        "rate_per_1000_a_year",
        "pct_change",
        "yoy_pct_change",
        "forecast_change",
        "repeat_victim_share",
        "top10_share",
        "top10_excess",
        "top10_p_value",
        "harm_per_offence",
        "harm_share",
        "p_value",
        "yoy_p_value",
    }
    others = [t for name, t in result.tables.items() if name != "indicators"]
    assert all(t.counts == () for t in others)
    assert all(t.totals is None and t.caption for t in result.tables.values())
    assert "method" not in result.table("threat_models").frame.columns
    assert result.table("scores").frame.equals(res.criteria_table)
    # the recommended priorities in order, with their scores
    recommended = result.headline["recommended"]
    assert [p["theme"] for p in recommended] == res.recommended == ["Burglary", "Drugs"]
    assert [p["score"] for p in recommended] == list(res.scores.loc[res.recommended, "total"])
    assert [p["rank"] for p in recommended] == [1, 2]
    assert result.headline["themes"] == 2 and result.headline["not_scored"] == []
    assert [f.text for f in result.findings] == [f.text for f in priorities_findings(res)]
    assert result.figures == {
        "rank_range": rank_range_title(res.robustness, 3, res.sensitivity.unscored)
    }
    assert result.volume_harm_points.empty  # no harm weights were given
    assert result.notes["scored"][0].startswith("2 of 2 themes were scored for 2024/25")
    assert result.notes["judgements"][0].startswith("No analyst judgements")


def test_assess_runs_the_chapter_on_a_context():
    from types import SimpleNamespace

    from csplib.ingest.store import load_store

    themes = {
        "asb": {"name": "Anti-social behaviour", "categories": [ASB]},
        "hate": {"name": "Hate crime", "flags": {"hate": True}},
        "drugs": {"name": "Drugs", "categories": ["Drugs"]},
    }
    params = load_params(SMALL, overrides={"themes": themes})
    result = assess(SimpleNamespace(params=params, store=load_store(params)))
    assert result.headline["themes"] == 3 and result.headline["themes_scored"] == 2
    assert result.headline["not_scored"] == ["Hate crime"]
    assert result.notes["scored"][0].startswith("2 of 3 themes were scored")
    assert any("Hate crime could not be scored" in n for n in result.notes["not_scored"])
    assert result.findings[-1].text.startswith("Hate crime could not be scored")
    assert "volume_harm" in result.figures
    assert len(result.headline["recommended"]) == 2
