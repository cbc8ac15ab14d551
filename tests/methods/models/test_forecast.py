"""Forecast: prediction-interval coverage, reproducibility and fallbacks."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from scipy import stats  # noqa: E402

from csplib.methods.models import CountForecast  # noqa: E402

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
