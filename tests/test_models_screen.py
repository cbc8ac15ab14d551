"""Emerging-trend screen: error rates, power, exact tests and bookkeeping."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from scipy import stats  # noqa: E402

from csplib.models import EmergingTrendScreen, long_to_wide, wide_to_long  # noqa: E402

IDX = pd.date_range("2019-01-01", periods=60, freq="MS")
LOG_SEASON = 0.3 * np.sin(2 * np.pi * IDX.month.to_numpy() / 12)


def simulate(rng, n, mean=20.0, alpha=0.0, step=1.0):
    mu = mean * np.exp(LOG_SEASON)[:, None] * np.ones((1, n))
    mu[-6:] *= step
    if alpha:
        y = rng.negative_binomial(1 / alpha, 1 / (1 + alpha * mu))
    else:
        y = rng.poisson(mu)
    return pd.DataFrame(y, index=IDX).add_prefix("s")


@pytest.mark.parametrize("alpha", [0.0, 0.1])
def test_no_change_flags_at_most_5_percent_and_p_values_are_calibrated(alpha):
    rng = np.random.default_rng(10 + int(alpha * 10))
    res = EmergingTrendScreen(simulate(rng, 1000, alpha=alpha)).fit()
    assert res.table["flagged"].mean() <= 0.05
    # the raw p-values hold their level too (so the FDR step has valid inputs)
    assert 0.02 <= (res.table["p_value"] < 0.05).mean() <= 0.07
    assert res.alpha.iloc[0] == pytest.approx(alpha, abs=0.02)


def test_fifty_percent_step_in_the_last_six_months_is_flagged_at_least_80_percent():
    rng = np.random.default_rng(12)
    res = EmergingTrendScreen(simulate(rng, 1000, step=1.5)).fit()
    assert res.table["flagged"].mean() >= 0.80
    assert (res.flagged["change"] == "increase").all()


def test_mixed_null_and_step_series():
    rng = np.random.default_rng(13)
    counts = pd.concat(
        [simulate(rng, 900), simulate(rng, 100, step=1.5).add_prefix("step_")], axis=1
    )
    table = EmergingTrendScreen(counts).fit().table
    is_step = table.index.str.startswith("step_")
    assert table.loc[is_step, "flagged"].mean() >= 0.80
    assert table.loc[~is_step, "flagged"].mean() <= 0.01
    # FDR: share of flagged series that are false discoveries
    assert (table["flagged"] & ~is_step).sum() <= 0.05 * table["flagged"].sum() + 1
    # strongest evidence first
    assert table["rank"].tolist() == list(range(1, 1001))
    assert table["p_value"].is_monotonic_increasing


def test_poisson_without_season_is_exactly_the_binomial_test():
    rng = np.random.default_rng(14)
    counts = simulate(rng, 6)
    counts.iloc[-6:, 0] += 15
    res = EmergingTrendScreen(
        counts, seasonality="none", dispersion="none", direction="increase"
    ).fit()
    table = res.table.sort_index()
    for name in counts.columns:
        o = int(counts[name].iloc[-6:].sum())
        b = int(counts[name].iloc[-42:-6].sum())
        ref = stats.binomtest(o, o + b, 6 / 42, alternative="greater")
        row = table.loc[name]
        assert row["p_value"] == pytest.approx(ref.pvalue, rel=1e-9)
        assert row["expected"] == pytest.approx(b * 6 / 36)
        two_sided = stats.binomtest(o, o + b, 6 / 42)
        lo, hi = two_sided.proportion_ci(0.95, method="exact")
        assert row["rr_lower"] == pytest.approx(lo / (1 - lo) * 36 / 6, rel=1e-6)
        assert row["rr_upper"] == pytest.approx(hi / (1 - hi) * 36 / 6, rel=1e-6)
    down = (
        EmergingTrendScreen(counts, seasonality="none", dispersion="none", direction="decrease")
        .fit()
        .table.sort_index()
    )
    o = int(counts["s1"].iloc[-6:].sum())
    b = int(counts["s1"].iloc[-42:-6].sum())
    ref = stats.binomtest(o, o + b, 6 / 42, alternative="less")
    assert down.loc["s1", "p_value"] == pytest.approx(ref.pvalue, rel=1e-9)


def test_pooled_seasonal_index_recovers_the_season():
    rng = np.random.default_rng(15)
    res = EmergingTrendScreen(simulate(rng, 300)).fit()
    estimated = res.seasonal_index.iloc[0].to_numpy()
    truth = np.exp(0.3 * np.sin(2 * np.pi * np.arange(1, 13) / 12))
    np.testing.assert_allclose(estimated, truth / truth.mean(), atol=0.03)


def test_pool_by_gives_each_category_its_own_season_and_dispersion():
    rng = np.random.default_rng(16)
    summer = simulate(rng, 50)
    flat = pd.DataFrame(rng.negative_binomial(5, 5 / 25, (60, 50)), index=IDX)  # mean 20
    long = pd.concat(
        [
            wide_to_long(summer.rename_axis(columns="ward")).assign(category="Bicycle theft"),
            wide_to_long(flat.add_prefix("s").rename_axis(columns="ward")).assign(
                category="Robbery"
            ),
        ]
    )
    counts = long_to_wide(long, ["category", "ward"])
    res = EmergingTrendScreen(counts, pool_by="category").fit()
    idx = res.seasonal_index
    assert list(idx.index) == ["Bicycle theft", "Robbery"]
    assert idx.loc["Bicycle theft", "Apr"] > 1.2
    assert idx.loc["Robbery"].sub(1).abs().max() < 0.12
    assert res.alpha["Bicycle theft"] < 0.02 < res.alpha["Robbery"]
    assert res.table.index.names == ["category", "ward"]


def test_missing_months_are_not_zero():
    rng = np.random.default_rng(17)
    counts = simulate(rng, 3).astype(float)
    counts.iloc[-3:, 0] = np.nan  # half the recent window missing
    counts.iloc[:, 1] = np.nan
    counts.iloc[:10, 1] = 20
    res = EmergingTrendScreen(counts, seasonality="none").fit()
    row = res.table.loc["s0"]
    # only three recent months are compared: expected is three months' worth, and a
    # missing month read as zero would have made this a large, significant fall
    assert row["expected"] == pytest.approx(counts["s0"].iloc[-42:-6].mean() * 3)
    assert not row["flagged"]
    assert np.isnan(res.table.loc["s1", "p_value"])
    assert "1 series have no data in the baseline or the recent window" in res.note


def test_short_frame_uses_fewer_baseline_months_and_no_season():
    rng = np.random.default_rng(18)
    counts = simulate(rng, 20).iloc[-20:]
    res = EmergingTrendScreen(counts).fit()
    assert res.config["baseline_months_used"] == 14
    assert "Only 14 baseline months" in res.note
    assert "No seasonal adjustment for all series" in res.note
    assert (res.seasonal_index.to_numpy() == 1).all()


def test_a_given_seasonal_index_is_used_as_is():
    rng = np.random.default_rng(19)
    given = pd.Series(np.exp(0.3 * np.sin(2 * np.pi * np.arange(1, 13) / 12)), index=range(1, 13))
    res = EmergingTrendScreen(simulate(rng, 10), seasonality=given).fit()
    np.testing.assert_allclose(res.seasonal_index.iloc[0], given / given.mean())
    assert res.config["seasonality"] == "given"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"recent_months": 0}, r"recent_months must be an integer >= 1"),
        ({"recent_months": 60}, "must cover more than recent_months"),
        ({"baseline_months": 0}, r"baseline_months must be an integer >= 1"),
        ({"seasonality": "series"}, "seasonality must be one of 'pooled', 'none'"),
        ({"seasonality": [1.0] * 11}, "12 positive values"),
        ({"pool_by": "category"}, "pool_by must name column levels"),
        ({"dispersion": "series"}, "dispersion must be one of 'pooled', 'none'"),
        ({"direction": "up"}, "direction must be one of 'both', 'increase', 'decrease'"),
        ({"fdr": 0.0}, "fdr must be a number strictly between 0 and 1"),
        ({"level": 2}, "level must be a number strictly between 0 and 1"),
    ],
)
def test_argument_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        EmergingTrendScreen(simulate(np.random.default_rng(0), 3), **kwargs)


def test_plot_returns_axes():
    rng = np.random.default_rng(20)
    counts = simulate(rng, 30)
    counts.iloc[-6:, 0] *= 3
    ax = EmergingTrendScreen(counts).fit().plot(title="One ward stands out", top=5)
    assert ax.get_title(loc="left") == "One ward stands out"
    assert len(ax.get_yticklabels()) == 5
    top = max(ax.get_yticklabels(), key=lambda t: t.get_position()[1])
    assert top.get_text() == "s0"  # rank 1 at the top
