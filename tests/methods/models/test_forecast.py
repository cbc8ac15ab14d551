"""Forecast: prediction-interval coverage, reproducibility and fallbacks."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from scipy import stats  # noqa: E402

from csplib.methods.models import CountForecast  # noqa: E402
from csplib.methods.models.forecast import midp_quantiles, simulate_totals  # noqa: E402

IDX = pd.date_range("2019-01-01", periods=60, freq="MS")
SEASON = np.exp(0.3 * np.sin(2 * np.pi * IDX.month.to_numpy() / 12))


def simulate(rng, mean, alpha=0.0, growth=-0.05):
    mu = mean * SEASON * (1 + growth) ** (np.arange(60) / 12)
    if alpha:
        return rng.negative_binomial(1 / alpha, 1 / (1 + alpha * mu))
    return rng.poisson(mu)


@pytest.mark.parametrize(("alpha", "n_series"), [(0.0, 200), (0.1, 120)])
def test_95_percent_intervals_cover_93_to_97_percent_of_the_next_12_months(alpha, n_series):
    rng = np.random.default_rng(41 if alpha else 40)
    inside = total = 0
    for _ in range(n_series):
        y = simulate(rng, rng.uniform(5, 40), alpha)
        history = pd.Series(y[:48], index=IDX[:48])
        table = CountForecast(history).fit().table
        future = y[48:]
        inside += int(((future >= table["lower"]) & (future <= table["upper"])).sum())
        total += 12
    assert 0.93 <= inside / total <= 0.97


def test_forecast_follows_the_trend_and_season():
    rng = np.random.default_rng(3)
    y = pd.Series(simulate(rng, 200)[:48], index=IDX[:48])
    res = CountForecast(y).fit()
    truth = 200 * SEASON[48:] * 0.95 ** (np.arange(48, 60) / 12)
    np.testing.assert_allclose(res.table["expected"].to_numpy(), truth, rtol=0.08)
    assert res.table.index.freq == "MS"
    assert res.total == pytest.approx(res.table["expected"].sum())
    assert res.config["history"] == "2019-01 to 2022-12"
    assert res.method == "Poisson GLM: month of year + linear trend; mid-p predictive interval"


def test_same_seed_same_forecast():
    y = pd.Series(simulate(np.random.default_rng(4), 20)[:48], index=IDX[:48])
    a = CountForecast(y, random_state=7).fit().table
    b = CountForecast(y, random_state=7).fit().table
    pd.testing.assert_frame_equal(a, b)


def test_history_months_limits_the_fit():
    y = pd.Series(simulate(np.random.default_rng(5), 20)[:48], index=IDX[:48])
    res = CountForecast(y, history_months=30, horizon=6).fit()
    assert res.config["history"] == "2020-07 to 2022-12"
    assert len(res.history) == 30 and len(res.table) == 6


def test_short_history_gives_a_constant_rate_forecast():
    y = pd.Series(np.random.default_rng(6).poisson(10, 15), index=IDX[:15])
    res = CountForecast(y, horizon=4).fit()
    assert "constant rate" in res.method
    assert "only 15 months with data" in res.note
    assert res.table["expected"].nunique() == 1
    assert res.table["expected"].iloc[0] == pytest.approx(y.mean(), rel=0.05)


def test_all_zero_history_uses_a_jeffreys_rate():
    res = CountForecast(pd.Series(0, index=IDX[:24]), horizon=2).fit()
    assert res.method.startswith("Poisson rate with a Jeffreys prior")
    assert res.table["expected"].iloc[0] == pytest.approx(0.5 / 24)
    p = 24 / 25
    upper = stats.nbinom(0.5, p)
    q = 0.975
    k = int(upper.ppf(q))
    assert res.table["upper"].iloc[0] == pytest.approx(
        k - 0.5 + (q - upper.cdf(k - 1)) / upper.pmf(k)
    )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"horizon": 0}, r"horizon must be an integer >= 1"),
        ({"level": -0.1}, "level must be a number strictly between 0 and 1"),
        ({"history_months": 0}, r"history_months must be an integer >= 1"),
        ({"family": "ets"}, "family must be one of"),
        ({"n_sims": 50}, r"n_sims must be an integer >= 100"),
        ({"n_draws": 500}, r"n_draws must be an integer >= 1000"),
        ({"trend": "no"}, "trend must be True or False"),
    ],
)
def test_argument_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        CountForecast(pd.Series(3, index=IDX), **kwargs)


def test_plot_returns_axes():
    y = pd.Series(simulate(np.random.default_rng(8), 20)[:48], index=IDX[:48])
    ax = CountForecast(y).fit().plot(title="About 20 a month expected")
    assert ax.get_title(loc="left") == "About 20 a month expected"
    assert "95% prediction interval" in [t.get_text() for t in ax.get_legend().get_texts()]


# ---------------------------------------------------------------------------- the total

# Known truth: NB2 counts with month-of-year seasonality and a 3% a year fall; the model is
# fitted to the first 36 months and the total of the next 12 is drawn from the same model.
MONTHS = pd.date_range("2021-01-01", periods=48, freq="MS")
TRUE_SHAPE = np.exp(0.3 * np.sin(2 * np.pi * MONTHS.month.to_numpy() / 12)) * 0.97 ** (
    np.arange(48) / 12
)


def nb_series(rng, mean, alpha, n):
    """``n`` series (rows) of 48 months from the true model (Poisson when ``alpha`` is 0)."""
    mu = mean * TRUE_SHAPE
    if not alpha:
        return rng.poisson(mu, size=(n, 48))
    return rng.negative_binomial(1 / alpha, 1 / (1 + alpha * mu), size=(n, 48))


# 300 series a level: the pooled coverage of 1,200 has a standard error of 0.6 points, so
# the 93-97% band is over 3 SE either side of 95%; each level (SE 1.3 points) is held to
# 95% +/- 3 SE. The default family ("auto") allows for overdispersion unless the Pearson
# pre-test finds the counts near Poisson (forecast.DISPERSION_TEST_LEVEL, 0.5): at a mean of
# 4 the usual 0.05 pre-test keeps Poisson for most negative binomial series and covers
# about 91% (600 series); Poisson counts must not then be over-covered. With this seed:
# 96.7% (mean 4, NB), 96.0% (mean 4, Poisson), 94.0% (30), 93.7% (300), 95.1% pooled.
COVERAGE_CASES = [  # (mean a month, NB2 alpha (0: Poisson), family)
    (4, 0.1, "auto"),
    (4, 0.0, "auto"),
    (30, 0.05, "auto"),
    (300, 0.02, "auto"),
]
N_SERIES = 300


def test_total_interval_covers_93_to_97_percent_at_low_middle_and_high_counts():
    rng = np.random.default_rng(2026)
    hits = {}
    for mean, alpha, family in COVERAGE_CASES:
        y = nb_series(rng, mean, alpha, N_SERIES)
        truth = y[:, 36:].sum(axis=1)
        inside = np.empty(N_SERIES, dtype=bool)
        for i in range(N_SERIES):
            history = pd.Series(y[i, :36], index=MONTHS[:36], dtype=float)
            res = CountForecast(history, family=family, n_sims=100, n_draws=1000).fit()
            low, high = res.total_interval()
            inside[i] = low <= truth[i] <= high
        hits[mean, alpha] = inside
    se = np.sqrt(0.95 * 0.05 / N_SERIES)
    for case, inside in hits.items():
        assert abs(inside.mean() - 0.95) <= 3 * se, (case, inside.mean())
    pooled = np.concatenate(list(hits.values())).mean()
    assert 0.93 <= pooled <= 0.97, pooled


def test_total_interval_is_far_narrower_than_the_monthly_bounds_added_up():
    rng = np.random.default_rng(7)
    mean, alpha = 100, 0.05
    y = pd.Series(nb_series(rng, mean, alpha, 1)[0, :36], index=MONTHS[:36], dtype=float)
    nb = CountForecast(y).fit()
    assert nb.config["family_used"] == "negative binomial"
    low, high = nb.total_interval()
    summed = nb.table["upper"].sum() - nb.table["lower"].sum()
    assert high - low < 0.6 * summed
    # wider than a Poisson-only interval on the same data, which ignores the extra variation
    p_low, p_high = CountForecast(y, family="poisson").fit().total_interval()
    assert high - low > 1.5 * (p_high - p_low)
    # and wider than the true model's own range of the total (which has no parameter
    # uncertainty; sd sqrt(sum(mu + alpha mu^2))), though not wildly so: on other samples
    # from this model the ratio runs from about 1.4 to 2.5 with the estimated alpha
    mu = mean * TRUE_SHAPE[36:]
    true_width = 2 * 1.96 * np.sqrt(np.sum(mu + alpha * mu**2))
    assert true_width < high - low < 3.0 * true_width


def test_total_interval_is_reproducible_and_stable_to_1_percent_across_seeds():
    y = pd.Series(nb_series(np.random.default_rng(8), 80, 0.05, 1)[0, :36], index=MONTHS[:36])
    first = CountForecast(y, random_state=3).fit()
    again = CountForecast(y, random_state=3).fit()
    _ = again.table  # working out the monthly table first changes nothing
    np.testing.assert_array_equal(first.total_draws, again.total_draws)
    assert first.total_interval() == again.total_interval()
    assert len(first.total_draws) == first.config["n_draws"] == 10_000
    # a wide interval (NB, alpha about 0.07 on 23 residual df): its ends' standard deviation
    # from seed to seed is about 0.45% (measured over 30 seeds); 5 seeds must show it under
    # 1% (a sample sd on 4 df above twice the true one has probability below 0.1%)
    ends = np.array([CountForecast(y, random_state=s).fit().total_interval() for s in range(5)])
    relative_sd = ends.std(axis=0, ddof=1) / ends.mean(axis=0)
    assert (relative_sd < 0.01).all(), relative_sd
    assert first.total_lower == ends[3, 0] and first.total_upper == ends[3, 1]


def test_total_interval_at_another_level_nests():
    y = pd.Series(simulate(np.random.default_rng(9), 40)[:48], index=IDX[:48])
    res = CountForecast(y).fit()
    l80, h80 = res.total_interval(0.8)
    l95, h95 = res.total_interval()
    assert l95 < l80 < res.total < h80 < h95
    with pytest.raises(ValueError, match="level must be"):
        res.total_interval(1.5)


def test_simulated_totals_have_the_poisson_and_negative_binomial_moments():
    rng = np.random.default_rng(10)
    n = 40_000
    mu = np.linspace(2.0, 30.0, 12)[:, None] * np.ones((1, n))
    alpha = np.where(np.arange(n) < n // 2, 0.0, 0.2)
    totals = simulate_totals(mu, alpha, rng)
    pois, nb = totals[: n // 2], totals[n // 2 :]
    m = mu[:, 0].sum()
    v_pois, v_nb = m, m + 0.2 * np.sum(mu[:, 0] ** 2)
    # means within 4 SE, variances within 4 SE (SE of a variance ~ var * sqrt(2 / n) here)
    assert abs(pois.mean() - m) < 4 * np.sqrt(v_pois / (n // 2))
    assert abs(nb.mean() - m) < 4 * np.sqrt(v_nb / (n // 2))
    assert abs(pois.var() / v_pois - 1) < 4 * np.sqrt(2 / (n // 2))
    assert abs(nb.var() / v_nb - 1) < 4 * np.sqrt(3 / (n // 2))


def test_midp_quantiles_match_the_exact_continuity_corrected_quantiles():
    # exact: the mid-p quantile of Poisson(3.2), against 200,000 draws
    draws = np.random.default_rng(11).poisson(3.2, 200_000)
    dist = stats.poisson(3.2)
    for q in (0.025, 0.5, 0.975):
        k = int(dist.ppf(q))
        exact = k - 0.5 + (q - dist.cdf(k - 1)) / dist.pmf(k)
        assert midp_quantiles(draws, [q])[0] == pytest.approx(exact, abs=0.03)
    assert np.isnan(midp_quantiles([], [0.5])).all()


def test_all_zero_history_total_is_the_jeffreys_negative_binomial():
    res = CountForecast(pd.Series(0, index=IDX[:24]), horizon=12).fit()
    # rate ~ Gamma(1/2, 24) a month, so the 12-month total is NB(1/2, 24 / 36)
    dist = stats.nbinom(0.5, 24 / 36)
    q = 0.975
    k = int(dist.ppf(q))
    exact = k - 0.5 + (q - dist.cdf(k - 1)) / dist.pmf(k)  # 2.16
    assert res.total_upper == pytest.approx(exact, abs=0.3)
    assert res.total_lower == 0.0
    assert res.total == pytest.approx(12 * 0.5 / 24)


def test_no_data_gives_no_total():
    res = CountForecast(pd.Series(np.nan, index=IDX[:24]), horizon=3).fit()
    assert np.isnan(res.total) and res.total_draws.size == 0
    assert all(np.isnan(res.total_interval()))
    assert res.table["expected"].isna().all() and len(res.table) == 3
