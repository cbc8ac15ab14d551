"""Emerging-trend screen: error rates, power, exact tests and bookkeeping."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from scipy import stats  # noqa: E402

from csplib.methods.models import EmergingTrendScreen, long_to_wide, wide_to_long  # noqa: E402

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
        ({"dispersion": "series"}, "dispersion must be one of 'robust', 'pooled', 'none'"),
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


# -- robust overdispersion (dispersion="robust", the default) ------------------------------
def trending_group(rng, n=40, mean=10.0, alpha=0.02):
    """``n`` series (NB2, seasonal); s0 and s1 rise 40% a year over the last 36 months."""
    mu = mean * np.exp(LOG_SEASON)[:, None] * np.ones((1, n))
    months_in = np.arange(len(IDX)) - (len(IDX) - 36)
    mu[:, :2] *= np.where(months_in > 0, 1.4 ** (months_in / 12), 1.0)[:, None]
    y = rng.negative_binomial(1 / alpha, 1 / (1 + alpha * mu))
    return pd.DataFrame(y, index=IDX).add_prefix("s")


def test_two_trending_series_no_longer_inflate_the_dispersion_that_tests_them():
    # 100 screens of 40 series (mean 10 a month, true alpha 0.02) in which s0 and s1 rise
    # 40% a year over the last three years (30 of the 36 baseline months and the 6 recent).
    rng = np.random.default_rng(2024)
    rows = []
    for _ in range(100):
        counts = trending_group(rng)
        old = EmergingTrendScreen(counts, dispersion="pooled").fit()
        new = EmergingTrendScreen(counts).fit()
        # the old estimator with the trending series left out: the best it could do
        oracle = EmergingTrendScreen(counts.iloc[:, 2:], dispersion="pooled").fit()
        trending = ["s0", "s1"]
        rows.append(
            {
                "old": old.alpha.iloc[0],
                "new": new.alpha.iloc[0],
                "oracle": oracle.alpha.iloc[0],
                "new_used": new.table.loc[trending, "alpha"].mean(),
                "old_flags": old.table.loc[trending, "flagged"].sum(),
                "new_flags": new.table.loc[trending, "flagged"].sum(),
                "q_lower": (
                    new.table.loc[trending, "q_value"] < old.table.loc[trending, "q_value"]
                ).sum(),
                "new_false": new.table.drop(trending)["flagged"].sum(),
            }
        )
    sims = pd.DataFrame(rows)
    # the old pooled alpha is inflated by the two trends (observed mean 0.0243)
    assert sims["old"].mean() > sims["oracle"].mean() + 0.004
    assert (sims["old"] > sims["new"]).mean() >= 0.95
    # the new one is as good as leaving the trending series out, and close to the truth:
    # 0.0181 against 0.0182 (small groups read a little low under either estimator: the
    # seasonal index is fitted to the same counts)
    assert sims["new"].mean() == pytest.approx(sims["oracle"].mean(), abs=0.001)
    assert sims["new"].mean() == pytest.approx(0.02, abs=0.003)
    assert sims["new_used"].mean() == pytest.approx(0.02, abs=0.003)
    # so the trending series get lower q-values and are flagged more often (177 v 168 of 200)
    assert sims["q_lower"].sum() >= 0.9 * 200
    assert sims["new_flags"].sum() >= sims["old_flags"].sum() + 5
    # without flagging the steady series (FDR 5%; 6 false flags in 100 screens)
    assert sims["new_false"].sum() <= 0.05 * (sims["new_flags"] + sims["new_false"]).sum()


@pytest.mark.parametrize("alpha", [0.0, 0.05])
def test_robust_dispersion_recovers_the_true_alpha_when_nothing_changes(alpha):
    # 500 seasonal series, means 2 to 20 a month: the group estimate and every series'
    # leave-one-out estimate lie within 0.003 (Poisson) / 0.005 (NB2 0.05: 10%) of the truth
    rng = np.random.default_rng(21)
    mu = np.exp(LOG_SEASON)[:, None] * np.geomspace(2, 20, 500)[None, :]
    y = rng.negative_binomial(1 / alpha, 1 / (1 + alpha * mu)) if alpha else rng.poisson(mu)
    counts = pd.DataFrame(y, index=IDX).add_prefix("s")
    res = EmergingTrendScreen(counts).fit()
    tol = 0.005 if alpha else 0.003
    assert res.config["dispersion"] == "robust"
    assert res.alpha.iloc[0] == pytest.approx(alpha, abs=tol)
    assert res.table["alpha"].min() >= alpha - tol
    assert res.table["alpha"].max() <= alpha + tol
    # and nothing is flagged
    assert res.table["flagged"].sum() == 0
    assert 0.01 <= (res.table["p_value"] < 0.05).mean() <= 0.07


def reference_alpha(counts, season, groups, recent=6, baseline=36):
    """Successive-difference NB2 alpha, leave-one-out, written out series by series."""
    window = counts.iloc[-(recent + baseline) : -recent]
    s = season.loc[window.index.month].to_numpy()
    terms = {}
    for name in counts.columns:
        y = window[name].to_numpy(dtype=float)
        present = ~np.isnan(y)
        level = np.nansum(y) / s[present].sum()
        if level == 0:
            continue
        num = den = 0.0
        pairs = 0
        for t in range(1, len(y)):
            if present[t] and present[t - 1]:
                c = 1 / s[t] + 1 / s[t - 1]
                num += (y[t] / s[t] - y[t - 1] / s[t - 1]) ** 2 / (level * c) - 1
                den += level * 2 / c
                pairs += 1
        if pairs:
            terms[name] = (num, den)
    used, group_alpha = {}, {}
    for group in set(groups.values()):
        members = [k for k in terms if groups[k] == group]
        group_alpha[group] = max(0.0, sum(terms[k][0] for k in members)) / sum(
            terms[k][1] for k in members
        )
        for name in [k for k in counts.columns if groups[k] == group]:
            others = [k for k in members if k != name] or [name]
            used[name] = max(
                0.0, sum(terms[k][0] for k in others) / sum(terms[k][1] for k in others)
            )
    return used, group_alpha


def test_robust_alpha_matches_a_series_by_series_implementation():
    rng = np.random.default_rng(22)
    a = simulate(rng, 5, alpha=0.2).add_prefix("a_").astype(float)
    b = simulate(rng, 4, mean=6).add_prefix("b_").astype(float)
    c = simulate(rng, 1, mean=9, alpha=0.1).add_prefix("c_").astype(float)  # alone
    a.iloc[-40:-30, 0] = np.nan  # missing baseline months break the pairs
    a.iloc[-20, 1] = np.nan
    a.iloc[-30:-20, 2] *= 3  # a burst inside the baseline
    b.iloc[:-6, 3] = 0  # nothing in the baseline: no estimate of its own
    counts = pd.concat([a, b, c], axis=1)
    counts.columns = pd.MultiIndex.from_tuples(
        [tuple(name.split("_")) for name in counts.columns], names=["group", "series"]
    )
    season = pd.Series(np.exp(0.3 * np.sin(2 * np.pi * np.arange(1, 13) / 12)), index=range(1, 13))
    res = EmergingTrendScreen(counts, seasonality=season, pool_by="group").fit()
    groups = {key: key[0] for key in counts.columns}
    used, group_alpha = reference_alpha(counts, season / season.mean(), groups)
    for key, value in used.items():
        assert res.table.loc[key, "alpha"] == pytest.approx(value, rel=1e-10, abs=1e-14)
        phi = 1 + value * res.table.loc[key, "baseline_mean"]
        assert res.table.loc[key, "dispersion"] == pytest.approx(phi, rel=1e-10)
    for group, value in group_alpha.items():
        assert res.alpha[group] == pytest.approx(value, rel=1e-10)
    # the bursting series does not widen its own test: it borrows from the other four only
    assert res.table.loc[("a", "s2"), "alpha"] < res.alpha["a"]
    assert "Overdispersion for 1 series was estimated from the series itself" in res.note
    assert "successive differences" in res.method


def test_pooled_dispersion_is_the_earlier_estimate():
    rng = np.random.default_rng(23)
    counts = simulate(rng, 30, alpha=0.1)
    res = EmergingTrendScreen(counts, dispersion="pooled").fit()
    # Pearson residuals about each series' constant baseline level (its mean), no season
    flat = EmergingTrendScreen(counts, dispersion="pooled", seasonality="none").fit()
    base = counts.iloc[-42:-6]
    m = base.mean()
    x2 = ((base - m) ** 2 / m).sum()
    expected = ((x2 - 35).sum()) / (35 * m).sum()
    assert flat.alpha.iloc[0] == pytest.approx(expected, rel=1e-10)
    assert (flat.table["alpha"] == flat.alpha.iloc[0]).all()
    assert res.config["dispersion"] == "pooled"
    assert "NB2 overdispersion pooled" in res.method


# -- the screen's expected level, month by month ---------------------------------------------
@pytest.mark.parametrize(("mean", "alpha"), [(4.0, 0.0), (20.0, 0.1), (60.0, 0.05)])
def test_expected_ranges_cover_95_percent_of_unchanged_months(mean, alpha):
    """Simulation with known truth: no series changes, so about 5% of recent months fall
    outside their range (mid-p ranges of discrete counts; a band allows for 1,200 months)."""
    rng = np.random.default_rng(int(mean) + int(100 * alpha))
    counts = simulate(rng, 200, mean=mean, alpha=alpha)
    res = EmergingTrendScreen(counts).fit()
    outside = [
        res.expected_range(k, counts[k]).table[["above", "below"]].any(axis=1)
        for k in counts.columns
    ]
    rate = pd.concat(outside).mean()
    assert 0.03 <= rate <= 0.075, rate


def test_expected_range_adds_up_to_the_screens_expected_count_and_ratio():
    rng = np.random.default_rng(3)
    counts = simulate(rng, 30, alpha=0.05)
    counts.iloc[-6:, 0] = rng.poisson(50, 6)
    counts.iloc[-2, 1] = np.nan  # a recent month missing: it neither adds nor expects
    res = EmergingTrendScreen(counts).fit()
    for key in ("s0", "s1", "s2"):
        table = res.expected_range(key, counts[key]).table
        has = table["observed"].notna()
        row = res.table.loc[key]
        assert table.loc[has, "expected"].sum() == pytest.approx(row["expected"])
        assert table["observed"].sum() / table.loc[has, "expected"].sum() == pytest.approx(
            row["rate_ratio"]
        )
    # the planted doubling lies above its range in most recent months
    assert res.expected_range("s0", counts["s0"]).table["above"].sum() >= 4
    with pytest.raises(KeyError, match="not a series"):
        res.expected_range("nope", counts["s0"])
