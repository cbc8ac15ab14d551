"""Funnel limits with Spiegelhalter's overdispersion adjustment: an independent calculation,
a worked example by hand, and the rate of false flags in simulations with known truth."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.integrate import quad
from scipy.optimize import brentq
from scipy.stats.mstats import winsorize

from csplib.methods.funnel import funnel_limits


def independent(o, n, level, method, consistent=True):
    """Spiegelhalter (2005) written out again, with scipy's winsorize (10% each end) and the
    normal consistency factor by numerical integration."""
    o, n = np.asarray(o, float), np.asarray(n, float)
    theta = o.sum() / n.sum()
    se = np.sqrt(theta / n)
    z = (o / n - theta) / se
    phi = np.mean(np.asarray(winsorize(z, limits=(0.1, 0.1))) ** 2)
    if consistent:
        c = stats.norm.ppf(0.9)
        inside = quad(lambda x: x * x * stats.norm.pdf(x), -c, c)[0]
        phi /= inside + 0.2 * c * c
    k = len(o)
    if method == "additive" and consistent:
        # the tau^2 whose adjusted z-scores, winsorized, have the normal's mean square
        def gap(t2):
            zw = np.asarray(winsorize((o / n - theta) / np.sqrt(se**2 + t2), limits=(0.1, 0.1)))
            return np.mean(zw**2) - c_normal

        c = stats.norm.ppf(0.9)
        c_normal = quad(lambda x: x * x * stats.norm.pdf(x), -c, c)[0] + 0.2 * c * c
        tau2 = 0.0 if gap(0.0) <= 0 else brentq(gap, 0.0, 1.0, xtol=1e-20, rtol=1e-13)
        sd = np.sqrt(se**2 + tau2)
    elif method == "additive":
        w = se**-2
        tau2 = max(0.0, (k * phi - (k - 1)) / (w.sum() - (w**2).sum() / w.sum()))
        sd = np.sqrt(se**2 + tau2)
    else:
        sd = se * np.sqrt(max(phi, 1.0))
    q = stats.norm.ppf(1 - (1 - level) / 2)
    return 1000 * (theta - q * sd), 1000 * (theta + q * sd), phi


@pytest.mark.parametrize("method", ["additive", "multiplicative"])
@pytest.mark.parametrize("consistent", [True, False])
def test_limits_match_an_independent_calculation(method, consistent):
    rng = np.random.default_rng(4)
    n = rng.integers(30_000, 900_000, 120).astype(float)
    o = rng.poisson(rng.gamma(20, 0.07 / 20, 120) * n)
    f = funnel_limits(pd.Series(o), pd.Series(n), method=method, consistent=consistent)
    for level, name in ((0.95, "95"), (0.998, "99.8")):
        lower, upper, phi = independent(o, n, level, method, consistent)
        np.testing.assert_allclose(f.table[f"lower_{name}"], lower, rtol=1e-9)
        np.testing.assert_allclose(f.table[f"upper_{name}"], upper, rtol=1e-9)
    assert f.phi == pytest.approx(phi, rel=1e-12)


def test_a_worked_example_by_hand():
    """Ten areas of 100,000 residents: the pooled rate is 100 per 1,000; with equal
    populations the DerSimonian-Laird tau^2 is (I phi - (I - 1)) / (w (I - 1))."""
    counts = pd.Series([9_000, 9_500, 9_800, 9_900, 10_000, 10_000, 10_100, 10_200, 10_500, 11_000])
    pop = pd.Series([100_000.0] * 10)
    f = funnel_limits(counts, pop, consistent=False)  # the paper's estimate
    theta, s2 = 0.1, 0.1 / 100_000
    z = (counts / 100_000 - theta) / np.sqrt(s2)
    # the lowest and the highest of ten z-scores (10%) set to their neighbours
    zw = z.copy()
    zw[0], zw[9] = z[1], z[8]
    phi = float(np.mean(zw**2))
    tau2 = (10 * phi - 9) / (10 / s2 - 10 / s2 / 10)  # sum w = 10 w, sum w^2 / sum w = w
    assert f.target == pytest.approx(100.0)
    assert f.phi == pytest.approx(phi) and f.tau2 == pytest.approx(tau2)
    half = 1.959964 * np.sqrt(s2 + tau2) * 1000
    assert f.table["upper_95"].iloc[0] == pytest.approx(100 + half, rel=1e-6)
    assert f.table.loc[0, "position"] == "below 95%" and f.table.loc[9, "position"] == "above 95%"


def simulated(rng, k=310, spread=0.2):
    """~310 partnerships: populations 40,000 to 1.2 million, true rates varying ``spread``
    (coefficient of variation) about 80 per 1,000, Poisson counts."""
    n = np.exp(rng.uniform(np.log(40_000), np.log(1_200_000), k))
    truth = rng.gamma(1 / spread**2, 0.08 * spread**2, k)
    return pd.Series(rng.poisson(truth * n)), pd.Series(n)


def test_adjusted_limits_flag_about_5_percent_where_plain_poisson_flags_most():
    """Simulation with known truth: no area is special (all rates come from one spread), so
    the share outside the 95% limits should be near 5%; the paper's winsorized estimate
    (consistent=False) flags about three times that; Poisson limits flag most areas."""
    rng = np.random.default_rng(11)
    outside, paper, poisson = [], [], []
    for _ in range(40):
        o, n = simulated(rng)
        f = funnel_limits(o, n)
        outside.append((f.table["rate"] > f.table["upper_95"]).mean()
                       + (f.table["rate"] < f.table["lower_95"]).mean())  # fmt: skip
        t = funnel_limits(o, n, consistent=False).table
        paper.append(((t["rate"] > t["upper_95"]) | (t["rate"] < t["lower_95"])).mean())
        plain = funnel_limits(o, n, method="none").table
        poisson.append(
            ((plain["rate"] > plain["upper_95"]) | (plain["rate"] < plain["lower_95"])).mean()
        )
    assert 0.035 <= np.mean(outside) <= 0.065, np.mean(outside)
    assert np.mean(paper) > 0.12
    assert np.mean(poisson) > 0.7


def test_an_area_with_a_real_excess_is_found():
    rng = np.random.default_rng(12)
    o, n = simulated(rng)
    o.iloc[0] = round(2.0 * 0.08 * n.iloc[0])  # twice the typical rate
    f = funnel_limits(o, n)
    assert f.table.loc[0, "position"] == "above 99.8%"


def test_bad_input_is_refused_with_the_reason():
    with pytest.raises(ValueError, match="at least 3 areas"):
        funnel_limits(pd.Series([1.0, 2.0]), pd.Series([10.0, 10.0]))
    with pytest.raises(ValueError, match="method must be one of"):
        funnel_limits(pd.Series([1.0] * 3), pd.Series([10.0] * 3), method="poisson")
    f = funnel_limits(pd.Series([5.0, 6.0, 7.0, 8.0]), pd.Series([100.0, 100.0, 100.0, np.nan]))
    assert f.table["position"].iloc[-1] == "not assessed"
