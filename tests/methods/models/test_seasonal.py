"""Seasonal decomposition (STL) and seasonal profiles."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import statsmodels.api as sm  # noqa: E402
import statsmodels.formula.api as smf  # noqa: E402
from statsmodels.tsa.seasonal import STL  # noqa: E402

from csplib.methods.models import SeasonalDecomposition, SeasonalProfile  # noqa: E402

IDX = pd.date_range("2018-01-01", periods=60, freq="MS")
TRUE_LOG_INDEX = 0.3 * np.sin(2 * np.pi * (np.arange(12) + 1) / 12)  # by month of year 1..12


def seasonal_counts(seed=0, mean=40, alpha=0.0, idx=IDX):
    rng = np.random.default_rng(seed)
    mu = mean * np.exp(TRUE_LOG_INDEX[idx.month - 1]) * 1.03 ** (np.arange(len(idx)) / 12)
    if alpha:
        y = rng.negative_binomial(1 / alpha, 1 / (1 + alpha * mu))
    else:
        y = rng.poisson(mu)
    return pd.Series(y, index=idx, name="crimes")


def test_stl_matches_statsmodels_on_a_complete_series():
    y = seasonal_counts()
    res = SeasonalDecomposition(y).fit()
    ref = STL(y.astype(float), period=12, seasonal=13, robust=True).fit()
    np.testing.assert_allclose(res.trend.to_numpy(), ref.trend.to_numpy())
    np.testing.assert_allclose(res.seasonal.to_numpy(), ref.seasonal.to_numpy())
    assert res.trend.name == "trend" and res.seasonal.name == "seasonal"
    assert res.config == {"period": 12, "seasonal": 13, "robust": True}
    np.testing.assert_allclose(res.seasonally_adjusted, y - ref.seasonal)
    assert list(res.frame.columns) == ["observed", "trend", "seasonal", "resid"]


def test_stl_interpolates_missing_months_for_the_fit_and_names_them():
    y = seasonal_counts().astype(float)
    y.iloc[[10, 11]] = np.nan
    res = SeasonalDecomposition(y).fit()
    assert "No data for 2018-11, 2018-12" in res.note
    assert res.resid.iloc[[10, 11]].isna().all()
    assert res.trend.notna().all()
    ref = STL(y.interpolate(), period=12, seasonal=13, robust=True).fit()
    np.testing.assert_allclose(res.trend.to_numpy(), ref.trend.to_numpy())


def test_stl_recovers_the_seasonal_shape():
    y = seasonal_counts(mean=200)
    res = SeasonalDecomposition(y).fit()
    by_month = res.seasonal.groupby(res.seasonal.index.month).mean()
    # additive seasonal ~ mean level x log index for small effects; the shape must agree
    assert np.corrcoef(by_month.to_numpy(), TRUE_LOG_INDEX)[0, 1] > 0.95


def test_short_series_falls_back_to_a_moving_average():
    y = seasonal_counts().iloc[:18]
    res = SeasonalDecomposition(y).fit()
    assert res.method == "centred 3-month moving average (no seasonal component)"
    assert "Only 18 months with data" in res.note
    assert (res.seasonal == 0).all()
    assert res.trend.iloc[1] == pytest.approx(y.iloc[:3].mean())
    assert res.trend.iloc[0] == pytest.approx(y.iloc[:2].mean())


def test_all_zero_series_decomposes_to_zero_with_a_note():
    y = pd.Series(0, index=IDX)
    res = SeasonalDecomposition(y).fit()
    assert res.method.startswith("none")
    assert "every month with data is zero" in res.note
    assert (res.trend == 0).all() and (res.seasonal == 0).all()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"period": 1}, r"period must be an integer >= 2"),
        ({"seasonal": 12}, "seasonal must be an odd integer >= 7"),
        ({"seasonal": 5}, "seasonal must be an odd integer >= 7"),
        ({"robust": "yes"}, "robust must be True or False"),
    ],
)
def test_decomposition_argument_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SeasonalDecomposition(seasonal_counts(), **kwargs)


def test_profile_matches_an_independent_sum_coded_glm():
    y = seasonal_counts(seed=3)
    res = SeasonalProfile(y).fit()
    assert res.config["family_used"] == "Poisson"
    frame = pd.DataFrame({"y": y.to_numpy(), "t": np.arange(60), "m": IDX.month})
    ref = smf.glm("y ~ C(m, Sum) + t", frame, family=sm.families.Poisson()).fit()
    effects = np.array([ref.params[f"C(m, Sum)[S.{m}]"] for m in range(1, 12)])
    log_index = np.append(effects, -effects.sum())  # sum coding: December is minus the rest
    np.testing.assert_allclose(np.log(res.table["index"].to_numpy()), log_index, rtol=1e-6)
    se = np.array([ref.bse[f"C(m, Sum)[S.{m}]"] for m in range(1, 12)])
    np.testing.assert_allclose(
        np.log(res.table["upper"].to_numpy()[:11]) - log_index[:11], 1.959964 * se, rtol=1e-4
    )
    assert res.table.loc[1, "month"] == "Jan" and res.table.index.name == "month_of_year"


def test_profile_intervals_cover_the_true_index():
    covered = 0
    truth = np.exp(TRUE_LOG_INDEX - TRUE_LOG_INDEX.mean())
    for seed in range(40):
        t = SeasonalProfile(seasonal_counts(seed=seed, alpha=0.05)).fit().table
        covered += int(((t["lower"] < truth) & (truth < t["upper"])).sum())
    assert 0.9 <= covered / (40 * 12) <= 0.99


def test_profile_uses_negative_binomial_when_overdispersed():
    res = SeasonalProfile(seasonal_counts(alpha=0.2)).fit()
    assert res.config["family_used"] == "negative binomial"
    assert "Pearson chi2/df" in res.note


def test_short_profile_is_ratio_to_mean_without_interval():
    y = pd.Series(np.arange(1, 19), index=IDX[:18])
    res = SeasonalProfile(y).fit()
    assert res.method.startswith("ratio of each calendar month's mean")
    assert "only 18 months with data" in res.note
    # January appears as 1 and 13: mean 7; overall mean 9.5
    assert res.table.loc[1, "index"] == pytest.approx(7 / 9.5)
    assert res.table["lower"].isna().all()


def test_profile_of_zeros_is_empty_with_a_note():
    res = SeasonalProfile(pd.Series(0, index=IDX)).fit()
    assert res.table["index"].isna().all()
    assert "every month with data is zero" in res.note


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"family": "gaussian"}, "family must be one of 'auto', 'poisson', 'negbin'"),
        ({"level": 95}, "level must be a number strictly between 0 and 1"),
        ({"trend": 1}, "trend must be True or False"),
    ],
)
def test_profile_argument_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SeasonalProfile(seasonal_counts(), **kwargs)


def test_plots_return_axes():
    y = seasonal_counts()
    ax = SeasonalProfile(y).fit().plot(title="Summer peak")
    assert ax.get_title(loc="left") == "Summer peak"
    assert [t.get_text() for t in ax.get_xticklabels()][:2] == ["Jan", "Feb"]
    ax2 = SeasonalDecomposition(y).fit().plot()
    assert ax2.get_ylabel() == "Count per month"
