"""Making Data Count assurance of targets: the rule, its fallbacks and the status column."""

import numpy as np
import pandas as pd
import pytest

from csplib.chapters.performance.assurance import (
    ASSURANCE_MONTHS,
    ASSURANCE_STATUS,
    assurance_rule_text,
    monthly_values,
    target_assurance,
)
from csplib.chapters.performance.data import PerformanceData
from csplib.chapters.performance.targets import (
    format_tracking_frame,
    track_framework_targets,
    tracking_frame,
)
from csplib.methods.measures import get_measure

ASB = "Anti-social behaviour"


def asb_data(base_mean, recent_mean, seed=0, drop=()):
    """Apr 2018 - Mar 2021: a baseline year at ``base_mean`` a month, then two years at
    ``recent_mean`` (Poisson), with the ``drop`` months missing from the download."""
    months = pd.date_range("2018-04-01", "2021-03-01", freq="MS")
    rng = np.random.default_rng(seed)
    means = np.r_[np.full(12, base_mean), np.full(24, recent_mean)]
    counts = rng.poisson(means)
    inc = pd.DataFrame({"month": months.repeat(counts), "category": ASB})
    present = months.difference(pd.DatetimeIndex(drop))
    inc = inc[inc["month"].isin(present)]
    return PerformanceData({"incidents": inc}, months_present=present)


def track(data, change="-25%", measure="asb_police_recorded"):
    m = get_measure(measure).with_target(
        {"baseline": "2018/19", "change": change, "assessment": "2019/20 - 2022/23"}
    )
    [t] = track_framework_targets(data, "2020/21", [(m, None)])
    return t


@pytest.mark.parametrize(
    ("base", "recent", "expected"),
    [
        # target 150 a month; the process runs at 100 +- 30: always better (lower)
        (200, 100, "consistent_pass"),
        # target 60 a month; the process runs at 100 +- 30: always worse
        (80, 100, "consistent_fail"),
        # target 90 a month, within 100 +- 30: met in some months, missed in others
        (120, 100, "inconsistent"),
    ],
)
def test_assurance_compares_the_monthly_target_with_the_process_limits(base, recent, expected):
    data = asb_data(base, recent)
    t = track(data)
    a = target_assurance(t, data, "2020/21")
    assert a.monthly_target == pytest.approx(t.status.target_value / 12)
    # the rule, by hand: the limits of the last month of the SPC chart
    last = a.spc.table.iloc[-1]
    assert a.assurance == expected
    if expected == "consistent_pass":
        assert a.monthly_target > last["upper"]
    elif expected == "consistent_fail":
        assert a.monthly_target < last["lower"]
    else:
        assert last["lower"] <= a.monthly_target <= last["upper"]
    assert a.status == ASSURANCE_STATUS[expected]
    # the icon's classification is the status's: one rule
    assert a.classification()["assurance"] == expected


def test_monthly_values_are_the_last_months_and_missing_months_stay_missing():
    gone = [pd.Timestamp("2020-06-01"), pd.Timestamp("2020-07-01")]
    data = asb_data(100, 100, drop=gone)
    values = monthly_values(track(data), data, "2020/21")
    assert len(values) == ASSURANCE_MONTHS and values.index[-1] == pd.Timestamp("2021-03-01")
    assert values.loc[gone].isna().all() and values.drop(gone).notna().all()
    inc = data.tables["incidents"]
    may = (inc["month"] == "2020-05-01").sum()
    assert values.loc["2020-05-01"] == may


def test_no_assurance_without_enough_months():
    data = asb_data(100, 100)
    months = pd.date_range("2018-04-01", "2021-03-01", freq="MS")
    few = asb_data(100, 100, drop=list(months[-24:-14]))
    a = target_assurance(track(few), few, "2020/21")
    assert a.assurance is None and a.status == "n/a"
    assert a.note == "14 months with data of the last 24; 15 are needed"
    assert target_assurance(track(data), data, "2020/21").status in ASSURANCE_STATUS.values()
    assert "Status is the NHS Making Data Count assurance" in assurance_rule_text()


def test_tracking_table_status_is_the_assurance_and_the_path_keeps_its_own_column():
    data = asb_data(200, 100)
    t = track(data)
    a = target_assurance(t, data, "2020/21")
    frame = tracking_frame([t], {t.measure.id: a.status})
    row = format_tracking_frame(frame).iloc[0]
    assert row["Status"] == "Consistently passing" and row["Path / Outcome"] == t.state
    cols = list(frame.columns)
    assert cols.index("Status") == cols.index("Measure") + 1
    assert tracking_frame([t]).loc[0, "Status"] == "n/a"


def test_a_share_has_no_monthly_value_comparable_with_its_yearly_target():
    import dataclasses

    data = asb_data(100, 100)
    t = track(data)
    share = get_measure("hate_crime_repeat_victim_share").with_target(
        {"baseline": "2018/19", "change": "-10%", "assessment": "2019/20 - 2022/23"}
    )
    a = target_assurance(dataclasses.replace(t, measure=share), data, "2020/21")
    assert a.spc is None and a.status == "n/a"
    assert a.note == "the measure has no monthly value comparable with its target"


def test_an_ended_target_is_assured_on_the_months_to_its_end():
    data = asb_data(200, 100)
    m = get_measure("asb_police_recorded").with_target(
        {"baseline": "2018/19", "change": "-25%", "assessment": "2019/20 - 2019/20"}
    )
    [t] = track_framework_targets(data, "2020/21", [(m, None)])
    assert t.ended
    a = target_assurance(t, data, "2020/21")
    assert a.spc.table.index[-1] == pd.Timestamp("2020-03-01")  # the target's last month
    assert a.spc.table["value"].notna().sum() == 24  # Apr 2018 - Mar 2020
