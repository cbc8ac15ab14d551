"""Expected range: coverage of new observations, flags, runs and fallbacks."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from scipy import stats  # noqa: E402

from csplib.methods.models import ExpectedRange, flag_runs  # noqa: E402
from csplib.methods.models._glm import Predictive  # noqa: E402

IDX = pd.date_range("2019-01-01", periods=48, freq="MS")
SEASON = np.exp(0.3 * np.sin(2 * np.pi * IDX.month.to_numpy() / 12))


def simulate(rng, mean, alpha=0.0, growth=0.05):
    mu = mean * SEASON * (1 + growth) ** (np.arange(48) / 12)
    if alpha:
        return rng.negative_binomial(1 / alpha, 1 / (1 + alpha * mu))
    return rng.poisson(mu)


@pytest.mark.parametrize(("alpha", "n_series"), [(0.0, 200), (0.1, 120)])
def test_95_percent_ranges_cover_93_to_97_percent_of_new_months(alpha, n_series):
    """Fit on 36 months, assess the next 12, on seasonal Poisson and NB series."""
    rng = np.random.default_rng(31 if alpha else 30)
    inside = total = 0
    for _ in range(n_series):
        y = pd.Series(simulate(rng, rng.uniform(5, 40), alpha), index=IDX)
        table = ExpectedRange(y, start="2022-01").fit().table
        inside += int((~table["above"] & ~table["below"]).sum())
        total += len(table)
    assert 0.93 <= inside / total <= 0.97


def midp_interval(dist, level=0.95):
    """Mid-p interval ends of a discrete distribution, computed directly."""
    out = []
    for q in ((1 - level) / 2, 0.5 + level / 2):
        k = int(dist.ppf(q))
        below = dist.cdf(k - 1)
        out.append(k - 0.5 + (q - below) / dist.pmf(k))
    return out


def test_predictive_with_known_rate_gives_the_midp_poisson_interval():
    idx = IDX[:3]
    mus = np.array([2.0, 10.0, 30.0])
    pred = Predictive(idx, mu=np.repeat(mus[:, None], 20, axis=1), alpha=np.zeros(20))
    frame = pred.frame(0.95)
    for j, mu in enumerate(mus):
        lo, hi = midp_interval(stats.poisson(mu))
        assert frame["upper"].iloc[j] == pytest.approx(hi)
        assert frame["lower"].iloc[j] == pytest.approx(max(lo, 0.0))
    assert frame["lower"].iloc[2] == pytest.approx(19.7331, abs=1e-4)
    assert frame["upper"].iloc[2] == pytest.approx(41.2164, abs=1e-4)
    # mid-p tail: P(Y > 41) + P(Y = 41) / 2
    d = stats.poisson(30)
    assert pred.midp_high([0, 0, 41])[2] == pytest.approx(d.sf(41) + d.pmf(41) / 2)


def test_predictive_mixture_is_the_average_of_its_components():
    pred = Predictive(IDX[:1], mu=np.array([[5.0, 15.0]]), alpha=np.array([0.0, 0.2]))
    r = 1 / 0.2
    expected = 0.5 * (stats.poisson.cdf(9, 5.0) + stats.nbinom.cdf(9, r, r / (r + 15.0)))
    assert pred.cdf_at([9])[0] == pytest.approx(expected)
    assert pred.mean()[0] == pytest.approx(10.0)


def test_a_spike_is_above_the_range_and_results_are_reproducible():
    rng = np.random.default_rng(2)
    y = pd.Series(simulate(rng, 30), index=IDX)
    y.iloc[-1] = 3 * y.iloc[-13]
    first = ExpectedRange(y, start="2022-01").fit()
    table = first.table
    assert table["above"].iloc[-1]
    assert table["p_high"].iloc[-1] < 0.001
    assert first.exceedances.index[-1] == IDX[-1]
    assert list(table.columns) == [
        "observed",
        "expected",
        "median",
        "lower",
        "upper",
        "p_high",
        "p_low",
        "above",
        "below",
        "run_high",
        "run_low",
    ]
    again = ExpectedRange(y, start="2022-01").fit().table
    pd.testing.assert_frame_equal(table, again)
    assert first.config["baseline"] == "2019-01 to 2021-12"
    assert first.config["family_used"] == "Poisson"


def test_run_of_three_months_above_the_median_is_flagged():
    rng = np.random.default_rng(6)
    y = pd.Series(simulate(rng, 30), index=IDX).astype(float)
    res = ExpectedRange(y, start="2022-01").fit()
    median = res.table["median"]
    # plant: Apr-Jun 2022 above the median, May-Jun alone not enough elsewhere
    y.loc["2022-04-01":"2022-06-01"] = np.ceil(median.loc["2022-04-01":"2022-06-01"] + 2)
    y.loc["2022-03-01"] = np.floor(median.loc["2022-03-01"] - 2)
    y.loc["2022-07-01"] = np.floor(median.loc["2022-07-01"] - 2)
    table = ExpectedRange(y, start="2022-01").fit().table
    assert table.loc["2022-04-01":"2022-06-01", "run_high"].all()
    assert not table.loc["2022-03-01", "run_high"] and not table.loc["2022-07-01", "run_high"]


def test_flag_runs_by_hand_and_missing_breaks_a_run():
    s = pd.Series([True, True, True, False, True, True, None, True], dtype="boolean")
    assert flag_runs(s, 3).tolist() == [True, True, True, False, False, False, False, False]
    assert flag_runs(s, 2).tolist() == [True, True, True, False, True, True, False, False]


def test_missing_months_are_named_and_never_flagged():
    rng = np.random.default_rng(3)
    y = pd.Series(simulate(rng, 20), index=IDX).astype(float)
    y.iloc[[4, 40]] = np.nan
    res = ExpectedRange(y, start="2022-01").fit()
    assert "No data for baseline months 2019-05 (left out)" in res.note
    row = res.table.loc[IDX[40]]
    assert np.isnan(row["observed"]) and not row["above"] and not row["below"]
    assert np.isfinite(row["upper"])


def test_negative_binomial_widens_the_range():
    rng = np.random.default_rng(4)
    y = pd.Series(simulate(rng, 30, alpha=0.2), index=IDX)
    nb = ExpectedRange(y, start="2022-01").fit()
    pois = ExpectedRange(y, start="2022-01", family="poisson").fit()
    assert nb.config["family_used"] == "negative binomial"
    assert "negative binomial" in nb.method
    width = (nb.table["upper"] - nb.table["lower"]).mean()
    assert width > 1.3 * (pois.table["upper"] - pois.table["lower"]).mean()


def test_short_baseline_falls_back_to_a_constant_rate():
    y = pd.Series(np.random.default_rng(5).poisson(12, 20), index=IDX[:20])
    res = ExpectedRange(y, start=IDX[14]).fit()
    assert "constant rate" in res.method
    assert "only 14 months with data" in res.note
    assert "Only 14 baseline months" in res.note
    # a constant rate: the same range every month
    assert res.table["upper"].nunique() == 1


def test_all_zero_baseline_uses_a_jeffreys_rate():
    y = pd.Series(0, index=IDX)
    y.iloc[-1] = 1
    res = ExpectedRange(y, start="2022-01").fit()
    assert res.method.startswith("Poisson rate with a Jeffreys prior")
    assert "All 36 baseline months are zero" in res.note
    # predictive: negative binomial with size 1/2 and p = 36/37
    lo, hi = midp_interval(stats.nbinom(0.5, 36 / 37))
    assert res.table["upper"].iloc[0] == pytest.approx(hi)
    assert res.table["above"].tolist() == [False] * 11 + [True]


def test_all_missing_baseline_gives_no_range_without_exception():
    y = pd.Series(np.nan, index=IDX)
    y.iloc[-12:] = 5
    res = ExpectedRange(y, start="2022-01").fit()
    assert res.method == "none (no baseline data)"
    assert res.table["upper"].isna().all() and not res.table["above"].any()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"start": "2030-01"}, r"start must fall inside the series \(2019-01 to 2022-12\)"),
        ({"start": "2019-01"}, "start must leave at least one baseline month"),
        ({"start": "2022-01-15"}, "start must be a month such as"),
        ({"baseline_months": 0}, r"baseline_months must be an integer >= 1"),
        ({"level": 1.5}, "level must be a number strictly between 0 and 1"),
        ({"run_length": 1}, r"run_length must be an integer >= 2"),
        ({"n_sims": 10}, r"n_sims must be an integer >= 100"),
        ({"family": "gaussian"}, "family must be one of"),
        ({"trend": None}, "trend must be True or False"),
        ({"random_state": -1}, r"random_state must be an integer >= 0"),
    ],
)
def test_argument_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ExpectedRange(pd.Series(3, index=IDX), **kwargs)


def test_plot_returns_axes_with_band():
    y = pd.Series(simulate(np.random.default_rng(1), 20), index=IDX)
    ax = ExpectedRange(y).fit().plot(title="Within the expected range")
    assert ax.get_title(loc="left") == "Within the expected range"
    assert "Expected range" in [t.get_text() for t in ax.get_legend().get_texts()]
