"""SPC (Making Data Count) rules against hand-worked examples."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from csplib.methods.models import DEFAULT_RULES, SPCChart  # noqa: E402


def series(values, start="2022-01-01"):
    return pd.Series(
        values, index=pd.date_range(start, periods=len(values), freq="MS"), dtype=float
    )


ALTERNATING = [12, 8] * 6  # mean 10, every moving range 4; ends below the mean


def test_xmr_limits_by_hand():
    res = SPCChart(series([10, 12, 11, 14, 13]), chart="xmr").fit()
    t = res.table
    # mean 12; moving ranges 2, 1, 3, 1 -> mean 1.75; 2.66 x 1.75 = 4.655
    assert t["centre"].iloc[0] == pytest.approx(12.0)
    assert t["upper"].iloc[0] == pytest.approx(16.655)
    assert t["lower"].iloc[0] == pytest.approx(7.345)
    assert t["upper_2sigma"].iloc[0] == pytest.approx(12 + 2 / 3 * 4.655)
    assert t["lower_2sigma"].iloc[0] == pytest.approx(12 - 2 / 3 * 4.655)
    assert res.config["mean_moving_range"] == pytest.approx(1.75)
    assert not t["special_cause"].any()
    assert res.icon == "common_cause"
    assert "15 or more are recommended" in res.note


def test_limits_from_a_fixed_baseline_are_extended_over_later_months():
    y = series([*ALTERNATING, 30, 10])
    res = SPCChart(y, baseline=("2022-01", "2022-12")).fit()
    t = res.table
    assert t["baseline"].sum() == 12
    assert (t["centre"] == 10).all()
    assert t["upper"].iloc[-1] == pytest.approx(10 + 2.66 * 4)
    assert t["lower"].iloc[-1] == 0.0  # 10 - 10.64 clipped at zero
    assert t["outside_limits"].tolist() == [False] * 12 + [True, False]
    assert t["variation"].iloc[12] == "special_cause_concern"
    assert t["direction"].iloc[12] == "high"
    # the same baseline given as a number of points
    pd.testing.assert_frame_equal(SPCChart(y, baseline=12).fit().table, t)


def test_point_on_the_mean_breaks_a_shift():
    after = [11, 11, 11, 10, 11, 11, 11, 11, 11, 11]  # 3 above, on the mean, 6 above
    res = SPCChart(series(ALTERNATING + after), baseline=12).fit()
    assert not res.table["shift"].any()
    assert not res.table["special_cause"].any()


def test_seven_above_the_mean_is_a_shift_and_every_point_is_flagged():
    after = [11, 11, 11, 10, 11, 11, 11, 11, 11, 11, 11]  # 3 above, on mean, 7 above
    res = SPCChart(series(ALTERNATING + after), baseline=12).fit()
    shift = res.table["shift"].to_numpy()
    assert shift.tolist() == [False] * 16 + [True] * 7
    assert (res.table["variation"].iloc[16:] == "special_cause_concern").all()
    assert res.icon == "special_cause_concern_high"


def test_shift_run_length_is_configurable():
    after = [11] * 7
    y = series(ALTERNATING + after)
    assert SPCChart(y, baseline=12).fit().table["shift"].sum() == 7
    assert SPCChart(y, baseline=12, rules={"shift": 8}).fit().table["shift"].sum() == 0
    assert SPCChart(y, baseline=12, rules={"shift": False}).fit().table["shift"].sum() == 0


BASE_WIDE = [6, 14] * 6  # mean 10, moving range 8: limits 10 +- 21.28


def test_equal_consecutive_values_break_a_trend():
    after = [7, 8, 9, 10, 10, 11, 12, 13]  # up, up, up, flat, up, up, up
    res = SPCChart(series(BASE_WIDE + after), baseline=12).fit()
    assert not res.table["trend"].any()
    assert not res.table["special_cause"].any()


def test_seven_rising_points_are_a_trend_even_across_the_mean():
    after = [7, 8, 9, 10, 11, 12, 13]
    res = SPCChart(series(BASE_WIDE + after), baseline=12, polarity="down").fit()
    t = res.table
    assert t["trend"].tolist() == [False] * 12 + [True] * 7
    # the trend's direction decides, even for the points below the mean
    assert (t["direction"].iloc[12:] == "high").all()
    assert (t["variation"].iloc[12:] == "special_cause_concern").all()
    # six rising points are not enough
    short = SPCChart(series(BASE_WIDE + after[:6]), baseline=12).fit()
    assert not short.table["trend"].any()
    # a falling trend with polarity "down" is an improvement
    falling = SPCChart(series(BASE_WIDE + after[::-1]), baseline=12).fit()
    assert (falling.table["variation"].iloc[12:] == "special_cause_improvement").all()


def test_two_of_three_beyond_the_two_sigma_line():
    # baseline: mean 10, two-sigma lines 10 +- 7.093 (17.09 and 2.91), limits 0 and 20.64
    after = [18, 11, 19, 10, 10, 18, 10, 2, 10, 10]
    res = SPCChart(series(ALTERNATING + after), baseline=12).fit()
    flagged = res.table["two_of_three"].iloc[12:].tolist()
    # 18 and 19 are two of three above the line: both flagged, the 11 between them is not;
    # the later 18 and 2 are beyond the lines on opposite sides: no signal.
    assert flagged == [True, False, True] + [False] * 7
    assert not res.table["outside_limits"].any()


def test_a_point_beyond_the_limit_counts_towards_two_of_three_only_as_western_electric():
    # 22 is beyond the limit (20.64), 18 beyond the two-sigma line, 10 on the mean
    y = series([*ALTERNATING, 22, 18, 10])
    nhs = SPCChart(y, baseline=12).fit().table.iloc[12:]
    assert nhs["outside_limits"].tolist() == [True, False, False]
    # NHSRplotthedots: the point beyond the limit is not "close to the limit", and the third
    # point is on the mean (neither side): no two-of-three
    assert nhs["two_of_three"].tolist() == [False, False, False]
    assert nhs["special_cause"].tolist() == [True, False, False]
    we = SPCChart(y, baseline=12, rules={"two_of_three": "western_electric"}).fit()
    assert we.table["two_of_three"].iloc[12:].tolist() == [True, True, False]
    assert we.config["rules"]["two_of_three"] == "western_electric"


def test_two_of_three_can_be_switched_off():
    y = series([*ALTERNATING, 18, 11, 19])
    res = SPCChart(y, baseline=12, rules={"two_of_three": False}).fit()
    assert not res.table["special_cause"].any()


def test_c_chart_for_low_counts_with_poisson_limits():
    y = series([1, 3, 2, 2, 1, 3, 2, 2, 1, 3, 2, 2, 9])
    res = SPCChart(y, baseline=12).fit()
    t = res.table
    assert res.config["chart_used"] == "c-chart"
    assert "c-chart" in res.method and "below 5" in res.method
    assert t["upper"].iloc[0] == pytest.approx(2 + 3 * np.sqrt(2))
    assert t["lower"].iloc[0] == 0.0
    assert t["upper_2sigma"].iloc[0] == pytest.approx(2 + 2 * np.sqrt(2))
    assert t["outside_limits"].tolist() == [False] * 12 + [True]
    # forcing XmR uses the moving range instead: ranges 2,1,0,1,2,1,0,1,2,1,0 -> mean 1
    xmr = SPCChart(y, baseline=12, chart="xmr").fit()
    assert xmr.table["upper"].iloc[0] == pytest.approx(2 + 2.66 * 1.0)


def test_polarity_sets_improvement_concern_or_neither():
    y = series([*ALTERNATING, 30])
    res = SPCChart(y, baseline=12).fit()
    assert res.variation == res.icon == "special_cause_concern_high"
    assert res.variation_label == "Special cause of concern: significantly higher"
    assert res.point_variation.iloc[-1] == "special_cause_concern_high"
    assert (res.point_variation.iloc[:-1] == "common_cause").all()
    assert SPCChart(y, baseline=12, polarity="up").fit().icon == "special_cause_improvement_high"
    assert SPCChart(y, baseline=12, polarity="down").fit().icon == "special_cause_concern_high"
    assert SPCChart(y, baseline=12, polarity="neutral").fit().icon == "special_cause_neither_high"


def test_screen_outliers_reproduces_the_plotthedots_example():
    # NHSRplotthedots "deviations" vignette data; moving ranges 8 and 9 exceed 3.267 x 1.882
    values = [1, 2, 1, 2, 10, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1]
    y = series(values)
    mean = 35 / 18
    excel = SPCChart(y, chart="xmr").fit()
    assert excel.table["upper"].iloc[0] == pytest.approx(mean + 2.66 * 32 / 17)
    screened = SPCChart(y, chart="xmr", screen_outliers=True).fit()
    assert screened.table["upper"].iloc[0] == pytest.approx(mean + 2.66 * 1.0)
    assert "2 moving range(s)" in screened.note


def test_missing_months_are_skipped_and_named():
    y = series([*ALTERNATING, 11, 11, 11, np.nan, 11, 11, 11, 11])
    res = SPCChart(y, baseline=12).fit()
    t = res.table
    assert "No data for 2023-04" in res.note
    assert np.isnan(t.loc["2023-04-01", "value"])
    assert not t.loc["2023-04-01", "special_cause"]
    # the seven points above the mean either side of the gap form a shift
    assert t["shift"].sum() == 7


def test_all_zero_series_has_collapsed_limits_and_no_signals():
    res = SPCChart(series([0] * 20)).fit()
    assert (res.table["upper"] == 0).all()
    assert not res.table["special_cause"].any()
    assert "limits collapse to zero" in res.note


def test_too_few_points_gives_no_chart_and_a_note():
    res = SPCChart(series([5, np.nan, np.nan])).fit()
    assert res.method.startswith("none")
    assert "at least 2" in res.note
    assert res.table["centre"].isna().all()


def test_default_rules_are_the_mdc_four():
    assert DEFAULT_RULES == {"outside_limits": True, "shift": 7, "trend": 7, "two_of_three": True}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"polarity": "higher"}, "polarity must be one of 'down', 'up', 'neutral'"),
        ({"chart": "p"}, "chart must be one of 'auto', 'xmr', 'c'"),
        ({"rules": {"runs": 7}}, "unknown SPC rule 'runs'"),
        ({"rules": {"shift": 1}}, r"takes a run length \(an integer >= 2\)"),
        ({"rules": {"outside_limits": 3}}, "switched on or off"),
        ({"rules": {"two_of_three": "minitab"}}, "takes True \\(the NHS reading\\), False or"),
        ({"rules": {"two_of_three": 1}}, "takes True \\(the NHS reading\\), False or"),
        ({"target": "ten"}, "target must be a number or None"),
        ({"target": float("nan")}, "target must be a finite number"),
        ({"rules": [("shift", 7)]}, "rules must be a mapping"),
        ({"baseline": 1}, "baseline must be between 2 and the length"),
        ({"baseline": 40}, "baseline must be between 2 and the length"),
        ({"baseline": ("2022-06", "2022-02")}, "must not be before its start"),
        ({"baseline": ("2022-01", "2030-01")}, "baseline end must fall inside the series"),
        ({"baseline": "2022"}, "baseline must be None"),
        ({"c_chart_below": -1}, "c_chart_below must be a number >= 0"),
        ({"screen_outliers": "yes"}, "screen_outliers must be True or False"),
    ],
)
def test_argument_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SPCChart(series(ALTERNATING), **kwargs)


def test_plot_returns_axes_with_mdc_colours():
    res = SPCChart(series([*ALTERNATING, 30]), baseline=12).fit()
    ax = res.plot(title="One unusual month")
    assert ax.get_title(loc="left") == "One unusual month"
    colours = {tuple(np.round(c.get_facecolor()[0][:3], 3)) for c in ax.collections}
    orange = tuple(np.round(matplotlib.colors.to_rgb("#E69F00"), 3))
    assert orange in colours
