"""Chapter 07 (priorities), end to end on the default synthetic assessment.

The annex tables of ``synthetic_run`` are checked against the parameters and the planted
truth, and the scores are recomputed here, independently of :mod:`csplib.methods.scoring`, from
the annex indicator table and the scheme's breakpoints and weights.
"""

import numpy as np
import pandas as pd
import pytest

from csplib.chapters.priorities import priorities_findings, prioritise_store, scheme_table
from csplib.chapters.result import load_result
from csplib.core.schema import ASB
from csplib.ingest.store import load_store
from csplib.methods.scoring import load_priority_config
from csplib.params import load_params

DEFAULT = "parameters/default.yaml"
CH = "07_priorities"
CRITERIA = ["threat", "risk", "harm", "volume", "response"]


def _read(tables, name: str) -> pd.DataFrame:
    return pd.read_csv(tables / f"{CH}__{name}.csv", index_col=0)


@pytest.fixture(scope="module")
def tables(synthetic_run):
    return synthetic_run / "tables"


@pytest.fixture(scope="module")
def params():
    return load_params(DEFAULT)


# ----------------------------------------------------------------------------- checks
def check_every_theme_scored(tables, params):
    names = [t.name for t in params.themes.values()]
    scores = _read(tables, "scores")
    assert sorted(scores.index) == sorted(names)
    for col in [*CRITERIA, "total", "rank"]:
        assert col in scores.columns
    # threat, risk and volume have data for every theme; harm for every theme but ASB
    assert scores[["threat", "risk", "volume", "total"]].notna().all().all()
    asb_only = [t.name for t in params.themes.values() if t.categories == [ASB] and not t.flags]
    assert scores.loc[~scores.index.isin(asb_only), "harm"].notna().all()
    assert scores.loc[asb_only, "harm"].isna().all()
    # the default parameters judge the partnership response for every theme (1-5, 5 =
    # strong): every theme has a response score, and a stronger response scores lower
    judged = params.priorities["judgements"]["partnership_response"]
    response = pd.Series({params.themes[t].name: v for t, v in judged.items()})
    assert scores["response"].notna().all()
    by_judgement = scores["response"].groupby(response.reindex(scores.index)).mean()
    assert by_judgement.is_monotonic_decreasing and by_judgement.nunique() > 1
    assert sorted(scores["rank"]) == sorted(scores["total"].rank(ascending=False, method="min"))
    ind_scores = _read(tables, "indicator_scores")
    cfg = load_priority_config(params.priorities or None)
    assert list(ind_scores.columns) == [f"{s.name}_score" for s in cfg.indicators]
    assert sorted(ind_scores.index) == sorted(names)


def check_serious_violence_rising(tables, truth):
    planted = truth["effects"]["weapons_rise"]
    assert planted["category"] == "Possession of weapons" and planted["growth_per_year"] == 0.4
    threat = _read(tables, "threat_models")
    ind = _read(tables, "indicators")
    scores = _read(tables, "scores")
    isc = _read(tables, "indicator_scores")
    sv = "Serious violence and weapons"
    row = threat.loc[sv]
    # a significant rise, no larger than the planted 40% a year in two wards
    assert 0 < row["lower_pct"] < row["annual_change_pct"] < row["upper_pct"]
    assert row["p_value"] < 0.05 and row["annual_change_pct"] < 100 * planted["growth_per_year"]
    assert row["forecast_change"] > 0
    assert ind.loc[sv, "pct_change"] == pytest.approx(row["annual_change_pct"])
    assert ind.loc[sv, "threat_basis"].startswith("trend over 36 months")
    assert isc.loc[sv, "pct_change_score"] >= 4
    # the only planted rise: the highest trend and the highest threat score of all themes
    assert threat["annual_change_pct"].idxmax() == sv
    assert scores["threat"].idxmax() == sv
    assert (scores.drop(index=sv)["threat"] < scores.loc[sv, "threat"]).all()


def check_sensitivity_flags(tables, params):
    sens = _read(tables, "sensitivity")
    scores = _read(tables, "scores")
    settings = _read(tables, "scheme_settings")["value"]
    assert sorted(sens.index) == sorted(t.name for t in params.themes.values())
    assert sens["robust"].dtype == bool
    share = float(settings["robust_share"])
    assert (sens["robust"] == (sens["agreement"] >= share)).all()
    assert (sens["base_rank"] == scores["rank"].reindex(sens.index)).all()
    assert (
        (sens["rank_low"] <= sens["median_rank"]) & (sens["median_rank"] <= sens["rank_high"])
    ).all()
    # a theme whose 90% range of ranks stays on the side of the top-k line of its base rank
    # agrees with the base ranking in at least 95% of draws, so it is robust
    k = int(settings["top_k"])
    same_side = np.where(sens["base_rank"] <= k, sens["rank_high"] <= k, sens["rank_low"] > k)
    assert share <= 0.95 and sens.loc[same_side, "robust"].all()
    assert (sens.loc[same_side, "agreement"] >= 0.95).all()


def _recompute(ind: pd.DataFrame, scheme: pd.DataFrame, settings: pd.Series):
    """Indicator scores, criterion scores and totals, by hand from the tables."""
    smin, smax = int(settings["scale_min"]), int(settings["scale_max"])
    assert settings["missing"] == "exclude"
    bps = [c for c in scheme.columns if c.startswith("breakpoint_")]
    ind_scores = pd.DataFrame(index=ind.index, dtype=float)
    for name, spec in scheme.iterrows():
        out = []
        for theme in ind.index:
            value = ind.loc[theme, name]
            sig = spec["significance"]
            if isinstance(sig, str) and sig:
                p = ind.loc[theme, sig]
                if not np.isnan(p) and p >= spec["alpha"]:
                    value = 0.0
            if np.isnan(value):
                out.append(np.nan)
                continue
            n_at_or_below = sum(1 for b in spec[bps] if b <= value)
            out.append(
                smin + n_at_or_below
                if spec["direction"] == "higher_is_worse"
                else smax - n_at_or_below
            )
        ind_scores[f"{name}_score"] = out
    crit_scores = pd.DataFrame(index=ind.index, dtype=float)
    for crit in dict.fromkeys(scheme["criterion"]):
        members = scheme[scheme["criterion"] == crit]
        values = []
        for theme in ind.index:
            num = den = 0.0
            for name, spec in members.iterrows():
                s = ind_scores.loc[theme, f"{name}_score"]
                if not np.isnan(s):
                    num += spec["weight"] * s
                    den += spec["weight"]
            values.append(num / den if den > 0 else np.nan)
        crit_scores[crit] = values
    weights = scheme.groupby("criterion", sort=False)["criterion_weight"].first()
    totals = []
    for theme in ind.index:
        num = den = 0.0
        for crit, w in weights.items():
            s = crit_scores.loc[theme, crit]
            if not np.isnan(s):
                num += w * s
                den += w
        totals.append(num / den)
    return ind_scores, crit_scores, pd.Series(totals, index=ind.index)


def check_scores_recomputed(tables, params):
    ind = _read(tables, "indicators")
    scheme = _read(tables, "scoring_scheme")
    settings = _read(tables, "scheme_settings")["value"]
    # the annex scheme is the configuration of the parameters
    cfg = load_priority_config(params.priorities or None)
    expected = scheme_table(cfg)
    pd.testing.assert_frame_equal(
        scheme.drop(columns=["significance", "alpha"]),
        expected.drop(columns=["significance", "alpha"]),
        check_dtype=False,
    )
    ind_scores, crit_scores, totals = _recompute(ind, scheme, settings)
    got_ind = _read(tables, "indicator_scores")
    got = _read(tables, "scores")
    pd.testing.assert_frame_equal(
        got_ind.reindex(ind.index), ind_scores, check_dtype=False, check_names=False
    )
    for crit in crit_scores.columns:
        np.testing.assert_allclose(got[crit].reindex(ind.index), crit_scores[crit], rtol=1e-9)
    np.testing.assert_allclose(got["total"].reindex(ind.index), totals, rtol=1e-9)
    ranks = totals.rank(ascending=False, method="min").astype(int)
    assert (got["rank"].reindex(ind.index) == ranks).all()


# ----------------------------------------------------------------------------- end to end
def test_every_default_theme_is_scored_with_each_component(tables, params):
    check_every_theme_scored(tables, params)


def test_serious_violence_has_a_rising_threat_input(tables, truth):
    check_serious_violence_rising(tables, truth)


def test_sensitivity_has_a_robustness_flag_per_theme(tables, params):
    check_sensitivity_flags(tables, params)


def test_annex_scores_match_an_independent_recomputation(tables, params):
    check_scores_recomputed(tables, params)


def test_annex_holds_aggregates_only(tables):
    from csplib.present.disclosure import find_record_level

    for path in sorted(tables.glob(f"{CH}__*.csv")):
        assert find_record_level(path) == [], path.name


# ----------------------------------------------------------------------------- on the store
def test_functions_on_the_default_store(params, truth):
    """The chapter's computation directly on the store (independent of the runner)."""
    res = prioritise_store(params, load_store(params))
    sv = "Serious violence and weapons"
    assert res.threat.loc[sv, "lower_pct"] > 0 and res.threat.loc[sv, "p_value"] < 0.05
    assert res.not_scored.empty
    # the planted low ASB month (5% of rows kept) is left out of the trend, not read as real
    low = truth["effects"]["low_month"]
    assert np.isnan(res.monthly.loc[pd.Timestamp(low["month"]), "Anti-social behaviour"])
    findings = [f.text for f in priorities_findings(res)]
    top = list(res.scores.index[res.scores["rank"] <= res.config.sensitivity.top_k])
    assert findings[0].startswith("Recommended priorities for 2024/25: ")
    assert all(t in findings[0] for t in top)
    assert any(f.startswith(f"{sv} rose by") for f in findings)


def test_saved_result_recommends_the_top_ranked_themes(synthetic_run, params):
    result = load_result(synthetic_run, CH)
    assert result is not None, "the chapter did not save its result"
    scores = _read(synthetic_run / "tables", "scores").sort_values("rank", kind="stable")
    k = load_priority_config(params.priorities or None).sensitivity.top_k
    top = scores[scores["rank"] <= k]
    recommended = result.headline["recommended"]
    assert [p["theme"] for p in recommended] == list(top.index)
    assert [p["score"] for p in recommended] == pytest.approx(list(top["total"]))
    assert result.findings[0].text.startswith(
        f"Recommended priorities for {params.assessment.period.label}"
    )
    assert list(result.tables) == [
        "scoring_scheme",
        "scheme_settings",
        "threat_models",
        "indicators",
        "indicator_scores",
        "scores",
        "sensitivity",
    ]
