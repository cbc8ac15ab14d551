"""Prioritisation: configuration, scoring and ranking, sensitivity, inputs and charts."""

import copy
from pathlib import Path

import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from csplib.core.errors import DataError, DefinitionError, ParamsError
from csplib.core.schema import ASB
from csplib.methods.risk import lorenz_curve
from csplib.methods.scoring import (
    PriorityConfig,
    load_priority_config,
    priority_config,
    score_themes,
    sensitivity_analysis,
    theme_indicators,
)
from csplib.params import priorities as scoring_config
from csplib.present.charts.priorities import lorenz_chart, rank_range_chart, volume_harm_chart
from csplib.present.charts.style import PALETTE

BP = [-10, -2.5, 2.5, 10]

HAND = {
    "scale": {"min": 1, "max": 5},
    "missing": "exclude",
    "weights": {"threat": 2, "risk": 1, "harm": 1, "response": 1},
    "criteria": {
        "threat": {"change": {"breakpoints": BP, "significance": "p", "alpha": 0.05}},
        "risk": {
            "repeat": {"breakpoints": [5, 10, 20, 30], "weight": 1},
            "top10": {"breakpoints": [20, 30, 40, 50], "weight": 3},
        },
        "harm": {"severity": {"breakpoints": [20, 50, 150, 400]}},
        "response": {"resp": {"breakpoints": [1.5, 2.5, 3.5, 4.5], "direction": "lower_is_worse"}},
    },
}


def _hand_matrix():
    return pd.DataFrame(
        {
            "change": [12.0, 30.0, -15.0, -5.0],
            "p": [0.01, 0.2, 0.001, np.nan],
            "repeat": [25.0, np.nan, np.nan, 8.0],
            "top10": [30.0, 55.0, 42.0, 10.0],
            "severity": [200.0, 100.0, np.nan, 400.0],
            "resp": [2.0, 5.0, 3.0, np.nan],
        },
        index=["Domestic abuse", "Hate crime", "ASB", "Burglary"],
    )


def _cfg(over=None, base=HAND):
    raw = copy.deepcopy(base)
    for key, value in (over or {}).items():
        raw[key] = value
    return load_priority_config(raw, use_defaults=False)


# ----------------------------------------------------------------------------- scoring
def test_scoring_and_ranking_on_a_hand_worked_matrix():
    t = score_themes(_hand_matrix(), _cfg())
    # Domestic abuse: change 12 (significant) -> 5; repeat 25 -> 4; top10 30 (on a
    # breakpoint: upper band) -> 3; severity 200 -> 4; response 2 (lower is worse) -> 4
    da = t.loc["Domestic abuse"]
    assert [
        da["change_score"],
        da["repeat_score"],
        da["top10_score"],
        da["severity_score"],
        da["resp_score"],
    ] == [5, 4, 3, 4, 4]
    assert da["risk"] == pytest.approx((4 * 1 + 3 * 3) / 4)
    assert da["total"] == pytest.approx((2 * 5 + 3.25 + 4 + 4) / 5)
    # Hate crime: +30% but not significant -> scored as 0% change -> 3; repeat missing
    hc = t.loc["Hate crime"]
    assert hc["change_used"] == 0 and hc["change_score"] == 3
    assert hc["risk"] == 5 and hc["resp_score"] == 1
    assert hc["total"] == pytest.approx((2 * 3 + 5 + 3 + 1) / 5)
    assert hc["missing"] == "repeat"
    # ASB: harm not defined -> the harm criterion is left out and the rest re-weighted
    asb = t.loc["ASB"]
    assert np.isnan(asb["harm"]) and asb["change_score"] == 1
    assert asb["total"] == pytest.approx((2 * 1 + 4 + 3) / 4)
    assert asb["missing"] == "repeat, severity"
    # Burglary: p-value missing -> the change is used as it is (-5 -> 2); 400 -> 5
    bg = t.loc["Burglary"]
    assert bg["change_score"] == 2 and bg["severity_score"] == 5
    assert bg["total"] == pytest.approx((2 * 2 + 1.25 + 5) / 4)
    assert t.index.tolist() == ["Domestic abuse", "Hate crime", "Burglary", "ASB"]
    assert t["rank"].tolist() == [1, 2, 3, 4]
    assert t.attrs["config"]["weights"]["threat"] == 2


def test_missing_values_rules():
    mid = score_themes(_hand_matrix(), _cfg({"missing": "midpoint"}))
    # ASB: repeat and severity score 3 (the middle of 1-5)
    assert mid.loc["ASB", "risk"] == pytest.approx((3 * 1 + 4 * 3) / 4)
    assert mid.loc["ASB", "total"] == pytest.approx((2 * 1 + 3.75 + 3 + 3) / 5)
    with pytest.raises(DataError, match="'Hate crime' has no value for 'repeat'"):
        score_themes(_hand_matrix(), _cfg({"missing": "error"}))


def test_a_stronger_partnership_response_lowers_priority():
    ind = pd.DataFrame(
        {
            "change": [5.0, 5.0],
            "p": [0.01, 0.01],
            "repeat": [20.0, 20.0],
            "top10": [35.0, 35.0],
            "severity": [100.0, 100.0],
            "resp": [5.0, 1.0],
        },
        index=["strong response", "weak response"],
    )
    t = score_themes(ind, _cfg())
    assert t.loc["weak response", "rank"] == 1 and t.loc["strong response", "rank"] == 2
    assert t.loc["weak response", "response"] == 5 and t.loc["strong response", "response"] == 1


def test_ties_share_the_rank():
    ind = _hand_matrix().iloc[[0, 0]]
    ind.index = ["a", "b"]
    assert score_themes(ind, _cfg())["rank"].tolist() == [1, 1]


def test_indicator_table_problems_name_the_column():
    with pytest.raises(DataError, match="no column 'severity' .*priorities.criteria.harm.severity"):
        score_themes(_hand_matrix().drop(columns="severity"), _cfg())
    with pytest.raises(DataError, match="no column 'p' \\(the p-values of 'change'"):
        score_themes(_hand_matrix().drop(columns="p"), _cfg())
    bad = _hand_matrix().astype({"top10": object})
    bad.loc["ASB", "top10"] = "lots"
    with pytest.raises(DataError, match="'top10' of theme 'ASB' is not a number"):
        score_themes(bad, _cfg())


# ----------------------------------------------------------------------------- configuration
def test_default_configuration_is_shipped_and_documented():
    cfg = load_priority_config()
    assert isinstance(cfg, PriorityConfig)
    assert cfg.criteria == ["threat", "risk", "harm", "volume", "response"]
    assert (cfg.scale_min, cfg.scale_max) == (1, 5)
    names = [i.name for i in cfg.indicators]
    assert names[:2] == ["pct_change", "forecast_change"] and "partnership_response" in names
    resp = next(i for i in cfg.indicators if i.name == "partnership_response")
    assert resp.direction == "lower_is_worse" and resp.criterion == "response"
    assert cfg.sensitivity.top_k == 3 and cfg.sensitivity.robust_share == 0.9


def test_overrides_merge_and_null_removes():
    cfg = load_priority_config(
        {"weights": {"harm": 2.5}, "criteria": {"risk": {"public_concern": None}}}
    )
    assert cfg.weights["harm"] == 2.5 and cfg.weights["threat"] == 1.0
    assert [i.name for i in cfg.indicators if i.criterion == "risk"] == [
        "vulnerability",
        "repeat_victim_share",
        "top10_excess",
    ]
    assert [i.name for i in cfg.indicators if i.criterion == "volume"] == ["rate_per_1000_a_year"]


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"weights": {"harm": -1}}, "priorities.weights.harm: expected a number >= 0, got -1"),
        ({"weights": {"harm": "high"}}, "priorities.weights.harm: expected a number >= 0"),
        (
            {"criteria": {"harm": {"harm_share": {"breakpoints": [2, 2, 10, 20]}}}},
            "priorities.criteria.harm.harm_share.breakpoints: expected strictly increasing",
        ),
        (
            {"criteria": {"harm": {"harm_share": {"breakpoints": [2, 5, 10]}}}},
            "priorities.criteria.harm.harm_share.breakpoints: expected 4 breakpoints for a 1-5 "
            "scale, got 3",
        ),
        (
            {"criteria": {"harm": {"harm_share": {"direction": "up"}}}},
            "priorities.criteria.harm.harm_share.direction: expected one of higher_is_worse",
        ),
        (
            {"criteria": {"harm": {"harm_share": {"wieght": 2}}}},
            "priorities.criteria.harm.harm_share.wieght: unknown key",
        ),
        (
            {"criteria": {"place": {"x": {"breakpoints": [1, 2, 3, 4]}}}},
            "priorities.weights.place: required key is missing",
        ),
        ({"weights": {"community": 1}}, "priorities.weights.community: no criterion"),
        ({"missing": "sometimes"}, "priorities.missing: expected one of exclude, midpoint"),
        ({"scale": {"min": 3, "max": 3}}, "priorities.scale.max: expected a whole number above"),
        ({"sensitivity": {"draws": 0}}, "priorities.sensitivity.draws: expected a whole number"),
        ({"sensitivity": {"robust_share": 1.5}}, "priorities.sensitivity.robust_share: expected"),
        ({"sensitvity": {}}, "priorities.sensitvity: unknown key; expected one of: scale"),
        (
            {"criteria": {"volume": {"harm_share": {"breakpoints": [1, 2, 3, 4]}}}},
            "priorities.criteria.volume.harm_share: indicator 'harm_share' is already under "
            "criteria.harm",
        ),
        (
            {"weights": {"threat": 0, "risk": 0, "harm": 0, "volume": 0, "response": 0}},
            "priorities.weights: expected at least one weight above 0",
        ),
    ],
)
def test_bad_configuration_names_the_key(over, message):
    with pytest.raises(ParamsError) as err:
        load_priority_config(over)
    assert message in str(err.value)


def test_every_problem_is_reported_at_once():
    with pytest.raises(ParamsError) as err:
        load_priority_config({"weights": {"harm": -1, "risk": "x"}, "missing": "no"})
    lines = str(err.value).splitlines()
    assert len(lines) == 3 and all(line.startswith("priorities.") for line in lines)


def test_configuration_file(tmp_path):
    p = tmp_path / "prio.yaml"
    p.write_text(
        "priorities:\n  weights: {a: 1}\n  criteria:\n    a:\n      x: "
        "{breakpoints: [1, 2, 3, 4]}\n"
    )
    cfg = load_priority_config(path=p)
    assert cfg.criteria == ["a"]
    p.write_text("weights: {a: -2}\ncriteria: {a: {x: {breakpoints: [1, 2, 3, 4]}}}\n")
    with pytest.raises(ParamsError, match="prio.yaml: priorities.weights.a: expected a number"):
        load_priority_config(path=p)
    with pytest.raises(ParamsError, match="not found"):
        load_priority_config(path=tmp_path / "none.yaml")


def test_the_shipped_scheme_sits_beside_its_module():
    """The parameters schema validates ``priorities:`` with it (tests/test_layering.py keeps
    it in the params layer)."""
    default = Path(scoring_config.__file__).with_name(scoring_config.DEFAULT_CONFIG_FILE)
    assert default.is_file()
    assert load_priority_config().scale_max == 5


def test_priority_config_takes_none_a_scheme_or_overrides():
    cfg = load_priority_config()
    assert priority_config(None) == cfg and priority_config(cfg) is cfg
    assert priority_config({"weights": {"harm": 2}}).weights["harm"] == 2.0
    with pytest.raises(ParamsError, match="config must be a PriorityConfig or a mapping"):
        priority_config(["threat"])


def test_with_sensitivity_replaces_settings_and_checks_them():
    cfg = load_priority_config()
    assert cfg.with_sensitivity() is cfg
    changed = cfg.with_sensitivity(draws=20, top_k=2)
    assert (changed.sensitivity.draws, changed.sensitivity.top_k) == (20, 2)
    assert changed.weights == cfg.weights and cfg.sensitivity.draws == 1000
    with pytest.raises(ParamsError, match="unknown sensitivity setting 'seeds'"):
        cfg.with_sensitivity(seeds=1)
    with pytest.raises(ParamsError, match="sensitivity_analysis.sensitivity.top_k: expected"):
        cfg.with_sensitivity(top_k=0)


# ----------------------------------------------------------------------------- sensitivity
NEAR_TIE = {
    "weights": {"threat": 1.05, "harm": 1.0},
    "criteria": {
        "threat": {"t": {"breakpoints": [10, 20, 30, 40]}},
        "harm": {"h": {"breakpoints": [10, 20, 30, 40]}},
    },
    "sensitivity": {
        "top_k": 2,
        "draws": 2000,
        "weight_spread": 0.2,
        "breakpoint_shift": 0.0,
        "seed": 3,
    },
}


def _near_tie():
    # A dominates; B (4, 2) and C (3, 3) are separated only by threat weighing a bit more
    return pd.DataFrame(
        {"t": [45.0, 35.0, 25.0, 5.0], "h": [45.0, 15.0, 25.0, 5.0]}, index=["A", "B", "C", "D"]
    )


def test_a_rank_that_flips_under_a_small_weight_change_is_not_robust():
    cfg = load_priority_config(NEAR_TIE, use_defaults=False)
    base = score_themes(_near_tie(), cfg)
    assert base["rank"].to_dict() == {"A": 1, "B": 2, "C": 3, "D": 4}
    # a 10% heavier harm weight is enough to swap B and C
    nudged = load_priority_config(
        {**NEAR_TIE, "weights": {"threat": 1.05, "harm": 1.1}}, use_defaults=False
    )
    assert score_themes(_near_tie(), nudged)["rank"].to_dict() == {"A": 1, "C": 2, "B": 3, "D": 4}
    res = sensitivity_analysis(_near_tie(), cfg)
    s = res.summary
    assert bool(s.loc["A", "robust"]) and s.loc["A", "top_k_share"] == 1.0
    assert s.loc["A", ["rank_low", "rank_high", "median_rank"]].tolist() == [1, 1, 1]
    assert bool(s.loc["D", "robust"]) and s.loc["D", "top_k_share"] == 0.0
    assert res.not_robust == ["B", "C"]
    # B stays in the top 2 exactly when 1.05 u1 > u2 (u ~ U(0.8, 1.2)): about 60% of draws
    assert 0.5 < s.loc["B", "top_k_share"] < 0.75
    assert s.loc["B", "top_k_share"] + s.loc["C", "top_k_share"] == pytest.approx(1.0)
    assert (s.loc["B", "rank_low"], s.loc["B", "rank_high"]) == (2, 3)
    assert res.ranks.shape == (2000, 4)


def test_no_perturbation_reproduces_the_base_ranking():
    cfg = load_priority_config(NEAR_TIE, use_defaults=False)
    res = sensitivity_analysis(_near_tie(), cfg, weight_spread=0.0, draws=50)
    assert (res.ranks.to_numpy() == np.array([1, 2, 3, 4])).all()
    assert res.summary["robust"].all()
    assert res.config["sensitivity"]["weight_spread"] == 0.0


def test_breakpoint_perturbation_moves_a_value_near_a_breakpoint():
    cfg = load_priority_config(NEAR_TIE, use_defaults=False)
    ind = pd.DataFrame({"t": [30.5, 29.5], "h": [25.0, 25.0]}, index=["just above", "below"])
    res = sensitivity_analysis(
        ind, cfg, weight_spread=0.0, breakpoint_shift=0.2, top_k=1, draws=500
    )
    # breakpoint 30 moves by U(-2, 2) (a fifth of the band width 10): only when it stays in
    # (29.5, 30.5], a quarter of draws, does it separate the two; otherwise they tie for the top
    assert res.summary.loc["just above", "top_k_share"] == 1.0
    assert 0.68 < res.summary.loc["below", "top_k_share"] < 0.82
    assert not res.summary.loc["below", "robust"]


def test_sensitivity_is_reproducible_and_seeded():
    cfg = load_priority_config(NEAR_TIE, use_defaults=False)
    a = sensitivity_analysis(_near_tie(), cfg, draws=300)
    b = sensitivity_analysis(_near_tie(), cfg, draws=300)
    c = sensitivity_analysis(_near_tie(), cfg, draws=300, seed=4)
    pd.testing.assert_frame_equal(a.ranks, b.ranks)
    assert not a.ranks.equals(c.ranks)
    with pytest.raises(ParamsError, match="unknown sensitivity setting 'sedd'"):
        sensitivity_analysis(_near_tie(), cfg, sedd=1)


def test_dirichlet_perturbation_keeps_the_dominant_theme_robust():
    cfg = load_priority_config(NEAR_TIE, use_defaults=False)
    res = sensitivity_analysis(_near_tie(), cfg, method="dirichlet", concentration=50.0, draws=1000)
    assert res.robust[:1] == ["A"] and "B" in res.not_robust


# ----------------------------------------------------------------------------- inputs
@pytest.fixture
def data():
    months = pd.date_range("2018-04-01", "2020-03-01", freq="MS")
    rows = []
    for m in months:
        n_burg = 2 if m.year == 2018 or m < pd.Timestamp("2019-04-01") else 3
        rows += [{"month": m, "category": "Burglary", "lsoa": "L1"}] * n_burg
        rows += [{"month": m, "category": ASB, "lsoa": "L2"}]
    inc = pd.DataFrame(rows)
    partner = pd.DataFrame(
        {
            "month": pd.to_datetime(["2019-05-01", "2019-06-01", "2019-07-01", "2018-05-01"]),
            "date": pd.to_datetime(["2019-05-03", "2019-06-09", "2019-07-01", "2018-05-02"]),
            "category": ["Violence and sexual offences"] * 3 + ["Public order"],
            "offence_code": ["8N", "8N", "105A", "9A"],
            "lsoa": ["L1", "L1", "L3", "L1"],
            "victim_id": ["V1", "V1", "V2", "V3"],
            "hate": [True, True, True, True],
            "domestic": [False] * 4,
            "weapon": [False] * 4,
        }
    )
    return inc, partner


THEMES = {
    "burg": {"name": "Burglary", "categories": ["Burglary"]},
    "asb": {"name": "ASB", "categories": [ASB]},
    "hate": {"name": "Hate crime", "flags": {"hate": True}},
}


def test_theme_indicators_from_data(data):
    inc, partner = data
    lsoas = [f"L{i}" for i in range(1, 11)]
    t = theme_indicators(
        THEMES,
        inc,
        partner,
        period="2019/20",
        population=10_000,
        lsoas=lsoas,
        category_weights={"Burglary": 380.0, ASB: np.nan},
        code_weights={"8N": 190.0, "105A": 13.5, "9A": 20.0},
        vulnerability={"Hate crime": 4},
        partnership_response={"ASB": 4},
        forecast_change=pd.Series({"Burglary": 5.0}),
    )
    assert t.loc["Burglary", "count"] == 36 and t.loc["Burglary", "pct_change"] == 50.0
    assert t.loc["Burglary", "rate_per_1000"] == pytest.approx(3.6)
    assert t.loc["Burglary", "top10_share"] == 100.0  # all in L1, the top 1 of 10 LSOAs
    assert t.loc["Hate crime", "count"] == 3
    assert t.loc["Hate crime", "repeat_victim_share"] == pytest.approx(50.0)  # V1 of V1, V2
    assert np.isnan(t.loc["Burglary", "repeat_victim_share"])  # police.uk: no victims
    assert t.loc["Hate crime", "harm_per_offence"] == pytest.approx((190 + 190 + 13.5) / 3)
    assert t.loc["Burglary", "harm_share"] == pytest.approx(100.0)  # of police.uk crime harm
    assert np.isnan(t.loc["ASB", "harm_per_offence"])
    assert t.loc["Hate crime", "vulnerability"] == 4 and t.loc["ASB", "partnership_response"] == 4
    assert t.loc["Burglary", "forecast_change"] == 5 and np.isnan(t.loc["ASB", "forecast_change"])
    # the default scheme scores this table as it is
    scored = score_themes(t)
    assert set(scored["rank"]) <= {1, 2, 3} and scored["total"].between(1, 5).all()


def test_theme_indicators_reject_unknown_theme_names(data):
    inc, partner = data
    with pytest.raises(DefinitionError, match="vulnerability: 'Hate' is not a theme"):
        theme_indicators(THEMES, inc, partner, period="2019/20", vulnerability={"Hate": 3})


def test_threat_table_replaces_the_year_on_year_test(data):
    inc, partner = data
    screen = pd.DataFrame({"pct_change": [-20.0], "p_value": [0.001]}, index=["ASB"])
    t = theme_indicators(THEMES, inc, partner, period="2019/20", threat=screen)
    assert t.loc["ASB", "pct_change"] == -20 and t.loc["ASB", "p_value"] == 0.001
    assert t.loc["Burglary", "pct_change"] == 50.0


# ----------------------------------------------------------------------------- charts
def test_volume_harm_chart():
    table = score_themes(_hand_matrix(), _cfg()).assign(volume=[500, 200, 8000, 900])
    ax = volume_harm_chart(table, volume="volume", harm="severity", logx=True)
    # ASB has no harm value: it is not placed (nor labelled) rather than drawn at zero
    assert sorted(t.get_text() for t in ax.texts) == ["Burglary", "Domestic abuse", "Hate crime"]
    assert ax.get_xscale() == "log"
    assert len(ax.figure.axes) == 2  # the threat colour bar
    points = ax.collections[0]
    assert points.get_cmap().name == "cividis"  # colour-blind-safe
    np.testing.assert_allclose(points.get_array(), table["threat"].to_numpy())
    assert points.get_clim() == (1, 5)
    plt.close(ax.figure)


def test_lorenz_chart_overlays_curves():
    ax = lorenz_chart(lorenz_curve(pd.Series({"A": 9, "B": 1}), ["A", "B", "C"]), label="ASB")
    lorenz_chart(
        lorenz_curve(pd.Series({"A": 1, "B": 1, "C": 1}), ["A", "B", "C"]), label="Burglary", ax=ax
    )
    labels = ax.get_legend_handles_labels()[1]
    assert labels == ["equal spread", "ASB (Gini 0.60)", "Burglary (Gini 0.00)"]
    assert len(ax.lines) == 3
    plt.close(ax.figure)


def test_rank_range_chart_marks_robustness():
    cfg = load_priority_config(NEAR_TIE, use_defaults=False)
    res = sensitivity_analysis(_near_tie(), cfg, draws=200)
    ax = rank_range_chart(res.summary, title="Top two are not settled")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["A", "B", "C", "D"]
    seg_colours = ax.collections[0].get_colors()
    assert mcolors.to_hex(seg_colours[0]) == PALETTE[0].lower()  # A robust
    assert mcolors.to_hex(seg_colours[1]) == PALETTE[5].lower()  # B not robust
    plt.close(ax.figure)
