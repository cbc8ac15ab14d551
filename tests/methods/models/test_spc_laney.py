"""Laney u' and p' charts: first principles, the plain charts they reduce to, and simulation."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from csplib.methods.models import LaneyChart  # noqa: E402


def monthly(values, start="2021-01-01"):
    return pd.Series(
        values, index=pd.date_range(start, periods=len(values), freq="MS"), dtype=float
    )


# Monthly violent crimes (numerators) out of all crimes (denominators): made-up numbers of the
# size a district has, with more month-to-month variation than the binomial allows.
X = [399, 493, 420, 529, 438, 342, 448, 462, 437, 542, 401, 398, 548, 492]
N = [2100, 2240, 2050, 2300, 2190, 2010, 2420, 2150, 2080, 2260, 2230, 1990, 2330, 2290]


def laney_by_hand(x, n, kind):
    """Laney (2002), step by step with loops: centre, sigma_i, z, sigma_z, limits."""
    c = sum(x) / sum(n)
    sig = [((c * (1 - c) if kind == "p" else c) / ni) ** 0.5 for ni in n]
    z = [(xi / ni - c) / s for xi, ni, s in zip(x, n, sig, strict=True)]
    mr = [abs(z[i] - z[i - 1]) for i in range(1, len(z))]
    sigma_z = sum(mr) / len(mr) / 1.128
    upper = [c + 3 * s * sigma_z for s in sig]
    lower = [max(c - 3 * s * sigma_z, 0.0) for s in sig]
    return c, z, sigma_z, lower, upper


@pytest.mark.parametrize("kind", ["p", "u"])
def test_laney_chart_from_first_principles(kind):
    res = LaneyChart(monthly(X), monthly(N), kind=kind).fit()
    c, z, sigma_z, lower, upper = laney_by_hand(X, N, kind)
    t = res.table
    assert res.config["centre"] == pytest.approx(c)
    assert res.config["sigma_z"] == pytest.approx(sigma_z)
    assert sigma_z > 1.5  # the example is overdispersed
    np.testing.assert_allclose(t["z"], z)
    np.testing.assert_allclose(t["value"], np.divide(X, N))
    np.testing.assert_allclose(t["upper"], upper)
    np.testing.assert_allclose(t["lower"], lower)
    np.testing.assert_allclose(t["upper_2sigma"] - c, (np.array(upper) - c) * 2 / 3)
    assert t["numerator"].tolist() == X and t["denominator"].tolist() == N
    assert res.method.startswith(f"Laney {kind}' chart")


def test_multiplier_scales_the_chart_only():
    base = LaneyChart(monthly(X), monthly(N), kind="p").fit().table
    pct = LaneyChart(monthly(X), monthly(N), kind="p", multiplier=100).fit().table
    for col in ("value", "centre", "lower", "upper", "upper_2sigma"):
        np.testing.assert_allclose(pct[col], 100 * base[col])
    np.testing.assert_allclose(pct["z"], base["z"])
    pd.testing.assert_series_equal(pct["variation"], base["variation"])


@pytest.mark.parametrize("kind", ["p", "u"])
def test_without_the_adjustment_it_is_the_plain_chart(kind):
    res = LaneyChart(monthly(X), monthly(N), kind=kind, adjust=False).fit()
    c = sum(X) / sum(N)
    var = c * (1 - c) if kind == "p" else c
    sd = np.sqrt(var / np.array(N, float))
    np.testing.assert_allclose(res.table["upper"], c + 3 * sd)
    np.testing.assert_allclose(res.table["lower"], c - 3 * sd)
    assert res.config["sigma_z"] == 1.0
    assert res.method.startswith(f"{kind}-chart")
    # the plain chart calls months special that the Laney chart does not
    laney = LaneyChart(monthly(X), monthly(N), kind=kind).fit()
    assert res.table["outside_limits"].sum() > laney.table["outside_limits"].sum()


@pytest.mark.parametrize(("kind", "rate"), [("p", 0.5), ("u", 0.25)])
def test_it_reduces_to_the_plain_chart_when_sigma_z_is_one(kind, rate):
    # z alternates +-0.564, so its mean moving range is 1.128 and sigma_z = 1
    n = 10**6
    sd_count = np.sqrt(n * (rate * (1 - rate) if kind == "p" else rate))  # 500
    d = 0.564 * sd_count
    assert d == pytest.approx(282)
    x = monthly([rate * n + 282, rate * n - 282] * 8)
    denominators = monthly([n] * 16)
    laney = LaneyChart(x, denominators, kind=kind).fit()
    plain = LaneyChart(x, denominators, kind=kind, adjust=False).fit()
    assert laney.config["sigma_z"] == pytest.approx(1.0, abs=1e-12)
    for col in ("lower", "upper", "lower_2sigma", "upper_2sigma"):
        np.testing.assert_allclose(laney.table[col], plain.table[col], rtol=1e-12)


def test_equal_denominators_give_the_xmr_chart_of_the_rates():
    n = 5000
    x = [410, 455, 398, 470, 441, 389, 502, 430, 417, 466, 452, 399]
    laney = LaneyChart(monthly(x), monthly([n] * 12), kind="u").fit()
    rates = np.divide(x, n)
    mr = np.abs(np.diff(rates)).mean()
    np.testing.assert_allclose(laney.table["upper"], rates.mean() + 3 / 1.128 * mr)


def test_rules_classification_and_missing_months():
    x = [*X[:12], np.nan, 800]  # a missing month, then a jump
    res = LaneyChart(
        monthly(x), monthly(N), kind="p", baseline=12, multiplier=100, target=30.0
    ).fit()
    t = res.table
    assert "No numerator or denominator for 2022-01" in res.note
    assert np.isnan(t.loc["2022-01-01", "value"]) and not t.loc["2022-01-01", "special_cause"]
    assert t["outside_limits"].iloc[-1]
    assert res.variation == "special_cause_concern_high"
    # the target 30% is above the last month's upper limit: lower is better, so it is passed
    assert t["upper"].iloc[-1] < 30.0
    assert res.assurance == "consistent_pass"
    assert res.config["baseline"] == "2021-01 to 2021-12"


def test_an_all_zero_baseline_collapses_with_a_note():
    res = LaneyChart(monthly([0] * 12), monthly([1000] * 12), kind="u").fit()
    assert (res.table["upper"] == 0).all()
    assert not res.table["special_cause"].any()
    assert "limits collapse" in res.note


def test_too_few_points_give_no_chart():
    res = LaneyChart(monthly([5, np.nan, np.nan]), monthly([100, 100, 100])).fit()
    assert res.method.startswith("none") and res.variation == "none"
    assert res.table["numerator"].iloc[0] == 5


def test_plot_draws_limits_that_vary_by_month():
    res = LaneyChart(monthly(X), monthly(N), kind="p", multiplier=100, target=22.0).fit()
    ax = res.plot(title="Violence as a share of crime", ylabel="% of all crime")
    assert ax.get_ylabel() == "% of all crime"
    upper = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert any(len(set(np.round(line.get_ydata(), 6))) > 1 for line in upper)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"kind": "c"}, "kind must be one of 'u', 'p'"),
        ({"denominators": [1] * 14}, "denominators must be a pandas Series"),
        ({"denominators": monthly(N, start="2020-01-01")}, "same months as the numerators"),
        ({"denominators": monthly([0, *N[1:]])}, "positive and finite .* 2021-01 is 0"),
        ({"denominators": monthly([100, *N[1:]]), "kind": "p"}, "2021-01 has 399 of 100"),
        ({"multiplier": 0}, "multiplier must be a positive number"),
        ({"adjust": "yes"}, "adjust must be True or False"),
        ({"target": "high"}, "target must be a number or None"),
        ({"rules": {"trend": 1}}, "takes a run length"),
    ],
)
def test_argument_validation(kwargs, match):
    args = {"numerators": monthly(X), "denominators": monthly(N), **kwargs}
    with pytest.raises(ValueError, match=match):
        LaneyChart(**args)


# --- simulation with known truth ------------------------------------------------------
REPS, MONTHS, TRIALS, P = 150, 24, 20_000, 0.1


def simulate(rng, tau):
    """Binomial counts whose monthly probability varies with sd ``tau`` (beta), or not."""
    if tau == 0:
        p = np.full((REPS, MONTHS), P)
    else:
        k = P * (1 - P) / tau**2 - 1  # beta with mean P and sd tau
        p = rng.beta(P * k, (1 - P) * k, (REPS, MONTHS))
    return rng.binomial(TRIALS, p)


@pytest.mark.parametrize("tau", [0.0, 0.005])
def test_sigma_z_estimates_the_extra_variation_and_keeps_false_alarms_rare(tau):
    rng = np.random.default_rng(16)
    counts = simulate(rng, tau)
    denominators = monthly([TRIALS] * MONTHS)
    sigma_bin = np.sqrt(P * (1 - P) / TRIALS)
    truth = np.sqrt(1 + (tau / sigma_bin) ** 2)  # 1, or about 2.56
    sigma_z, laney_out = [], 0
    for row in counts:
        laney = LaneyChart(monthly(row), denominators, kind="p").fit()
        sigma_z.append(laney.config["sigma_z"])
        laney_out += int(laney.table["outside_limits"].sum())
    # the plain p-chart of the same months (textbook limits, computed here)
    pbar = counts.sum(axis=1, keepdims=True) / (TRIALS * MONTHS)
    half = 3 * np.sqrt(pbar * (1 - pbar) / TRIALS)
    plain_out = int((np.abs(counts / TRIALS - pbar) > half).sum())
    points = REPS * MONTHS
    # mean moving range / 1.128 is unbiased for sigma; one estimate from 24 points has a
    # relative standard error of about 18%, so the mean of 150 has about 1.5%: 6% is four
    assert np.std(sigma_z) / np.mean(sigma_z) < 0.25
    assert np.mean(sigma_z) == pytest.approx(truth, rel=0.06)
    # a stable process: the Laney chart's false alarms stay rare (three-sigma limits: about
    # 0.3% of months; 1% is some seven standard errors above that) ...
    assert laney_out / points < 0.01
    if tau:
        # ... while the plain p-chart flags about a quarter of all months
        assert plain_out / points > 0.15
    else:
        assert abs(plain_out - laney_out) / points < 0.01
