"""Trend: count GLM (Poisson / NB) and Mann-Kendall with Sen's slope."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import statsmodels.api as sm  # noqa: E402
from scipy import stats  # noqa: E402

from csplib.methods.models import CountTrend, MannKendallTrend  # noqa: E402
from csplib.methods.models._glm import _pearson_alpha, design  # noqa: E402

IDX = pd.date_range("2019-01-01", periods=60, freq="MS")
SEASON = np.exp(0.25 * np.sin(2 * np.pi * IDX.month.to_numpy() / 12))
T = np.arange(60)


def simulate(rng, annual=-0.10, mean=30.0, alpha=0.0, n=1):
    mu = mean * SEASON * (1 + annual) ** (T / 12)
    mu = np.tile(mu, (n, 1))
    if alpha:
        return rng.negative_binomial(1 / alpha, 1 / (1 + alpha * mu))
    return rng.poisson(mu)


@pytest.mark.parametrize(("alpha", "family"), [(0.0, "Poisson"), (0.1, "negative binomial")])
def test_annual_change_is_unbiased_and_ci_covers_at_nominal_rate(alpha, family):
    rng = np.random.default_rng(2024 if alpha else 11)
    ys = simulate(rng, alpha=alpha, n=300)
    estimates, covered, chosen = [], 0, []
    for y in ys:
        res = CountTrend(pd.Series(y, index=IDX)).fit()
        estimates.append(res.annual_change)
        covered += res.ci[0] < -0.10 < res.ci[1]
        chosen.append(res.family)
    # unbiased on the model's (log) scale; on the % scale only Jensen's small upward bias
    assert np.mean(np.log1p(estimates)) == pytest.approx(np.log(0.9), abs=0.004)
    assert np.mean(estimates) == pytest.approx(-0.10, abs=0.006)
    assert 0.92 <= covered / 300 <= 0.98
    share = np.mean([c == family for c in chosen])
    # NB whenever overdispersed; Poisson ~95% of the time when not (the test has 5% size)
    assert share >= (0.98 if alpha else 0.90)


def test_estimate_matches_statsmodels_glm_directly():
    y = pd.Series(simulate(np.random.default_rng(5))[0], index=IDX)
    res = CountTrend(y, family="poisson").fit()
    X = design(IDX, IDX[0], seasonal=True, trend=True)
    ref = sm.GLM(y.to_numpy(), X.to_numpy(), family=sm.families.Poisson()).fit()
    beta, se = ref.params[1], ref.bse[1]
    assert res.annual_change == pytest.approx(np.expm1(12 * beta))
    assert res.ci[0] == pytest.approx(np.expm1(12 * (beta - 1.959964 * se)), rel=1e-5)
    assert res.p_value == pytest.approx(ref.pvalues[1])
    assert res.method == "Poisson GLM: month of year + linear trend"
    assert res.table.loc[0, "annual_change_pct"] == pytest.approx(100 * res.annual_change)
    np.testing.assert_allclose(res.fitted.to_numpy(), ref.mu)


def test_negative_binomial_alpha_is_the_pearson_moment_estimate():
    y = pd.Series(simulate(np.random.default_rng(8), alpha=0.15)[0], index=IDX)
    res = CountTrend(y).fit()
    assert res.family == "negative binomial"
    X = design(IDX, IDX[0], seasonal=True, trend=True)
    nb = sm.GLM(
        y.to_numpy(), X.to_numpy(), family=sm.families.NegativeBinomial(alpha=res.alpha)
    ).fit()
    # at the reported alpha the Pearson statistic equals the residual degrees of freedom
    assert nb.pearson_chi2 == pytest.approx(nb.df_resid, rel=1e-4)
    assert res.annual_change == pytest.approx(np.expm1(12 * nb.params[1]), rel=1e-4)
    assert "overdispersion test p" in res.note


def test_pearson_alpha_is_zero_when_not_overdispersed():
    y = np.array([10.0, 10, 10, 10])
    assert _pearson_alpha(y, np.full(4, 10.0), 3) == 0.0


def test_forcing_negbin_on_underdispersed_counts_falls_back_to_poisson_with_note():
    y = pd.Series(30 + np.arange(60) % 2, index=IDX)
    res = CountTrend(y, family="negbin").fit()
    assert res.family == "Poisson"
    assert "no overdispersion" in res.note


def test_missing_months_are_left_out_not_zero():
    y = pd.Series(simulate(np.random.default_rng(9))[0], index=IDX).astype(float)
    y.iloc[[5, 30]] = np.nan
    res = CountTrend(y, family="poisson").fit()
    assert "No data for 2019-06, 2021-07 (left out)" in res.note
    X = design(IDX, IDX[0], seasonal=True, trend=True)
    keep = y.notna().to_numpy()
    ref = sm.GLM(y.to_numpy()[keep], X.to_numpy()[keep], family=sm.families.Poisson()).fit()
    assert res.annual_change == pytest.approx(np.expm1(12 * ref.params[1]))


def test_short_series_drops_seasonality_and_says_so():
    y = pd.Series(simulate(np.random.default_rng(1))[0][:18], index=IDX[:18])
    res = CountTrend(y).fit()
    assert res.method.endswith("linear trend, no seasonality")
    assert "only 18 months with data" in res.note
    assert "may partly reflect the season" in res.note
    assert np.isfinite(res.annual_change)


def test_too_short_and_all_zero_series_give_no_estimate_and_no_exception():
    few = CountTrend(pd.Series([3, 4, 5], index=IDX[:3])).fit()
    assert np.isnan(few.annual_change) and few.method == "none (too few months)"
    zeros = CountTrend(pd.Series(0, index=IDX)).fit()
    assert np.isnan(zeros.annual_change)
    assert zeros.method == "none (every month is zero or missing)"
    # rule of three: the 95% upper bound of a Poisson rate after 60 zero months is 3/60
    assert "upper bound of the monthly rate is 0.05" in zeros.note


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"family": "nb"}, "family must be one of 'auto', 'poisson', 'negbin'"),
        ({"level": 0}, "level must be a number strictly between 0 and 1"),
        ({"seasonal": "no"}, "seasonal must be True or False"),
    ],
)
def test_trend_argument_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        CountTrend(pd.Series(1, index=IDX), **kwargs)


def test_mann_kendall_matches_scipy_on_hand_deseasonalised_values():
    y = pd.Series(simulate(np.random.default_rng(4))[0], index=IDX)
    res = MannKendallTrend(y).fit()
    month_mean = y.groupby(IDX.month).transform("mean")
    des = y - month_mean + y.mean()
    ref = stats.kendalltau(T, des.to_numpy())
    assert res.tau == pytest.approx(ref.statistic)
    assert res.p_value == pytest.approx(ref.pvalue)
    sen = stats.theilslopes(des.to_numpy(), T)
    assert res.sen_slope == pytest.approx(12 * sen.slope)
    assert res.sen_pct == pytest.approx(100 * 12 * sen.slope / y.mean())
    assert res.tau < 0 and res.p_value < 0.01  # the simulated fall is detected
    np.testing.assert_allclose(res.deseasonalised.to_numpy(), des.to_numpy())


def test_mann_kendall_ties_use_the_tie_corrected_variance():
    y = pd.Series(np.repeat([5, 6, 7], 4), index=IDX[:12])  # many ties, not deseasonalised
    res = MannKendallTrend(y).fit()
    assert "Not deseasonalised" in res.note
    ref = stats.kendalltau(np.arange(12), y.to_numpy(), method="asymptotic")
    assert res.p_value == pytest.approx(ref.pvalue)
    assert res.tau == pytest.approx(ref.statistic)  # tau-b


def test_mann_kendall_on_a_constant_series_reports_no_test():
    res = MannKendallTrend(pd.Series(4, index=IDX)).fit()
    assert res.method == "none" and "every value is the same" in res.note
    assert np.isnan(res.p_value)


def test_mann_kendall_argument_validation():
    with pytest.raises(ValueError, match="deseasonalise must be True or False"):
        MannKendallTrend(pd.Series(1, index=IDX), deseasonalise=None)


def test_trend_plot_returns_axes():
    res = CountTrend(pd.Series(simulate(np.random.default_rng(3))[0], index=IDX)).fit()
    ax = res.plot(title="Falling by about 10% a year")
    assert ax.get_title(loc="left") == "Falling by about 10% a year"
    assert {line.get_label() for line in ax.get_lines()} >= {"Recorded", "Trend"}
