"""SPC rules, point types and assurance against NHSRplotthedots, flag for flag.

Three kinds of evidence:

* NHSRplotthedots' own unit-test vectors (tests/testthat/test-ptd_calculate_point_type.R,
  test-ptd_calculate_assurance_type.R, test-ptd_spc_standard.R) and snapshot values
  (tests/testthat/_snaps/ptd_spc.md, ptd_spc_standard.md), translated case by case;
* hand-made cases for the rules' edges (two-of-three next to a limit, a trend crossing the
  mean, a trend inside a shift, the direction of a point between two trends);
* a line-by-line transliteration of NHSR's R functions (``ptd_spc_standard``,
  ``ptd_special_cause_type``, ``ptd_point_type``), written with loops and R's indexing, run
  against csplib on a few hundred random series with ties, runs and points near the limits.
"""

import numpy as np
import pandas as pd
import pytest

from csplib.methods.models import SPCChart
from csplib.methods.models.spc_rules import (
    apply_rules,
    assurance,
    check_rules,
    shift_flags,
    trend_flags,
    two_of_three_flags,
)


def series(values, start="2020-01-01"):
    return pd.Series(
        values, index=pd.date_range(start, periods=len(values), freq="MS"), dtype=float
    )


def ints(flags):
    return np.asarray(flags).astype(int).tolist()


# --- NHSRplotthedots' unit-test vectors -------------------------------------------------
# ptd_part_of_seven_trend(ptd_seven_point_one_side_mean(v)): the points of a shift


@pytest.mark.parametrize(
    ("side", "expected"),
    [
        ([], []),
        ([1] * 6, [0] * 6),
        ([1] * 6 + [-1], [0] * 7),
        ([1] * 8 + [-1], [1] * 8 + [0]),
        ([-1] * 8 + [1], [1] * 8 + [0]),
        ([1] * 3 + [0] + [1] * 7, [0] * 4 + [1] * 7),  # a point on the mean breaks the run
    ],
)
def test_shift_points_as_nhsr(side, expected):
    assert ints(shift_flags(side, 7)) == expected


# ptd_part_of_seven_trend(ptd_seven_point_trend(y)): the points of a trend
@pytest.mark.parametrize(
    ("y", "expected"),
    [
        ([], []),
        (list(range(1, 7)), [0] * 6),
        ([1, 2, 3, 3, 4, 5, 6], [0] * 7),  # c(1:3, 3:6): a tie breaks the trend
        (list(range(1, 8)), [1] * 7),
        ([2, *range(1, 8), 3], [0] + [1] * 7 + [0]),
        (list(range(7, 0, -1)), [1] * 7),
        ([2, *range(7, 0, -1), 3], [0] + [1] * 7 + [0]),
    ],
)
def test_trend_points_as_nhsr(y, expected):
    flags, direction = trend_flags(y, 7)
    assert ints(flags) == expected
    if expected and any(expected):
        rising = y[expected.index(1) + 1] > y[expected.index(1)]
        assert set(direction[flags]) == {1.0 if rising else -1.0}


# ptd_part_of_two_in_three(ptd_two_in_three(close, rtm), close)
@pytest.mark.parametrize(
    ("close", "side", "expected"),
    [
        ([], [], []),
        ([0, 0, 0], [0, 0, 0], [0, 0, 0]),
        ([1, 0, 1], [1, 1, 1], [1, 0, 1]),
        ([0, 1, 1], [1, 1, 1], [0, 1, 1]),
        ([1, 1, 0], [1, 1, 1], [1, 1, 0]),
        ([0, 0, 1, 0, 1, 0, 0], [1] * 7, [0, 0, 1, 0, 1, 0, 0]),
        ([0, 0, 1, 1, 0, 0, 0], [1] * 7, [0, 0, 1, 1, 0, 0, 0]),
        ([1, 0, 0, 1], [1] * 4, [0, 0, 0, 0]),
        ([1, 0, 0, 1, 1], [1] * 5, [0, 0, 0, 1, 1]),
        # points on opposite sides of the mean never make two-of-three
        ([1, 0, 1], [1, -1, 1], [0, 0, 0]),
        ([0, 1, 1], [1, -1, 1], [0, 0, 0]),
        ([1, 1, 0], [1, -1, 1], [0, 0, 0]),
        ([0, 0, 1, 0, 1, 0, 0], [1, -1, 1, -1, 1, -1, 1], [0] * 7),
        ([0, 0, 1, 1, 0, 0, 0], [-1, 1, -1, 1, -1, 1, -1], [0] * 7),
    ],
)
def test_two_of_three_points_as_nhsr(close, side, expected):
    assert ints(two_of_three_flags(close, side)) == expected


# test-ptd_calculate_assurance_type.R: lpl / mean / upl of three charts, target 4
ASSURANCE_CHARTS = [(1, 3), (5, 7), (1, 5)]


@pytest.mark.parametrize(
    ("polarity", "expected"),
    [
        ("up", ["consistent_fail", "consistent_pass", "inconsistent"]),
        ("down", ["consistent_pass", "consistent_fail", "inconsistent"]),
        ("neutral", [None, None, None]),
    ],
)
def test_assurance_as_nhsr(polarity, expected):
    got = [assurance(4, lo, hi, polarity) for lo, hi in ASSURANCE_CHARTS]
    assert got == expected
    assert assurance(None, 1, 3, polarity) is None


# R: set.seed(123); rnorm(20) (the data of test-ptd_spc.R and test-ptd_spc_standard.R),
# shifted by 10 because csplib charts counts; limits shift with it.
RNORM_123 = [
    -0.56047565, -0.23017749, 1.55870831, 0.07050839, 0.12928774,
    1.71506499, 0.46091621, -1.26506123, -0.68685285, -0.44566197,
    1.22408180, 0.35981383, 0.40077145, 0.11068272, -0.55584113,
    1.78691314, 0.49785048, -1.96661716, 0.70135590, -0.47279141,
]  # fmt: skip


@pytest.mark.parametrize(
    ("values", "mean", "lpl", "upl"),
    [
        (RNORM_123, 0.142, -3.01, 3.29),  # _snaps/ptd_spc_standard.md and ptd_spc.md
        (RNORM_123[:10], 0.0746, -2.60, 2.75),  # _snaps/ptd_spc.md, facet 0
        (RNORM_123[10:], 0.209, -3.28, 3.70),  # _snaps/ptd_spc.md, facet 1
    ],
)
def test_limits_match_the_nhsr_snapshots(values, mean, lpl, upl):
    # csplib charts whole counts: scale by 1e8 (the data have 8 decimals) and shift by 1e9
    counts = np.round(np.multiply(values, 1e8)) + 1e9
    res = SPCChart(series(counts), chart="xmr", screen_outliers=True).fit()
    row = (res.table.iloc[0][["centre", "lower", "upper"]] - 1e9) / 1e8
    # the snapshots print three significant figures
    assert row["centre"] == pytest.approx(mean, abs=5e-4)
    assert row["lower"] == pytest.approx(lpl, abs=5e-3)
    assert row["upper"] == pytest.approx(upl, abs=5e-3)
    # ... and every point is common cause (_snaps/ptd_spc.md: common_cause = n)
    assert not res.table["special_cause"].any()


def test_two_close_points_on_opposite_sides_are_common_cause_as_nhsr():
    # test-ptd_spc_standard.R: symmetric data with 5.5 and -5.5 last (+10 here)
    values = np.array([1.0, -1.0] * 8)
    values[14], values[15] = 5.5, -5.5
    counts = 2 * values + 20  # whole counts: scaled by 2 and shifted by 20
    res = SPCChart(series(counts), chart="xmr", screen_outliers=True, polarity="up").fit()
    t = res.table
    assert t["upper_2sigma"].iloc[0] < 31 < t["upper"].iloc[0]  # both close to a limit
    assert t["lower"].iloc[0] < 9 < t["lower_2sigma"].iloc[0]
    assert t["variation"].iloc[-2:].tolist() == ["common_cause", "common_cause"]


# --- the rules' edges, by hand --------------------------------------------------------
# Baseline [6, 14] x 6: mean 10, moving range 8, limits 10 +- 21.28: nothing is near them.
WIDE = [6, 14] * 6
# Baseline [12, 8] x 6: mean 10, moving range 4: limits -0.64 and 20.64, two-sigma lines
# 2.907 and 17.093.
NARROW = [12, 8] * 6


def test_a_rising_run_below_the_mean_is_a_concern_when_lower_is_better():
    # seven rising points all below the mean: both a shift (low) and a trend (rising); the
    # trend sets the direction, so with polarity "down" they are a concern, not improvement
    y = series(WIDE + [1, 2, 3, 4, 5, 6, 7])
    t = SPCChart(y, baseline=12, polarity="down").fit().table.iloc[12:]
    assert t["shift"].all() and t["trend"].all()
    assert (t["direction"] == "high").all()
    assert (t["variation"] == "special_cause_concern").all()
    up = SPCChart(y, baseline=12, polarity="up").fit().table.iloc[12:]
    assert (up["variation"] == "special_cause_improvement").all()


def test_a_trend_crossing_the_mean_takes_its_direction_throughout():
    y = series(WIDE + [13, 12, 11, 10, 9, 8, 7])  # falls through the mean
    res = SPCChart(y, baseline=12, polarity="down").fit()
    t = res.table.iloc[12:]
    assert t["trend"].all() and not t["shift"].any()
    assert (t["direction"] == "low").all()
    assert (t["variation"] == "special_cause_improvement").all()  # even the points above
    assert res.variation == "special_cause_improvement_low"


def test_outside_limits_takes_precedence_over_a_trend():
    y = series(NARROW + [3, 5, 7, 9, 11, 13, 22])
    t = SPCChart(y, baseline=12, polarity="down").fit().table.iloc[12:]
    assert t["trend"].all()
    assert t["outside_limits"].tolist() == [False] * 6 + [True]
    assert (t["direction"] == "high").all()


def test_the_point_between_two_trends_takes_the_direction_of_the_next_step():
    # rising 1..7 then falling 7..1: the peak (7) is in both; NHSR takes the step to the
    # next point, so the peak is "decreasing"
    up, down = list(range(1, 8)), list(range(6, 0, -1))
    _, direction = trend_flags(up + down, 7)
    assert direction.tolist() == [1.0] * 6 + [-1.0] * 7
    # a flat step between two trends: NHSR reads it as decreasing
    flags, direction = trend_flags(up + list(range(7, 14)), 7)
    assert flags.all()
    assert direction.tolist() == [1.0] * 6 + [-1.0] + [1.0] * 7


def test_two_of_three_next_to_the_limits():
    rules = check_rules(None)
    lim = dict(centre=10.0, lower=-0.64, upper=20.64, lower2=2.907, upper2=17.093)

    def flags(values):
        out = apply_rules(np.array(values, float), *lim.values(), rules, "down")
        return ints(out["two_of_three"])

    assert flags([18, 11, 19]) == [1, 0, 1]  # two close, third above the mean
    assert flags([18, 9, 19]) == [0, 0, 0]  # the third is below the mean
    assert flags([18, 10, 19]) == [0, 0, 0]  # ... or on it
    assert flags([18, 22, 19]) == [1, 0, 1]  # beyond the limit: counts as on the side only
    assert flags([18, 22, 10]) == [0, 0, 0]  # one close point is not two
    assert flags([22, 23, 18]) == [0, 0, 0]  # points beyond the limit are not close
    assert flags([2, 5, 1]) == [1, 0, 1]  # below
    assert flags([17.093, 17.1, 17.2]) == [0, 1, 1]  # the line itself is not beyond it


def test_two_of_three_sets_direction_before_a_shift():
    # seven points above the mean, two of them close to the upper limit
    y = series(NARROW + [11, 18, 11, 19, 11, 11, 11])
    t = SPCChart(y, baseline=12).fit().table.iloc[12:]
    assert t["shift"].all()
    assert t["two_of_three"].tolist() == [False, True, False, True, False, False, False]
    assert (t["variation"] == "special_cause_concern").all()


def test_neutral_polarity_calls_special_causes_neither():
    res = SPCChart(series(WIDE + [1, 2, 3, 4, 5, 6, 7]), baseline=12, polarity="neutral").fit()
    assert res.variation == "special_cause_neither_high"
    assert res.variation_label.startswith("Special cause, neither improvement nor concern")


@pytest.mark.parametrize(
    ("target", "polarity", "expected"),
    [
        (35, "down", "consistent_pass"),  # above the upper limit 32.64
        (35, "up", "consistent_fail"),
        (10, "down", "consistent_fail"),  # below the lower limit 11.36
        (10, "up", "consistent_pass"),
        (20, "down", "inconsistent"),
        (22 + 2.66 * 4, "down", "inconsistent"),  # on the limit: hit and miss, as in NHSR
        (35, "neutral", None),
        (None, "down", None),
    ],
)
def test_assurance_of_a_chart(target, polarity, expected):
    y = series([20, 24] * 6 + [23])  # mean 22, moving range 4: limits 11.36 and 32.64
    res = SPCChart(y, baseline=12, target=target, polarity=polarity).fit()
    assert res.assurance == expected
    c = res.classification()
    assert c["assurance"] == expected and c["target"] == target and c["month"] == "2021-01"
    if expected == "inconsistent":
        assert res.assurance_label.startswith("Hit and miss")
    if expected is None:
        assert res.assurance_label is None


def test_assurance_uses_the_limit_before_it_is_clipped_at_zero():
    # limits -0.64 (drawn at 0) and 20.64; a target of 0 lies inside the process limits
    res = SPCChart(series(NARROW), target=0, polarity="down").fit()
    assert res.table["lower"].iloc[0] == 0.0
    assert res.assurance == "inconsistent"


# --- a transliteration of NHSR's R code, against csplib on random series ----------------


def r_spc_standard(y, fix_after=None, screen=True):
    """ptd_spc_standard: limits and the per-point inputs of the rules."""
    fix_y = y[:fix_after] if fix_after else y
    mean = sum(fix_y) / len(fix_y)
    mr = [abs(fix_y[i] - fix_y[i - 1]) for i in range(1, len(fix_y))]
    amr = sum(mr) / len(mr)
    if screen:
        mr = [m for m in mr if m < 3.267 * amr]
        amr = sum(mr) / len(mr)
    lpl, upl = mean - 2.66 * amr, mean + 2.66 * amr
    nlpl, nupl = mean - 2 * (2.66 / 3) * amr, mean + 2 * (2.66 / 3) * amr
    outside = [v > upl or v < lpl for v in y]
    rtm = [float(np.sign(v - mean)) for v in y]
    close = [not o and (v < nlpl or v > nupl) for v, o in zip(y, outside, strict=True)]
    return mean, lpl, upl, outside, rtm, close


def r_seven_point_one_side_mean(v):
    vp = [0.0] * 6 + list(v)
    return [
        float(all(vp[i] == vp[i - k] for k in range(1, 7)) and vp[i] != 0)
        for i in range(6, len(vp))
    ]


def r_part_of_seven_trend(v):
    vp = list(v) + [0.0] * 6
    return [float(any(abs(vp[i + k]) == 1 for k in range(7))) for i in range(len(v))]


def r_seven_point_trend(y):
    if len(y) < 7:
        return [0.0] * len(y)
    out = [0.0] * 6
    for i in range(6, len(y)):
        w = [y[i - k] for k in range(7)]  # y[i - 0:6]
        d = [-np.sign(w[k + 1] - w[k]) for k in range(6)]  # sign(diff(.)) * -1
        out.append(1.0 if all(x == 1 for x in d) else -1.0 if all(x == -1 for x in d) else 0.0)
    return out


def r_two_in_three(v, rtm):
    vp = [0.0, 0.0] + [float(x) for x in v] + [0.0, 0.0]
    rp = [0.0, 0.0] + list(rtm) + [0.0, 0.0]
    out = []
    for p in range(len(v)):
        hit = False
        for a in (p, p + 1, p + 2):  # R's i + 0:2, i + 1:3, i + 2:4
            hit = hit or (sum(vp[a : a + 3]) >= 2 and abs(sum(rp[a : a + 3])) == 3)
        out.append(float(hit))
    return out


def r_special_cause_type(y, rtm, close, outside):
    n = len(y)
    trend = r_part_of_seven_trend(r_seven_point_trend(y))
    two = [float(t == 1 and c) for t, c in zip(r_two_in_three(close, rtm), close, strict=True)]
    shift = r_part_of_seven_trend(r_seven_point_one_side_mean(rtm))
    sdy = [float(np.sign(y[i + 1] - y[i])) for i in range(n - 1)]
    right, left = sdy + sdy[-1:], [0.0] + sdy
    nxt = trend[1:] + [0.0]
    sdy = [right[i] if (nxt[i] and trend[i]) else left[i] for i in range(n)]
    out = []
    for i in range(n):
        side = "Above" if rtm[i] > 0 else "Below"
        if outside[i]:
            out.append("Above UCL" if rtm[i] == 1 else "Below LCL")
        elif trend[i]:
            out.append(f"7 Point Trend ({'In' if sdy[i] == 1 else 'De'}creasing)")
        elif two[i]:
            out.append(f"2 in 3 {side} CL")
        elif shift[i]:
            out.append(f"7 Points {side} CL")
        else:
            out.append("Common Cause")
    return out


def r_point_type(types, improvement_direction):
    out = []
    for t in types:
        v = 0
        if "Above" in t or "Increasing" in t:
            v = 1
        elif "Below" in t or "Decreasing" in t:
            v = -1
        if improvement_direction == 0:
            names = {1: "special_cause_neutral_high", -1: "special_cause_neutral_low"}
        else:
            v *= improvement_direction
            names = {1: "special_cause_improvement", -1: "special_cause_concern"}
        out.append(names.get(v, "common_cause"))
    return out


SPECIAL_CAUSE_TYPE = {
    ("outside_limits", 1.0): "Above UCL",
    ("outside_limits", -1.0): "Below LCL",
    ("trend", 1.0): "7 Point Trend (Increasing)",
    ("trend", -1.0): "7 Point Trend (Decreasing)",
    ("two_of_three", 1.0): "2 in 3 Above CL",
    ("two_of_three", -1.0): "2 in 3 Below CL",
    ("shift", 1.0): "7 Points Above CL",
    ("shift", -1.0): "7 Points Below CL",
}
POLARITY = {"up": 1, "down": -1, "neutral": 0}


def random_series(rng, n):
    """Integer counts (so ties happen) with level shifts, ramps and spikes."""
    level = rng.uniform(8, 40)
    y = rng.poisson(level, n).astype(float)
    kind = rng.integers(0, 5)
    start = rng.integers(0, n - 8)
    if kind == 1:  # a level shift
        y[start:] += rng.choice([-1, 1]) * rng.uniform(0.3, 1.5) * np.sqrt(level)
    elif kind == 2:  # a run of rises or falls, with the odd tie that breaks it
        steps = rng.choice([0, 1, 2, 3], 8, p=[0.06, 0.44, 0.3, 0.2])
        ramp = y[start] + rng.choice([-1, 1]) * np.r_[0, np.cumsum(steps)]
        y[start : start + 9] = ramp[: len(y) - start]
    elif kind == 3:  # spikes to about two to three and a half sigma
        spots = rng.choice(n, 4, replace=False)
        y[spots] += rng.choice([-1, 1], 4) * rng.uniform(2, 3.5, 4) * np.sqrt(level)
    return np.clip(np.round(y), 0, None)


def test_csplib_matches_a_transliteration_of_nhsr_on_random_series():
    rng = np.random.default_rng(20261207)
    seen = dict.fromkeys(SPECIAL_CAUSE_TYPE.values(), 0)
    points = 0
    for k in range(300):
        n = int(rng.integers(12, 40))
        y = random_series(rng, n)
        fix = int(rng.integers(10, n + 1)) if k % 3 == 0 else None
        if fix is not None and fix == n:
            fix = None
        polarity = ("up", "down", "neutral")[k % 3]
        mean, lpl, upl, outside, rtm, close = r_spc_standard(list(y), fix)
        if upl == lpl:  # a flat baseline: nothing to compare
            continue
        types = r_special_cause_type(list(y), rtm, close, outside)
        expected = r_point_type(types, POLARITY[polarity])

        res = SPCChart(
            series(y), baseline=fix, chart="xmr", screen_outliers=True, polarity=polarity
        ).fit()
        t = res.table
        assert t["centre"].iloc[0] == pytest.approx(mean)
        assert t["upper"].iloc[0] == pytest.approx(upl)
        assert t["lower"].iloc[0] == pytest.approx(max(lpl, 0.0))
        got = [
            ("special_cause_neutral" + v[len("special_cause_neither") :])
            if v.startswith("special_cause_neither")
            else v.rsplit("_", 1)[0]
            if v != "common_cause"
            else v
            for v in res.point_variation
        ]
        assert got == expected, (k, list(y))

        half = 2.66 * (upl - mean) / 2.66
        out = apply_rules(
            y, mean, lpl, upl, mean - 2 * half / 3, mean + 2 * half / 3, check_rules(None), polarity
        )
        got_types = [
            SPECIAL_CAUSE_TYPE.get((r, d), "Common Cause")
            for r, d in zip(out["rule"], out["direction"], strict=True)
        ]
        assert got_types == types, (k, list(y))
        for name in types:
            if name in seen:
                seen[name] += 1
        points += n
    # the random series exercised every kind of special cause, each many times
    assert points > 6000
    assert min(seen.values()) >= 20, seen
