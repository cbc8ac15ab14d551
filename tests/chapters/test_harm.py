"""Harm chapter tables: weights roll-up, rows weighted, Crime Severity Score, its change."""

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csplib.chapters.harm import (
    HarmAssessment,
    assess,
    assess_harm,
    chart_titles,
    describe_weights,
    harm_findings,
)
from csplib.chapters.result import ChapterResult
from csplib.core.errors import ParamsError
from csplib.core.periods import Period
from csplib.core.schema import ASB
from csplib.ingest.harm_weights import HarmWeights, load_harm_weights
from csplib.ingest.partner import OFFENCE_CODES_FILE
from csplib.ingest.store import load_store
from csplib.methods.harm import harm_rows, weigh_rows
from csplib.methods.harm_severity import css_change, harm_by_year, severity_scores
from csplib.methods.harm_tables import (
    category_weight_table,
    code_weight_table,
    harm_by_code,
    harm_by_theme,
)
from csplib.params import load_params
from csplib.present.charts.harm import harm_share_chart, harm_trend_chart
from csplib.present.disclosure import protect

REPO = Path(__file__).resolve().parents[2]
REF = REPO / "data" / "reference"
WEIGHTS = REF / "harm" / "ons_css_weights_by_offence_code.csv"
MIX = REF / "home_office" / "recorded_crime_nottinghamshire_offence_2017-18.csv"
SMALL = REPO / "tests" / "fixtures" / "params" / "small.yaml"


def _read_commented_csv(path):
    text = Path(path).read_text(encoding="utf-8-sig")
    body = "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith("#"))
    return pd.read_csv(io.StringIO(body), dtype=str)


def _plain_code_weights():
    """Offence code -> CSS weight read with plain pandas (joined codes split into parts)."""
    raw = _read_commented_csv(WEIGHTS)
    out = {}
    for code, weight in zip(raw["ho_offence_code"], raw["css_weight"].astype(float), strict=True):
        for part in [code, *code.split("/")]:
            out.setdefault(part.strip().upper().lstrip("0") or "0", weight)
    return out


@pytest.fixture(scope="module")
def weights():
    return load_harm_weights(WEIGHTS, MIX, offence_codes=REF / OFFENCE_CODES_FILE)


# ----------------------------------------------------------------------------- weights
def test_category_weights_recomputed_from_the_raw_files(weights):
    mix = pd.read_csv(MIX, dtype={"Offence_Code": str})
    mix = mix.groupby(["Offence_Code", "Policeuk_Cat"], as_index=False)["Number_of_Offences"].sum()
    code_w = _plain_code_weights()
    mix["weight"] = mix["Offence_Code"].str.upper().str.lstrip("0").map(code_w)
    mix = mix[mix["weight"].notna() & (mix["Number_of_Offences"] > 0)]
    for cat, part in mix.groupby(mix["Policeuk_Cat"].str.lower()):
        expected = (part["weight"] * part["Number_of_Offences"]).sum() / part[
            "Number_of_Offences"
        ].sum()
        got = weights.category_weights.rename(str.lower)[cat]
        assert got == pytest.approx(expected, rel=1e-12), cat


def test_code_table_contributions_add_up_to_the_category_weight(weights):
    codes = code_weight_table(weights)
    sums = codes.groupby("category")["contribution"].sum()
    cat = weights.category_weights.dropna()
    assert sums.reindex(cat.index).to_numpy() == pytest.approx(cat.to_numpy(), rel=1e-12)
    assert codes.groupby("category")["mix_share"].sum().to_numpy() == pytest.approx(100.0)


def test_violence_weight_lies_between_common_assault_and_gbh_with_intent(weights):
    vso = weights.category_weights["Violence and sexual offences"]
    assert weights.code_weights["105A"] < vso < weights.code_weights["5D"]
    table = category_weight_table(weights)
    assert table.loc["Violence and sexual offences", "lowest_code_weight"] < vso
    assert np.isnan(table.loc[ASB, "weight"]) and "not zero" in table.loc[ASB, "note"]


def test_scheme_is_named_after_a_file_that_is_not_the_css(tmp_path):
    other = tmp_path / "chi.csv"
    other.write_text("offence_code,weight,police_uk_category\n28E,100,Burglary\n")
    hw = load_harm_weights(other, MIX)
    assert hw.scheme == "chi"
    assert hw.category_weights["Burglary"] == pytest.approx(100.0)  # the only weighted code
    assert "without a weight" in hw.categories.loc["Burglary", "note"]
    assert describe_weights(hw).startswith("Weights: chi (chi.csv). Offence mix: ")


# ----------------------------------------------------------------------------- rows
def _incidents():
    return pd.DataFrame(
        {
            "month": pd.to_datetime(["2020-01-01"] * 4),
            "category": ["Burglary", "Robbery", ASB, ASB],
            "lsoa": ["A", "A", "B", "B"],
        }
    )


def _partner(codes=("28E", "34B", "34B")):
    return pd.DataFrame(
        {
            "month": pd.to_datetime(["2020-01-01"] * 3),
            "category": ["Burglary", "Robbery", "Robbery"],
            "lsoa": ["A", "A", "B"],
            "offence_code": list(codes),
            "hate": [False, True, False],
            "domestic": [False, False, True],
            "weapon": [False, False, False],
        }
    )


def test_harm_rows_take_crimes_from_the_partner_extract_and_asb_from_police_uk():
    rows = harm_rows(_incidents(), _partner())
    assert rows.attrs["by_code"] is True
    assert rows["table"].value_counts().to_dict() == {"partner": 3, "police.uk": 2}
    assert (rows.loc[rows["table"] == "police.uk", "category"] == ASB).all()
    assert str(rows["hate"].dtype) == "boolean" and rows["hate"].isna().sum() == 2


def test_harm_rows_fall_back_to_police_uk_without_codes():
    for partner in (None, _partner(codes=("", None, " "))):
        rows = harm_rows(_incidents(), partner)
        assert rows.attrs["by_code"] is False and len(rows) == 4
        assert "category's weight" in rows.attrs["source"]


def test_weigh_rows_uses_the_code_where_there_is_one():
    mix = pd.DataFrame(
        {"category": ["Burglary", "Burglary", "Robbery"], "offences": [30, 10, 5]},
        index=["28E", "30C", "34B"],
    )
    hw = HarmWeights.from_tables({"28E": 100.0, "30C": 20.0, "34B": 700.0}, mix)
    rows = weigh_rows(harm_rows(_incidents(), _partner(codes=("30C", "34B", "99Z"))), hw)
    # 30C by code (not the Burglary average of 80); 99Z has no weight: NaN, not the average
    assert rows["harm_weight"].tolist()[:3] == [20.0, 700.0, pytest.approx(np.nan, nan_ok=True)]
    assert rows.loc[rows["category"] == ASB, "harm_weight"].isna().all()


def test_harm_by_code_counts_and_harm():
    rows = pd.DataFrame(
        {
            "month": pd.to_datetime(["2020-01-01", "2020-01-01", "2020-02-01", "2021-01-01"]),
            "category": ["Robbery", "Robbery", "Burglary", "Burglary"],
            "offence_code": ["34B", "34B", "28E", "99Z"],
        }
    )
    t = harm_by_code(rows, code_weights={"34B": 150.0, "28E": 100.0}, period="2019/20")
    assert t.index.tolist() == ["34B", "28E"]
    assert t["count"].tolist() == [2.0, 1.0] and t["harm"].tolist() == [300.0, 100.0]
    t_all = harm_by_code(rows, code_weights={"34B": 150.0, "28E": 100.0})
    assert np.isnan(t_all.loc["99Z", "harm"])  # no weight: unknown harm, not zero


# ----------------------------------------------------------------------------- scores
def test_severity_scores_hand_worked_with_coverage():
    months = pd.to_datetime(["2019-04-01", "2019-05-01", "2019-05-01", "2020-04-01"])
    rows = pd.DataFrame({"month": months, "category": ["Burglary", "Robbery", ASB, "Burglary"]})
    w = {"Burglary": 100.0, "Robbery": 300.0}
    t = severity_scores(
        rows,
        {"now": "2020/21", "then": "2019/20"},
        {"now": 50.0, "then": 40.0},
        category_weights=w,
        population_year={"now": 2020, "then": 2019},
    )
    assert t.loc["then", ["crimes", "harm", "harm_squares"]].tolist() == [2.0, 400.0, 1e5]
    assert t.loc["then", "css"] == pytest.approx(10.0)  # 400 / 40 residents
    assert t.loc["now", "css"] == pytest.approx(2.0)
    assert t.loc["then", "coverage"] == "2 of 12 months (10 missing)"
    assert t.loc["now", "population_year"] == 2020
    with pytest.raises(ParamsError, match="no population"):
        severity_scores(rows, {"x": "2019/20"}, {}, category_weights=w)


def test_css_change_interval_is_the_delta_method_on_the_log_ratio():
    s = pd.DataFrame(
        {"css": [1.8, 2.0], "harm": [900.0, 1000.0], "harm_squares": [9e4, 1e5]},
        index=["now", "then"],
    )
    c = css_change(s, "now", "then")
    se = np.sqrt(9e4 / 900**2 + 1e5 / 1000**2)
    assert c["ratio"] == pytest.approx(0.9)
    assert c["ci_low"] == pytest.approx(100 * (0.9 * np.exp(-1.959963985 * se) - 1))
    assert c["ci_high"] == pytest.approx(100 * (0.9 * np.exp(1.959963985 * se) - 1))
    assert not c["significant"] and c["direction"] == "none"
    with pytest.raises(ParamsError, match="no score named"):
        css_change(s, "now", "baseline")


@pytest.mark.parametrize("true_ratio", [1.0, 0.8])
def test_css_change_interval_covers_the_truth_in_simulated_compound_poisson_harm(true_ratio):
    rng = np.random.default_rng(7 if true_ratio == 1 else 8)
    w = np.array([5.0, 13.5, 189.0, 2035.0, 2953.0])  # common assault ... rape
    lam = np.array([3000.0, 2500.0, 1500.0, 60.0, 30.0])
    n_sims, covered = 1000, 0
    for _ in range(n_sims):
        n1 = rng.poisson(lam * true_ratio)
        n0 = rng.poisson(lam)
        s = pd.DataFrame(
            {
                "css": [w @ n1 / 1000, w @ n0 / 1000],
                "harm": [w @ n1, w @ n0],
                "harm_squares": [w**2 @ n1, w**2 @ n0],
            },
            index=["now", "then"],
        )
        c = css_change(s, "now", "then")
        covered += c["ci_low"] <= 100 * (true_ratio - 1) <= c["ci_high"]
    assert 0.93 <= covered / n_sims <= 0.97


def test_harm_by_year_marks_missing_months_and_scores_each_year():
    months = pd.date_range("2019-04-01", "2021-03-01", freq="MS")
    months = months[months != pd.Timestamp("2020-08-01")]  # a gap
    rows = pd.DataFrame({"month": months, "category": "Burglary"})
    rows = pd.concat([rows, pd.DataFrame({"month": months[:2], "category": ASB})])
    t = harm_by_year(rows, {"2019/20": 10.0, "2020/21": 20.0}, category_weights={"Burglary": 5.0})
    assert t["months"].tolist() == [12, 11] and t["complete"].tolist() == [True, False]
    assert t.loc["2020/21", "coverage"] == "11 of 12 months (missing: Aug 2020)"
    assert t["harm"].tolist() == [60.0, 55.0]  # ASB left out
    assert t["css"].tolist() == [6.0, 2.75]


def test_harm_by_theme_skips_flag_themes_without_flags_and_keeps_asb_unweighted():
    themes = {
        "asb": {"name": "ASB", "categories": [ASB]},
        "hate": {"name": "Hate crime", "flags": {"hate": True}},
        "burglary": {"name": "Burglary", "categories": ["Burglary"]},
    }
    w = {"Burglary": 100.0, "Robbery": 300.0}
    police_only = harm_by_theme(themes, harm_rows(_incidents()), category_weights=w)
    assert police_only.index.tolist() == ["Burglary", "ASB"]
    assert police_only.attrs["skipped"][0][0] == "Hate crime"
    assert np.isnan(police_only.loc["ASB", "harm"])
    assert np.isnan(police_only.loc["ASB", "volume_share"])
    with_partner = harm_by_theme(
        themes,
        harm_rows(_incidents(), _partner()),
        category_weights=w,
        code_weights={"28E": 100.0, "34B": 300.0},
    )
    assert with_partner.loc["Hate crime", "harm"] == 300.0  # the one hate-flagged robbery
    assert with_partner.loc["Hate crime", "harm_share"] == pytest.approx(300 / 700 * 100)
    assert not with_partner.attrs["skipped"]


# ----------------------------------------------------------------------------- findings
def _assessment(change=None, period="2020/21"):
    by_cat = pd.DataFrame(
        {
            "harm_share": [60.0, 40.0, np.nan, 100.0],
            "volume_share": [20.0, 80.0, np.nan, 100.0],
            "harm": [600.0, 400.0, np.nan, 1000.0],
        },
        index=["Robbery", "Shoplifting", ASB, "All"],
    )
    scores = pd.DataFrame(
        {
            "period": [period, "2018/19"],
            "css": [0.5, 0.6],
            "coverage": [f"all {Period.parse(period).n_months} months", "all 12 months"],
        },
        index=["assessed period", "baseline"],
    )
    themes = pd.DataFrame(
        {
            "weighted": [5.0, 0.0],
            "harm_share": [30.0, np.nan],
            "volume_share": [10.0, np.nan],
            "harm_volume_ratio": [3.0, np.nan],
        },
        index=["Serious violence", "ASB"],
    )
    trend = pd.DataFrame(
        {"css": [0.6, 0.5], "complete": [True, True]}, index=["2018/19", "2020/21"]
    )
    return HarmAssessment(
        "Town",
        Period.parse(period),
        Period.parse("2018/19"),
        None,
        "",
        False,
        by_cat,
        pd.DataFrame(),
        scores,
        change,
        themes,
        trend,
    )


def test_findings_state_the_numbers_and_the_significance():
    change = pd.Series(
        {
            "ratio": 0.833,
            "pct_change": -16.7,
            "ci_low": -20.1,
            "ci_high": -13.0,
            "significant": True,
        }
    )
    texts = [f.text for f in harm_findings(_assessment(change))]
    assert texts[0].startswith("Robbery caused 60.0% of the harm of crime in Town in 2020/21")
    assert "Shoplifting, the most numerous category (80.0% of crimes), caused 40.0%" in texts[1]
    assert (
        "0.50 per resident in 2020/21, against 0.60 in the baseline 2018/19: a change of "
        "-16.7% (95% CI -20.1% to -13.0%); the change is statistically significant."
    ) in texts[2]
    assert "Serious violence carries the most harm for its volume: 30.0%" in texts[3]
    assert {f.evidence for f in harm_findings(_assessment(change))} == {"03_harm"}
    titles = chart_titles(_assessment(change))
    assert titles["share"].startswith("Robbery: 60% of the harm")
    assert titles["trend"].endswith("against the peak of 0.6 in 2018/19")


def test_findings_say_when_the_period_is_not_a_year():
    r = _assessment(period="Jan 24 - Mar 24")
    texts = [f.text for f in harm_findings(r)]
    assert any("(a 3-month period, not annualised)." in t for t in texts)


# ----------------------------------------------------------------------------- charts
def test_harm_share_chart_draws_both_shares_without_totals_or_asb():
    t = pd.DataFrame(
        {"volume_share": [20.0, 80.0, np.nan, 100.0], "harm_share": [70.0, 30.0, np.nan, 100.0]},
        index=["Robbery", "Shoplifting", ASB, "All"],
    )
    ax = harm_share_chart(t)
    heights = sorted(round(p.get_width(), 1) for p in ax.patches)
    assert heights == [20.0, 30.0, 70.0, 80.0]
    with pytest.raises(ValueError, match="harm_share"):
        harm_share_chart(t.drop(columns="harm_share"))


def test_harm_trend_chart_hatches_partial_years():
    t = pd.DataFrame(
        {"css": [20.0, 21.0, 5.0], "complete": [True, True, False]},
        index=pd.Index(["2021/22", "2022/23", "2023/24"], name="financial_year"),
    )
    ax = harm_trend_chart(t)
    assert [p.get_hatch() for p in ax.patches[:3]] == [None, None, "//"]
    assert ax.get_xlabel() == "financial year"


# ----------------------------------------------------------------------------- end to end
def test_assess_harm_on_three_months_of_real_police_uk_data():
    params = load_params(SMALL)
    store = load_store(params)
    r = assess_harm(params, store)
    assert r.by_code is False and r.change is None and r.notes["change"]
    crimes = store.incidents[store.incidents["category"] != ASB]
    expected = crimes["category"].map(r.weights.category_weights).sum()
    assert r.period.n_months == 3  # the score is for the 3 months, not annualised
    residents = r.scores.loc["assessed period", "residents"]
    assert r.scores.loc["assessed period", "css"] == pytest.approx(expected / residents)
    assert r.by_category.loc["All", "weighted"] == len(crimes)
    assert r.trend["complete"].tolist() == [False]


@pytest.fixture(scope="module")
def small_result():
    params = load_params(SMALL)

    class Ctx:  # what a chapter reads of its context
        pass

    ctx = Ctx()
    ctx.params, ctx.store = params, load_store(params)
    return ctx, assess(ctx)


def test_assess_declares_every_table_it_shows(small_result):
    ctx, result = small_result
    assert isinstance(result, ChapterResult) and result.chapter == "03_harm"
    # no partner extract: no offence-code table; no baseline: no change table
    assert list(result.tables) == [
        "category_weights",
        "code_weights",
        "harm_by_category",
        "crime_severity_score",
        "harm_by_theme",
        "harm_by_year",
    ]
    assert result.notes["codes"] and result.notes["change"]
    by_cat = result.table("harm_by_category")
    assert by_cat.counts == ("count", "weighted", "unweighted")
    assert by_cat.derived == {
        "harm": ("count",),
        "harm_per_offence": ("count",),
        "volume_share": ("weighted",),
        "harm_share": ("count",),
        "harm_volume_ratio": ("count",),
    }
    assert by_cat.caption.startswith("Crimes and harm by category, ")
    assert result.table("category_weights").counts == ()  # the published offence mix
    scores = result.table("crime_severity_score")
    assert scores.counts == ("crimes",) and set(scores.derived) == {
        "harm",
        "harm_squares",
        "harm_per_crime",
        "css",
    }
    for table in result.tables.values():  # every declaration is one protect() can apply
        shown, _ = protect(table, threshold=ctx.params.thresholds.suppress_below)
        assert list(shown.columns) == list(table.frame.columns)


def test_assess_states_the_findings_headline_and_titles(small_result):
    _, result = small_result
    scores = result.table("crime_severity_score").frame
    assert result.headline["css"] == pytest.approx(scores.loc["assessed period", "css"])
    assert result.headline["weighted_by_offence_code"] is False
    assert "css_pct_change" not in result.headline  # no baseline
    top = result.headline["most_harmful_category"]
    assert result.findings[0].text.startswith(f"{top} caused ")
    assert set(result.figures) <= {"share", "trend"} and result.figures["share"].startswith(top)
    assert result.notes["weights"][0].startswith("Weights: ONS Crime Severity Score")
    saved = ChapterResult.from_json(result.to_json())
    assert saved.headline["css"] == pytest.approx(result.headline["css"])
    assert [t.name for t in saved.tables.values()] == list(result.tables)
