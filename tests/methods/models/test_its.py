"""Interrupted time series: planted level and slope changes are recovered."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import statsmodels.api as sm  # noqa: E402

from csplib.methods.models import InterruptedTimeSeries  # noqa: E402

IDX = pd.date_range("2017-01-01", periods=72, freq="MS")
START = pd.Timestamp("2020-04-01")
AFTER = IDX >= START
SINCE = np.where(AFTER, (IDX.year - 2020) * 12 + IDX.month - 4, 0)
SEASON = np.exp(0.25 * np.sin(2 * np.pi * IDX.month.to_numpy() / 12))


def simulate(rng, level=0.7, slope=1.0, alpha=0.0, mean=40.0, pre_trend=1.02):
    t = np.arange(72)
    mu = mean * SEASON * pre_trend ** (t / 12) * np.where(AFTER, level, 1.0) * slope ** (SINCE / 12)
    if alpha:
        return pd.Series(rng.negative_binomial(1 / alpha, 1 / (1 + alpha * mu)), index=IDX)
    return pd.Series(rng.poisson(mu), index=IDX)


def test_planted_level_change_is_recovered_within_its_ci():
    res = InterruptedTimeSeries(simulate(np.random.default_rng(1)), "2020-04").fit()
    rr = res.rate_ratios
    assert rr.loc["level change", "lower"] < 0.7 < rr.loc["level change", "upper"]
    assert res.table.loc["level change", "p_value"] < 1e-6
    assert res.table.loc["level change", "estimate"] == pytest.approx(-0.3, abs=0.08)
    assert res.config["family_used"] == "Poisson"


def test_level_change_ci_covers_the_truth_at_about_the_nominal_rate():
    rng = np.random.default_rng(2)
    covered = 0
    for _ in range(150):
        rr = InterruptedTimeSeries(simulate(rng, alpha=0.05), "2020-04").fit().rate_ratios
        covered += rr.loc["level change", "lower"] < 0.7 < rr.loc["level change", "upper"]
    assert 0.90 <= covered / 150 <= 0.99


def test_planted_slope_change_is_recovered():
    # before: +2% a year; after: a further -20% a year
    res = InterruptedTimeSeries(
        simulate(np.random.default_rng(3), level=1.0, slope=0.8, mean=80), "2020-04"
    ).fit()
    t = res.table
    assert t.loc["slope change", "lower"] < -0.2 < t.loc["slope change", "upper"]
    assert t.loc["trend before", "lower"] < 0.02 < t.loc["trend before", "upper"]
    after = 1.02 * 0.8 - 1
    assert t.loc["trend after", "lower"] < after < t.loc["trend after", "upper"]
    assert t.loc["level change", "lower"] < 0 < t.loc["level change", "upper"]


def test_estimates_match_a_direct_statsmodels_fit():
    y = simulate(np.random.default_rng(4))
    res = InterruptedTimeSeries(y, "2020-04", family="poisson").fit()
    t = np.arange(72)
    months = np.column_stack([(IDX.month == m).astype(float) for m in range(2, 13)])
    X = np.column_stack([np.ones(72), t, months, AFTER.astype(float), SINCE])
    ref = sm.GLM(y.to_numpy(), X, family=sm.families.Poisson()).fit()
    assert res.table.loc["level change", "estimate"] == pytest.approx(np.expm1(ref.params[13]))
    assert res.table.loc["slope change", "estimate"] == pytest.approx(np.expm1(12 * ref.params[14]))
    assert res.table.loc["level change", "p_value"] == pytest.approx(ref.pvalues[13])
    np.testing.assert_allclose(res.fitted.to_numpy(), ref.mu)


def test_counterfactual_continues_the_pre_period_and_is_blank_before():
    y = simulate(np.random.default_rng(5))
    res = InterruptedTimeSeries(y, "2020-04").fit()
    assert res.counterfactual[~AFTER].isna().all()
    # fitted / counterfactual = level ratio x (slope ratio) ^ (months since / 12)
    ratio = (res.fitted[AFTER] / res.counterfactual[AFTER]).to_numpy()
    level = 1 + res.table.loc["level change", "estimate"]
    slope = 1 + res.table.loc["slope change", "estimate"]
    np.testing.assert_allclose(ratio, level * slope ** (SINCE[AFTER] / 12))
    assert (res.counterfactual[AFTER] > res.fitted[AFTER]).all()  # a drop


def test_level_only_model_has_no_slope_rows():
    res = InterruptedTimeSeries(
        simulate(np.random.default_rng(6)), "2020-04", slope_change=False
    ).fit()
    assert list(res.table.index) == ["level change", "trend before"]
    assert "level change at 2020-04" in res.method


def test_short_series_drops_seasonality_and_zero_series_gives_none():
    y = simulate(np.random.default_rng(7)).loc["2019-10-01":"2020-09-01"]
    res = InterruptedTimeSeries(y, "2020-04").fit()
    assert "No month-of-year effects: only 12 months with data" in res.note
    assert res.config["seasonal_used"] is False
    zero = InterruptedTimeSeries(pd.Series(0, index=IDX), "2020-04").fit()
    assert zero.method.startswith("none")
    assert zero.table["estimate"].isna().all()


def test_all_zero_after_the_intervention_gives_a_boundary_note_not_an_exception():
    y = simulate(np.random.default_rng(10)).astype(float)
    y[AFTER] = 0
    res = InterruptedTimeSeries(y, "2020-04").fit()
    assert res.table.loc["level change", "estimate"] == pytest.approx(-1.0, abs=1e-3)
    assert "intervals are not informative" in res.note


def test_overdispersed_counts_use_negative_binomial():
    res = InterruptedTimeSeries(simulate(np.random.default_rng(8), alpha=0.2), "2020-04").fit()
    assert res.config["family_used"] == "negative binomial"
    assert "segmented negative binomial" in res.method


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"intervention": "2030-01"}, r"intervention must fall inside the series \(2017-01"),
        ({"intervention": "2017-02"}, r"at least min_months \(3\) months with data on each side"),
        ({"intervention": "2022-12"}, "leaves 71 before and 1 from it"),
        ({"intervention": "2020-04", "family": "quasi"}, "family must be one of"),
        ({"intervention": "2020-04", "slope_change": "yes"}, "slope_change must be True or False"),
        ({"intervention": "2020-04", "min_months": 1}, r"min_months must be an integer >= 2"),
    ],
)
def test_argument_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        InterruptedTimeSeries(simulate(np.random.default_rng(0)), **kwargs)


def test_plot_returns_axes():
    res = InterruptedTimeSeries(simulate(np.random.default_rng(9)), "2020-04").fit()
    ax = res.plot(title="Fell by a third at lockdown")
    assert ax.get_title(loc="left") == "Fell by a third at lockdown"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "Had nothing changed" in labels
