"""Trend: count GLM (quasi-Poisson / NB2 with a t reference) and seasonal Mann-Kendall."""

import itertools

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import statsmodels.api as sm  # noqa: E402
from scipy import stats  # noqa: E402

from csplib.methods.models import CountTrend, MannKendallTrend  # noqa: E402
from csplib.methods.models._glm import _pearson_alpha, design  # noqa: E402
from csplib.methods.models.kendall import _kendall_variance, _pairs  # noqa: E402
from csplib.methods.models.trend import kendall_tests, trend_fits  # noqa: E402

IDX = pd.date_range("2019-01-01", periods=60, freq="MS")
SEASON = np.exp(0.25 * np.sin(2 * np.pi * IDX.month.to_numpy() / 12))
T = np.arange(60)


def simulate(rng, annual=-0.10, mean=30.0, alpha=0.0, n=1):
    mu = mean * SEASON * (1 + annual) ** (T / 12)
    mu = np.tile(mu, (n, 1))
    if alpha:
        return rng.negative_binomial(1 / alpha, 1 / (1 + alpha * mu)).astype(float)
    return rng.poisson(mu).astype(float)


@pytest.mark.parametrize("alpha", [0.0, 0.1])
def test_annual_change_is_unbiased_and_ci_covers_at_nominal_rate(alpha):
    rng = np.random.default_rng(2024 if alpha else 11)
    ys = simulate(rng, alpha=alpha, n=1000)
    fits = trend_fits(ys, design(IDX, IDX[0], seasonal=True, trend=True))
    q = fits.critical(0.95)
    change = np.expm1(12 * fits.beta)
    covered = (np.expm1(12 * (fits.beta - q * fits.se)) < -0.10) & (
        -0.10 < np.expm1(12 * (fits.beta + q * fits.se))
    )
    # unbiased on the model's (log) scale; on the % scale only Jensen's small upward bias
    assert np.mean(np.log1p(change)) == pytest.approx(np.log(0.9), abs=0.003)
    assert np.mean(change) == pytest.approx(-0.10, abs=0.005)
    assert 0.93 <= covered.mean() <= 0.97  # 1,000 series: SE 0.69 points
    families = pd.Series(fits.family).value_counts(normalize=True)
    if alpha:  # Pearson chi2/df ~ 1 + alpha mu = 4: always negative binomial
        assert families["negative binomial"] == 1.0
    else:  # Poisson counts: chi2/df above or below 1 about half the time each
        assert set(families.index) == {"negative binomial", "quasi-Poisson"}
        assert 0.35 <= families["quasi-Poisson"] <= 0.65


def test_count_trend_is_its_engine_series_by_series():
    ys = simulate(np.random.default_rng(12), alpha=0.05, n=3)
    ys[0] = simulate(np.random.default_rng(13), n=1)[0]
    fits = trend_fits(ys, design(IDX, IDX[0], seasonal=True, trend=True))
    q = stats.t.ppf(0.975, 60 - 13)
    for k, y in enumerate(ys):
        res = CountTrend(pd.Series(y, index=IDX)).fit()
        assert res.family == fits.family[k]
        assert res.annual_change == pytest.approx(np.expm1(12 * fits.beta[k]))
        assert res.ci[1] == pytest.approx(np.expm1(12 * (fits.beta[k] + q * fits.se[k])))
        assert res.p_value == pytest.approx(fits.p_values()[k])
        assert res.config["df"] == 47 and res.config["reference"] == "t"


def test_poisson_family_matches_statsmodels_glm_directly():
    y = pd.Series(simulate(np.random.default_rng(5))[0], index=IDX)
    res = CountTrend(y, family="poisson").fit()
    X = design(IDX, IDX[0], seasonal=True, trend=True)
    ref = sm.GLM(y.to_numpy(), X.to_numpy(), family=sm.families.Poisson()).fit()
    beta, se = ref.params[1], ref.bse[1]
    assert res.annual_change == pytest.approx(np.expm1(12 * beta))
    assert res.ci[0] == pytest.approx(np.expm1(12 * (beta - 1.959964 * se)), rel=1e-5)
    assert res.p_value == pytest.approx(ref.pvalues[1])
    assert res.method == "Poisson (normal reference) GLM: month of year + linear trend"
    assert res.table.loc[0, "annual_change_pct"] == pytest.approx(100 * res.annual_change)
    np.testing.assert_allclose(res.fitted.to_numpy(), ref.mu)


def test_underdispersed_counts_use_quasi_poisson_like_statsmodels_scaled_fit():
    # Pearson chi2/df below 1: Poisson coefficients, covariance scaled by chi2/df, t on df
    y = pd.Series(simulate(np.random.default_rng(3))[0], index=IDX)
    res = CountTrend(y).fit()
    assert res.family == "quasi-Poisson" and res.dispersion < 1
    X = design(IDX, IDX[0], seasonal=True, trend=True).to_numpy()
    ref = sm.GLM(y.to_numpy(), X, family=sm.families.Poisson()).fit(scale="X2", use_t=True)
    assert ref.scale == pytest.approx(res.dispersion)
    assert res.p_value == pytest.approx(ref.pvalues[1], rel=1e-5)
    low, high = ref.conf_int(0.05)[1]
    assert res.ci == pytest.approx((np.expm1(12 * low), np.expm1(12 * high)), rel=1e-5)
    assert res.method.startswith("quasi-Poisson (dispersion 0.")
    assert "t on 47 df" in res.method and "below 1, used to scale" in res.note


def test_a_constant_series_is_no_significant_trend():
    """A perfect fit has chi2 = 0: the scale is floored (0.1% point of chi2(df) / df), so a
    zero slope with a zero standard error cannot come out 'significant'."""
    res = CountTrend(pd.Series(30, index=IDX)).fit()
    assert res.family == "quasi-Poisson" and res.dispersion == pytest.approx(0, abs=1e-12)
    assert res.p_value > 0.5 and abs(res.annual_change) < 1e-9
    assert res.ci[0] < 0 < res.ci[1] and res.ci[1] - res.ci[0] > 0.01


def test_negative_binomial_alpha_is_the_pearson_moment_estimate():
    y = pd.Series(simulate(np.random.default_rng(8), alpha=0.15)[0], index=IDX)
    res = CountTrend(y).fit()
    assert res.family == "negative binomial"
    X = design(IDX, IDX[0], seasonal=True, trend=True)
    nb = sm.GLM(
        y.to_numpy(), X.to_numpy(), family=sm.families.NegativeBinomial(alpha=res.alpha)
    ).fit(use_t=True)
    # at the reported alpha the Pearson statistic equals the residual degrees of freedom
    assert nb.pearson_chi2 == pytest.approx(nb.df_resid, rel=1e-4)
    assert res.alpha == pytest.approx(_pearson_alpha(y.to_numpy(), nb.mu, 47), rel=1e-4)
    assert res.annual_change == pytest.approx(np.expm1(12 * nb.params[1]), rel=1e-4)
    assert res.p_value == pytest.approx(nb.pvalues[1], rel=1e-3)  # t on 47 df
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


def test_seasonal_mann_kendall_matches_a_direct_computation():
    y = pd.Series(simulate(np.random.default_rng(4), mean=6.0)[0], index=IDX)  # ties
    res = MannKendallTrend(y, autocorrelation=False).fit()
    S, var, pairs, slopes = 0, 0.0, 0, []
    for m in range(1, 13):
        v = y[IDX.month == m].to_numpy()
        t = T[IDX.month == m]
        for a, b in itertools.combinations(range(len(v)), 2):
            S += np.sign(v[b] - v[a])
            slopes.append((v[b] - v[a]) / (t[b] - t[a]))
            pairs += 1
        ties = np.unique(v, return_counts=True)[1]
        var += (5 * 4 * 15 - np.sum(ties * (ties - 1) * (2 * ties + 5))) / 18
    assert res.tau == pytest.approx(S / pairs)
    assert res.p_value == pytest.approx(2 * stats.norm.sf(abs(S) / np.sqrt(var)))
    assert res.sen_slope == pytest.approx(12 * np.median(slopes))
    assert res.sen_pct == pytest.approx(100 * 12 * np.median(slopes) / y.mean())
    assert res.tau < 0 and res.p_value < 0.01  # the simulated fall is detected
    assert res.method.startswith("Seasonal Mann-Kendall")
    des = y - y.groupby(IDX.month).transform("mean") + y.mean()
    np.testing.assert_allclose(res.deseasonalised.to_numpy(), des.to_numpy())


def test_plain_mann_kendall_without_correction_matches_scipy():
    y = pd.Series(simulate(np.random.default_rng(6), mean=8.0)[0][:40], index=IDX[:40])
    res = MannKendallTrend(y, deseasonalise=False, autocorrelation=False).fit()
    ref = stats.kendalltau(T[:40], y.to_numpy(), method="asymptotic")
    assert res.p_value == pytest.approx(ref.pvalue)  # tie-corrected variance, no correction
    sen = stats.theilslopes(y.to_numpy(), T[:40], alpha=0.95)
    assert res.sen_slope == pytest.approx(12 * sen.slope)
    assert res.sen_ci == pytest.approx((12 * sen.low_slope, 12 * sen.high_slope))


def test_mann_kendall_ties_use_the_tie_corrected_variance():
    y = pd.Series(np.repeat([5, 6, 7], 4), index=IDX[:12])  # many ties, not seasonal
    res = MannKendallTrend(y, autocorrelation=False).fit()
    assert "Not seasonal: 12 months with data" in res.note
    ref = stats.kendalltau(np.arange(12), y.to_numpy(), method="asymptotic")
    assert res.p_value == pytest.approx(ref.pvalue)
    assert res.tau == pytest.approx(48 / 66)  # S over all 66 pairs (48 rising, 18 tied)


def test_kendall_variance_under_ar1_matches_simulation():
    t = np.arange(48.0)
    i, j = _pairs(t.astype(int) % 12)
    # independence: the textbook 12 m(m-1)(2m+5)/18 with m = 4 years
    assert _kendall_variance(t, i, j, 0.0) == pytest.approx(12 * 4 * 3 * 13 / 18)
    rng = np.random.default_rng(21)
    x = np.empty((20000, 48))
    x[:, 0] = rng.standard_normal(20000)
    for k in range(1, 48):
        x[:, k] = 0.5 * x[:, k - 1] + np.sqrt(0.75) * rng.standard_normal(20000)
    S = kendall_tests(x, t, t.astype(int) % 12, autocorrelation=False).S
    # 20,000 draws: the variance is known to about 1% (sqrt(2 / 20000)); allow 4%
    assert S.var() == pytest.approx(_kendall_variance(t, i, j, 0.5), rel=0.04)
    assert S.var() > 1.3 * _kendall_variance(t, i, j, 0.0)  # the correction matters


def test_lag1_autocorrelation_estimate_is_bias_corrected():
    rng = np.random.default_rng(22)
    t = np.arange(60.0)
    x = np.empty((4000, 60))
    x[:, 0] = rng.standard_normal(4000)
    for k in range(1, 60):
        x[:, k] = 0.3 * x[:, k - 1] + np.sqrt(0.91) * rng.standard_normal(4000)
    res = kendall_tests(x + np.tile(np.arange(12.0), 5), t, t.astype(int) % 12)
    # the raw lag-1 correlation of residuals from 12 month means and a trend is about 0.17;
    # the corrected estimate is centred on the truth (SE of the median about 0.003)
    assert np.median(res.rho) == pytest.approx(0.3, abs=0.03)
    assert (res.variance_factor >= 1).all()


def test_mann_kendall_class_is_its_engine_and_corrects_for_autocorrelation():
    rng = np.random.default_rng(23)
    e = np.empty(60)
    e[0] = rng.standard_normal()
    for k in range(1, 60):
        e[k] = 0.6 * e[k - 1] + 0.8 * rng.standard_normal()
    y = pd.Series(np.round(50 + 8 * e + 5 * np.sin(T)), index=IDX)
    res = MannKendallTrend(y).fit()
    eng = kendall_tests(y.to_numpy(), T, IDX.month.to_numpy())
    assert res.p_value == pytest.approx(eng.p_value[0])
    assert res.rho == pytest.approx(eng.rho[0]) and res.rho > 0.2
    assert res.variance_factor > 1.2
    assert f"lag-1 autocorrelation {res.rho:.2f}" in res.method
    plain = MannKendallTrend(y, autocorrelation=False).fit()
    assert res.p_value > plain.p_value  # the corrected variance is larger


def test_mann_kendall_on_a_constant_series_reports_no_test():
    res = MannKendallTrend(pd.Series(4, index=IDX)).fit()
    assert res.method == "none" and "every value is the same" in res.note
    assert np.isnan(res.p_value)


def test_mann_kendall_argument_validation():
    with pytest.raises(ValueError, match="deseasonalise must be True or False"):
        MannKendallTrend(pd.Series(1, index=IDX), deseasonalise=None)
    with pytest.raises(ValueError, match="autocorrelation must be True or False"):
        MannKendallTrend(pd.Series(1, index=IDX), autocorrelation="yes")


def test_trend_plot_returns_axes():
    res = CountTrend(pd.Series(simulate(np.random.default_rng(3))[0], index=IDX)).fit()
    ax = res.plot(title="Falling by about 10% a year")
    assert ax.get_title(loc="left") == "Falling by about 10% a year"
    assert {line.get_label() for line in ax.get_lines()} >= {"Recorded", "Trend"}


def test_counts_only_in_the_last_month_give_no_trend_not_a_significant_rise():
    # the Poisson likelihood has no maximum (the slope runs off to infinity)
    res = CountTrend(pd.Series([0.0] * 29 + [3.0], index=IDX[:30])).fit()
    assert np.isnan(res.annual_change) and np.isnan(res.p_value) and np.isnan(res.ci[0])
    assert "the slope has no finite estimate" in res.note
