"""Risk: repeat victimisation, concentration, deprivation gradient, public concern."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from csplib.core.errors import DataError, ParamsError
from csplib.methods import risk
from csplib.methods.concentration import area_counts, concentration, gini, lorenz_curve
from csplib.methods.measures.change import compare_survey
from csplib.methods.risk import deprivation_gradient, public_concern
from csplib.methods.risk_repeats import repeat_victimisation


def _mad_gini(x):
    """Independent form: mean absolute difference over all ordered pairs / (2 x mean)."""
    x = np.asarray(x, dtype=float)
    return np.abs(x[:, None] - x[None, :]).mean() / (2 * x.mean())


# ----------------------------------------------------------------------------- Gini
def test_gini_of_known_distributions():
    assert gini([7] * 10) == 0.0
    for n in (2, 5, 182):
        x = np.zeros(n)
        x[3 % n] = 40
        assert gini(x) == pytest.approx((n - 1) / n)
    assert math.isnan(gini([0, 0, 0]))


def test_gini_matches_the_mean_absolute_difference_formula():
    rng = np.random.default_rng(11)
    for _ in range(5):
        x = rng.negative_binomial(2, 0.1, size=rng.integers(10, 300))
        assert gini(x) == pytest.approx(_mad_gini(x), abs=1e-12)


def test_gini_rejects_negative_or_missing():
    with pytest.raises(DataError, match=">= 0"):
        gini([1, -1])
    with pytest.raises(DataError, match="missing"):
        gini([1, np.nan])


# ----------------------------------------------------------------------------- concentration
def test_top_shares_include_lsoas_without_incidents():
    # 20 LSOAs: top 5% is 1 LSOA, top 10% is 2 LSOAs
    areas = [f"E0{i:02d}" for i in range(20)]
    counts = pd.Series({"E000": 50, "E001": 30, "E002": 20})  # 17 LSOAs with none
    c = concentration(counts, areas)
    assert c["areas"] == 20 and c["zero_areas"] == 17
    assert c["top_5pct_areas"] == 1 and c["top_5pct_share"] == pytest.approx(50.0)
    assert c["top_10pct_areas"] == 2 and c["top_10pct_share"] == pytest.approx(80.0)
    x = np.zeros(20)
    x[:3] = [50, 30, 20]
    assert c["gini"] == pytest.approx(_mad_gini(x))
    # the same with only the LSOAs that have incidents would be much less concentrated
    assert concentration(counts, areas[:3])["gini"] < c["gini"]


def test_top_share_rounds_the_number_of_areas_up():
    areas = [f"L{i}" for i in range(182)]  # 5% of 182 = 9.1 -> 10 LSOAs
    c = concentration(pd.Series(1.0, index=areas), areas)
    assert c["top_5pct_areas"] == 10 and c["top_10pct_areas"] == 19
    assert c["top_5pct_share"] == pytest.approx(100 * 10 / 182)


def test_area_counts_report_rows_outside_the_area_or_without_lsoa():
    rows = pd.DataFrame({"lsoa": ["A", "A", "Z", None, ""]})
    c = area_counts(rows, ["A", "B"])
    assert c.to_dict() == {"A": 2.0, "B": 0.0}
    assert c.attrs == {"outside": 1.0, "no_area": 2.0}


def test_lorenz_curve_and_its_area_give_the_gini():
    counts = pd.Series({"A": 6, "B": 3, "C": 1})
    lc = lorenz_curve(counts, ["A", "B", "C", "D"])
    assert pd.isna(lc["area"].iloc[0]) and lc["area"].tolist()[1:] == ["D", "C", "B", "A"]
    assert lc["incident_share"].tolist() == pytest.approx([0, 0, 0.1, 0.4, 1.0])
    assert lc["area_share"].tolist() == pytest.approx([0, 0.25, 0.5, 0.75, 1.0])
    auc = np.trapezoid(lc["incident_share"], lc["area_share"])
    assert 1 - 2 * auc == pytest.approx(lc.attrs["gini"])
    assert lc.attrs["gini"] == pytest.approx(_mad_gini([6, 3, 1, 0]))


# ----------------------------------------------------------------------------- repeats
def _victims(pairs):
    return pd.DataFrame(
        {"victim_id": [v for v, _ in pairs], "date": pd.to_datetime([d for _, d in pairs])}
    )


@pytest.mark.parametrize(
    ("second", "repeat"),
    [
        ("2020-01-14", True),  # one day short of 12 months
        ("2020-01-15", False),  # exactly 12 months later: outside the window
        ("2019-01-15", True),  # the same day
    ],
)
def test_twelve_month_window_boundary(second, repeat):
    r = repeat_victimisation(_victims([("V", "2019-01-15"), ("V", second)]))
    assert r["repeat_victims"] == (1.0 if repeat else 0.0)


def test_window_after_a_leap_day():
    # 29 Feb 2020 + 12 months = 28 Feb 2021
    assert (
        repeat_victimisation(_victims([("V", "2020-02-29"), ("V", "2021-02-27")]))["repeat_victims"]
        == 1
    )
    assert (
        repeat_victimisation(_victims([("V", "2020-02-29"), ("V", "2021-02-28")]))["repeat_victims"]
        == 0
    )


def test_month_resolution_when_there_is_no_date():
    rows = pd.DataFrame(
        {
            "victim_id": ["V", "V", "W", "W"],
            "month": pd.to_datetime(["2019-01-01", "2019-12-01", "2019-01-01", "2020-01-01"]),
        }
    )
    r = repeat_victimisation(rows)
    assert r["repeat_victims"] == 1  # V: 11 months apart; W: 12 months apart
    assert r.attrs["date"] == "month"


def test_repeat_shares_on_a_hand_made_frame():
    rows = _victims(
        [
            ("A", "2019-04-01"),
            ("A", "2019-06-01"),
            ("A", "2019-09-01"),  # repeat, 3 incidents
            ("B", "2019-04-10"),
            ("B", "2020-06-01"),  # 14 months apart: not a repeat
            ("C", "2019-05-05"),
            ("D", "2019-07-01"),
            ("D", "2020-03-31"),  # repeat, 2 incidents
            (None, "2019-08-01"),
            ("  ", "2019-08-02"),  # blank ids: left out, counted
        ]
    )
    r = repeat_victimisation(rows)
    assert r["victims"] == 4 and r["repeat_victims"] == 2
    assert r["repeat_victim_share"] == pytest.approx(50.0)
    assert r["incidents"] == 8 and r["incidents_by_repeat_victims"] == 5
    assert r["repeat_incident_share"] == pytest.approx(100 * 5 / 8)
    assert r["blank_victim_excluded"] == 2
    # three incidents within 12 months: only A
    r3 = repeat_victimisation(rows, min_incidents=3)
    assert r3["repeat_victims"] == 1 and r3["incidents_by_repeat_victims"] == 3


def test_min_incidents_needs_them_all_inside_one_window():
    # three incidents, but never three within 12 months
    rows = _victims([("V", "2019-01-01"), ("V", "2019-10-01"), ("V", "2020-06-01")])
    assert repeat_victimisation(rows, min_incidents=3)["repeat_victims"] == 0
    assert repeat_victimisation(rows, min_incidents=2)["repeat_victims"] == 1


def test_repeats_by_group_and_period():
    rows = _victims(
        [
            ("A", "2019-04-01"),
            ("A", "2019-05-01"),
            ("B", "2019-04-01"),
            ("B", "2019-05-01"),
            ("B", "2020-05-01"),
        ]
    )
    rows["month"] = rows["date"].dt.to_period("M").dt.to_timestamp()
    rows["hate_strand"] = ["race", "race", "religion", "religion", "religion"]
    by = repeat_victimisation(rows, by="hate_strand")
    assert by["repeat_victims"].to_dict() == {"race": 1.0, "religion": 1.0}
    in_fy = repeat_victimisation(rows, period="2020/21")
    assert in_fy["victims"] == 1 and in_fy["repeat_victims"] == 0


def test_repeat_victimisation_errors():
    with pytest.raises(DataError, match="victim_id"):
        repeat_victimisation(pd.DataFrame({"date": []}))
    with pytest.raises(ParamsError, match="min_incidents must be a whole number of at least 2"):
        repeat_victimisation(_victims([("V", "2019-01-01")]), min_incidents=1)


# ----------------------------------------------------------------------------- deprivation
def test_deprivation_gradient_hand_worked():
    counts = pd.Series({"a": 20, "b": 10, "c": 6, "d": 3})
    pop = pd.DataFrame({"population": [1000.0, 1000.0, 1500.0, 1500.0]}, index=["a", "b", "c", "d"])
    dep = pd.DataFrame({"imd_decile": [1, 1, 10, 10]}, index=["a", "b", "c", "d"])
    g = deprivation_gradient(counts, pop, dep)
    # decile 1: 30 / 2000 = 15 per 1,000; decile 10: 9 / 3000 = 3 per 1,000
    assert g.table.loc[1, "rate"] == pytest.approx(15.0)
    assert g.table.loc[10, "rate"] == pytest.approx(3.0)
    assert g.table["lsoas"].tolist() == [2, 2]
    assert (g.most, g.least, g.ratio) == (1, 10, pytest.approx(5.0))
    # exact conditional interval, computed independently from beta quantiles
    x1, x2, e1, e2 = 30, 9, 2000, 3000
    p_lo = stats.beta.ppf(0.025, x1, x2 + 1)
    p_hi = stats.beta.ppf(0.975, x1 + 1, x2)
    assert g.ci_low == pytest.approx(p_lo / (1 - p_lo) * e2 / e1, rel=1e-6)
    assert g.ci_high == pytest.approx(p_hi / (1 - p_hi) * e2 / e1, rel=1e-6)
    # exact Poisson interval for a decile's rate (Garwood), via the gamma distribution
    assert g.table.loc[1, "ci_low"] == pytest.approx(stats.gamma.ppf(0.025, 30) / 2, rel=1e-6)
    assert g.table.loc[1, "ci_high"] == pytest.approx(stats.gamma.ppf(0.975, 31) / 2, rel=1e-6)
    assert g.summary()["rate_ratio"] == pytest.approx(5.0)


def test_deprivation_gradient_score_interval_from_statsmodels():
    counts = pd.Series({"a": 30, "b": 9})
    g = deprivation_gradient(
        counts, pd.Series({"a": 2000.0, "b": 3000.0}), pd.Series({"a": 2, "b": 9}), method="score"
    )
    assert (g.most, g.least) == (2, 9)
    assert g.ci_low < 5.0 < g.ci_high


def test_deprivation_trend_recovers_a_known_ratio_per_decile():
    rng = np.random.default_rng(7)
    n = 400
    decile = rng.integers(1, 11, size=n)
    pop = rng.integers(1200, 2500, size=n).astype(float)
    lam = pop / 1000 * 40 * 0.9 ** (decile - 1)
    idx = [f"L{i}" for i in range(n)]
    g = deprivation_gradient(
        pd.Series(rng.poisson(lam), index=idx),
        pd.Series(pop, index=idx),
        pd.Series(decile, index=idx),
    )
    assert g.trend_ratio == pytest.approx(0.9, abs=0.01)
    assert g.trend_ci_low < 0.9 < g.trend_ci_high
    assert g.ratio == pytest.approx(0.9**-9, rel=0.15)


def test_deprivation_gradient_needs_a_decile_for_every_lsoa():
    with pytest.raises(DataError, match="no IMD decile, e.g. b"):
        deprivation_gradient(
            pd.Series({"a": 1}), pd.Series({"a": 10.0, "b": 10.0}), pd.Series({"a": 1})
        )
    with pytest.raises(ParamsError, match="method must be one of"):
        deprivation_gradient(
            pd.Series({"a": 1}), pd.Series({"a": 10.0}), pd.Series({"a": 1}), method="magic"
        )


# ----------------------------------------------------------------------------- concern
def _survey():
    return pd.DataFrame(
        {
            "indicator": ["asb_problem"] * 3 + ["feel_safe"] * 2,
            "area": ["Nottingham"] * 5,
            "period_start": pd.to_datetime(
                ["2017-09-01", "2018-09-01", "2019-09-01", "2018-09-01", "2019-09-01"]
            ),
            "period_end": pd.to_datetime(
                ["2017-11-30", "2018-11-30", "2019-11-30", "2018-11-30", "2019-11-30"]
            ),
            "numerator": [np.nan] * 5,
            "denominator": [2000, 1800, 2100, 1800, 2100],
            "value": [0.33, 0.30, 0.27, 0.60, 0.62],
            "kind": ["survey"] * 5,
        }
    )


def test_public_concern_latest_and_change():
    pc = public_concern(
        _survey(), polarity={"asb_problem": "lower_is_better", "feel_safe": "higher_is_better"}
    )
    expected = compare_survey(27.0, 2100, 30.0, 1800, polarity="lower_is_better")
    row = pc.loc["asb_problem"]
    assert row["latest"] == pytest.approx(27.0) and row["previous"] == pytest.approx(30.0)
    assert row["pp_change"] == pytest.approx(-3.0)
    assert row["p_value"] == pytest.approx(expected.p_value)
    assert row["latest_period"] == "Sep 2019 - Nov 2019"
    assert row["outcome"] == expected.outcome
    assert pc.loc["feel_safe", "latest"] == pytest.approx(62.0)


def test_public_concern_errors():
    two = pd.concat([_survey(), _survey().assign(area="Elsewhere")])
    with pytest.raises(DataError, match="several areas .*pass area="):
        public_concern(two)
    assert public_concern(two, area="Elsewhere").shape[0] == 2
    with pytest.raises(DataError, match="no survey indicator 'fear'"):
        public_concern(_survey(), ["fear"])


def _brute_force_repeats(frame, window, k):
    """Independent rule: a victim is a repeat when some k of their dates lie before the window
    end of the earliest of them (pairwise, by calendar arithmetic on each date)."""
    out = {}
    for victim, g in frame.groupby("victim_id"):
        dates = sorted(g["date"])
        hit = False
        for i, first in enumerate(dates):
            end = first + pd.DateOffset(months=window)
            if sum(1 for d in dates[i:] if d < end) >= k:
                hit = True
                break
        out[victim] = hit
    return out


@pytest.mark.parametrize(("window", "k"), [(12, 2), (6, 2), (12, 3)])
def test_vectorised_repeat_rule_matches_a_brute_force_count(window, k):
    rng = np.random.default_rng(2024 + window + k)
    n = 600
    frame = pd.DataFrame(
        {
            "victim_id": rng.choice([f"V{i:03d}" for i in range(220)], size=n),
            "date": pd.Timestamp("2019-01-01")
            + pd.to_timedelta(rng.integers(0, 3 * 365, size=n), unit="D"),
        }
    )
    expected = _brute_force_repeats(frame, window, k)
    r = repeat_victimisation(frame, window_months=window, min_incidents=k)
    repeaters = [v for v, hit in expected.items() if hit]
    assert r["victims"] == len(expected)
    assert r["repeat_victims"] == len(repeaters)
    assert r["incidents_by_repeat_victims"] == frame["victim_id"].isin(repeaters).sum()
    assert 0 < len(repeaters) < len(expected)  # the draw exercises both outcomes


def test_deprivation_trend_does_not_fail_when_one_decile_has_every_incident():
    counts = pd.Series({"A": 8, "B": 1, "C": 0, "D": 0})
    pop = pd.Series({"A": 1000.0, "B": 1000.0, "C": 2000.0, "D": 2000.0})
    dec = pd.Series({"A": 1, "B": 1, "C": 10, "D": 10})
    g = deprivation_gradient(counts, pop, dec)
    assert g.ratio == math.inf and g.table["rate"].tolist() == [4.5, 0.0]
    # the regression separates (no incidents in decile 10): a falling trend whose interval
    # says nothing, rather than an overflow
    assert 0 <= g.trend_ratio < 1
    assert g.trend_ci_low < 1e-6 and g.trend_ci_high > 1e6


def test_moved_functions_are_still_importable_from_methods_risk():
    """Concentration and repeat victimisation have their own modules; csplib.methods.risk
    re-exports them for the modules and notebooks that import them from it."""
    assert risk.concentration is concentration and risk.area_counts is area_counts
    assert risk.lorenz_curve is lorenz_curve and risk.gini is gini
    assert risk.repeat_victimisation is repeat_victimisation
