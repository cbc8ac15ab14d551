"""Size, coverage and power of the trend tests on simulated monthly counts with known truth.

The counts are seasonal (month-of-year effects of about +-30%) and overdispersed: negative
binomial NB2 (variance ``mu + alpha mu^2``, ``alpha`` 0.02, 0.05 or 0.1) at low (mean 3 or 5
a month), middle (30) and high (300) counts, over 36, 48 and 60 months, and pure Poisson.
Autocorrelated series are Poisson-lognormal with the same variance and an AR(1) latent rate
(lag-1 correlation 0.2). The engines (:func:`trend_fits`, :func:`kendall_tests`) are the
code :class:`CountTrend` and :class:`MannKendallTrend` run (``test_trend.py`` checks that they
agree series by series), vectorised so that thousands of series take seconds.

Bands: a true 5% rejection rate has a standard error of 0.30 points over 5,400 series, so the
pooled band 4-6% is 3.4 standard errors wide either side; per level (1,800 series, SE 0.51)
the band is 3.5-6.5% (2.9 SE). Coverage of 95% intervals over 2,700 series (SE 0.42): 93-97%
(4.8 SE). The seasonal Mann-Kendall test is conservative on independent counts (4.0% in the
benchmark), and its bands there are set around that. ``benchmarks/trend_size.py`` runs the
same design with 4,000 series in each of 108 cells and prints the tables quoted in the
docstrings of ``CountTrend`` and ``MannKendallTrend``.
"""

import numpy as np
import pytest

from csplib.methods.models._glm import design
from csplib.methods.models.trend import kendall_tests, trend_fits
from csplib.synth.seasonal import seasonal_counts

LEVELS = {"low": (3.0, 5.0, 3.0), "middle": (30.0,) * 3, "high": (300.0,) * 3}
ALPHAS = (0.02, 0.05, 0.1)
LENGTHS = (36, 48, 60)


def run(rng, reps, *, annual=0.0, rho=0.0, poisson=False, glm_too=True, level=0.95):
    """Per level: rejections of the true trend by CountTrend's interval and of no trend by
    the seasonal Mann-Kendall test (each a boolean array over the level's series)."""
    out = {}
    for name, means in LEVELS.items():
        glm, mk = [], []
        for n in LENGTHS:
            for mean, alpha in zip(means, (0.0,) * 3 if poisson else ALPHAS, strict=True):
                idx, y = seasonal_counts(rng, reps, n, mean, alpha=alpha, annual=annual, rho=rho)
                X = design(idx, idx[0], seasonal=True, trend=True)
                if glm_too:
                    fits = trend_fits(y, X)
                    truth = np.log1p(annual) / 12
                    glm.append(np.abs(fits.beta - truth) > fits.critical(level) * fits.se)
                mk.append(kendall_tests(y, np.arange(n), idx.month.to_numpy()).p_value < 0.05)
        out[name] = (np.concatenate(glm) if glm_too else None, np.concatenate(mk))
    return out


@pytest.fixture(scope="module")
def null_nb():
    return run(np.random.default_rng(20261207), 200)


def test_count_trend_size_is_honest_on_overdispersed_seasonal_counts(null_nb):
    pooled = np.concatenate([glm for glm, _ in null_nb.values()])
    assert pooled.size == 5400
    assert 0.04 <= pooled.mean() <= 0.06
    for name, (glm, _) in null_nb.items():
        assert 0.035 <= glm.mean() <= 0.065, name


def test_seasonal_mann_kendall_size_is_honest_on_overdispersed_seasonal_counts(null_nb):
    # On independent counts the floored autocorrelation estimate only ever widens Var(S),
    # so the test is a little conservative: 4.0% in the benchmark (48 cells of 4,000
    # series, 3.3-4.8% each). The bands check that it never exceeds the nominal 5% and
    # does not become much more conservative than measured.
    pooled = np.concatenate([mk for _, mk in null_nb.values()])
    assert 0.03 <= pooled.mean() <= 0.055
    for name, (_, mk) in null_nb.items():
        assert 0.025 <= mk.mean() <= 0.06, name


def test_sizes_stay_honest_on_pure_poisson_counts():
    res = run(np.random.default_rng(7), 200, poisson=True)  # 1,800 series: SE 0.51 points
    glm = np.concatenate([g for g, _ in res.values()])
    mk = np.concatenate([m for _, m in res.values()])
    assert 0.035 <= glm.mean() <= 0.065
    # the autocorrelation estimate is floored at 0, so on independent counts the seasonal
    # Mann-Kendall test is a little conservative (about 4% in the benchmark), never liberal
    assert 0.025 <= mk.mean() <= 0.055


def test_seasonal_mann_kendall_size_is_honest_with_ar1_correlation():
    res = run(np.random.default_rng(11), 200, rho=0.2, glm_too=False)
    mk = np.concatenate([m for _, m in res.values()])
    assert 0.04 <= mk.mean() <= 0.06
    for name, (_, m) in res.items():
        assert 0.035 <= m.mean() <= 0.065, name


def test_annual_change_interval_covers_the_true_trend():
    res = run(np.random.default_rng(3), 100, annual=-0.10)  # 2,700 series
    missed = np.concatenate([g for g, _ in res.values()])
    assert 0.93 <= 1 - missed.mean() <= 0.97
    for name, (g, _) in res.items():  # 900 series a level: SE 0.73 points
        assert 0.925 <= 1 - g.mean() <= 0.975, name


def test_a_real_fall_of_15_percent_a_year_is_found():
    # mean 30 a month, NB2 alpha 0.05 (variance 2.5 times Poisson), four years: the count
    # test finds it in about 98% of series, the seasonal Mann-Kendall in about 89% (over
    # three years, about 70% and 52%)
    idx, y = seasonal_counts(np.random.default_rng(5), 400, 48, 30.0, alpha=0.05, annual=-0.15)
    fits = trend_fits(y, design(idx, idx[0], seasonal=True, trend=True))
    found = (fits.p_values() < 0.05) & (fits.beta < 0)
    assert found.mean() >= 0.93
    mk = kendall_tests(y, np.arange(48), idx.month.to_numpy())
    assert ((mk.p_value < 0.05) & (mk.S < 0)).mean() >= 0.8
    # and no significant rise is ever reported for a real fall
    assert not ((fits.p_values() < 0.05) & (fits.beta > 0)).any()
