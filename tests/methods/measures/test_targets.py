"""Target tracking on hand-worked examples from the partnership's targets table (Plan 2022-25).

The targets are the worked example's framework's (parameters/nottingham/framework.yaml): the
measure library sets none."""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csplib.core.errors import DataError, DefinitionError, ParamsError
from csplib.core.periods import Period
from csplib.methods.measures import (
    Target,
    annual_values,
    load_framework,
    load_registry,
    track_target,
    track_targets,
)

NOTTS = load_framework(Path(__file__).parents[3] / "parameters" / "nottingham" / "framework.yaml")

# The published TARGETS table: baseline 2018/19 and the years 2019/20 - 2021/22
ASB = {"2018/19": 14840, "2019/20": 15182, "2020/21": 20680, "2021/22": 15891, "2022/23": np.nan}
VBC = {"2018/19": 37486, "2019/20": 34747, "2020/21": 26009, "2021/22": 32636}
HATE_SHARE = {"2018/19": 16.3, "2019/20": 13.5, "2020/21": 17.0, "2021/22": 14.1}


def test_asb_hand_worked_as_at_2021_22():
    s = track_target(NOTTS["asb_police_recorded"], ASB)
    # target: 14,840 x (1 - 0.25) = 11,130 by March 2023
    assert s.target_value == 11130
    # current: 2021/22 (latest non-missing); 36 of the 48 months from Mar 2019 to Mar 2023
    assert s.current_period.label == "2021/22" and s.current_value == 15891
    assert s.elapsed == 0.75
    # path: 14,840 - 3,710 x 0.75 = 12,057.5; 15,891 is above it
    assert s.path_value == 12057.5
    assert not s.on_track and s.status == "Not on track"
    assert s.change_vs_baseline == pytest.approx((15891 - 14840) / 14840 * 100)
    # projection: least-squares line through x = 0..3, y = 14840, 15182, 20680, 15891
    # slope = sum((x - 1.5) * y) / 5 = 4325.5 / 5 = 865.1; at x = 4 (2022/23):
    # mean 16648.25 + 2.5 x 865.1 = 18,811
    assert s.projected_value == pytest.approx(18811.0)
    assert not s.projected_to_meet
    assert s.annual.index.tolist() == ["2018/19", "2019/20", "2020/21", "2021/22", "2022/23"]


def test_asb_as_at_2019_20_and_march_2021():
    s = track_target(NOTTS["asb_police_recorded"], {"2018/19": 14840, "2019/20": 15182})
    assert (s.elapsed, s.path_value, s.on_track) == (0.25, 13912.5, False)
    # a line through two points: 14,840 + 342 x 4 = 16,208
    assert s.projected_value == pytest.approx(16208.0)
    # Board, March 2021: "ASB is approximately 35% above the baseline", not on track
    s = track_target(
        NOTTS["asb_police_recorded"], {"2018/19": 14840, "2019/20": 15182, "2020/21": 20680}
    )
    assert s.change_vs_baseline == pytest.approx(39.35, abs=0.01)
    assert not s.on_track


def test_current_rolling_window():
    # the report's "Sep 19 - Aug 20": 18,198; Aug 2020 is 17 months after Mar 2019
    s = track_target(
        NOTTS["asb_police_recorded"], {"2018/19": 14840}, current=("Sep 19 - Aug 20", 18198)
    )
    assert s.elapsed == pytest.approx(17 / 48)
    assert s.path_value == pytest.approx(14840 - 3710 * 17 / 48)
    assert not s.on_track
    # only the baseline year is observed: the linear projection falls back to the current value
    assert s.projected_value == 18198 and s.projection == "linear"


def test_reduce_crime_is_on_track():
    s = track_target(NOTTS["victim_based_crime"], VBC)
    assert s.target_value == 37486  # "reduce crime": at or below the baseline
    assert s.path_value == 37486
    assert s.on_track and s.projected_to_meet
    assert track_target(NOTTS["victim_based_crime"], {"2018/19": 37486, "2019/20": 37486}).on_track
    assert not track_target(
        NOTTS["victim_based_crime"], {"2018/19": 37486, "2019/20": 37487}
    ).on_track


def test_hate_crime_share_relative_reduction():
    s = track_target(NOTTS["hate_crime_repeat_victim_share"], HATE_SHARE)
    assert s.target_value == pytest.approx(14.67)  # 16.3 x 0.9
    assert s.path_value == pytest.approx(16.3 - 1.63 * 0.75)  # 15.0775
    assert s.on_track  # 14.1 <= 15.0775
    # line through (0, 16.3), (1, 13.5), (2, 17.0), (3, 14.1): slope -1.55 / 5 = -0.31,
    # at x = 4: 15.225 - 2.5 x 0.31 = 14.45, better than 14.67
    assert s.projected_value == pytest.approx(14.45)
    assert s.projected_to_meet
    # as at 2020/21: path 16.3 - 1.63 x 0.5 = 15.485 < 17.0
    s = track_target(NOTTS["hate_crime_repeat_victim_share"], dict(list(HATE_SHARE.items())[:3]))
    assert s.path_value == pytest.approx(15.485) and not s.on_track


def test_maintain_successful_completions():
    base = {"2018/19": 21.9, "2019/20": 22.7}
    assert track_target(NOTTS["successful_completions"], base).on_track  # higher is better
    # the report: 21.3% in Jun 19 - May 20, below the 21.9% baseline: not being met
    s = track_target(NOTTS["successful_completions"], base, current=("Jun 19 - May 20", 21.3))
    assert s.elapsed == pytest.approx(14 / 48)
    assert not s.on_track


def test_projection_current_and_points_target():
    s = track_target(NOTTS["asb_police_recorded"], ASB, projection="current")
    assert s.projected_value == 15891 and s.projection == "current"
    t = Target.from_spec(
        {"baseline": "2018/19", "change": "-2pp", "assessment": "2019/20 - 2022/23"}, "x"
    )
    assert t.change_type == "points" and t.target_value(16.3) == pytest.approx(14.3)
    assert t.text == "Reduce by 2pp"


def test_tracking_errors():
    with pytest.raises(DefinitionError, match="measure 'burglary' has no target"):
        track_target("burglary", {"2018/19": 1})
    # the library's ASB measure has no target: the plan gives it one
    with pytest.raises(DefinitionError, match="measure 'asb_police_recorded' has no target"):
        track_target("asb_police_recorded", {"2018/19": 14840, "2019/20": 15182})
    with pytest.raises(ParamsError, match="no value for the baseline 2018/19"):
        track_target(NOTTS["asb_police_recorded"], {"2019/20": 15182})
    with pytest.raises(ParamsError, match="no value after the baseline"):
        track_target(NOTTS["asb_police_recorded"], {"2018/19": 14840, "2019/20": np.nan})
    with pytest.raises(ParamsError, match="projection 'cubic' is not one of"):
        track_target(NOTTS["asb_police_recorded"], ASB, projection="cubic")
    with pytest.raises(ParamsError, match="current must be a MeasureValue or a"):
        track_target(NOTTS["asb_police_recorded"], ASB, current=5)


# -- from data ----------------------------------------------------------------------------


def monthly_asb(per_year, end="2021-09-01"):
    """ASB rows from Apr 2018: per_year[i] rows spread over the months of year i."""
    months = pd.date_range("2018-04-01", end, freq="MS")
    rows = []
    for m in months:
        fy = m.year - 2018 if m.month >= 4 else m.year - 2019
        n = per_year[fy]
        rows += [(m, "Anti-social behaviour")] * n
        rows += [(m, "Burglary")]
    return pd.DataFrame(rows, columns=["month", "category"])


def test_annual_values_from_data_leave_unfinished_years_empty():
    incidents = monthly_asb([10, 9, 12, 8])
    values = annual_values(NOTTS["asb_police_recorded"], {"incidents": incidents})
    # 2021/22 has data only to Sep 2021: awaiting data, not a part-year value
    assert values.index.tolist() == ["2018/19", "2019/20", "2020/21", "2021/22", "2022/23"]
    assert values.iloc[:3].tolist() == [120, 108, 144]
    assert values.iloc[3:].isna().all()
    assert values.name == "asb_police_recorded" and values.index.name == "period"


def test_annual_values_refuse_a_gap_inside_the_data():
    incidents = monthly_asb([10, 9, 12, 8])
    gap = incidents[incidents["month"] != pd.Timestamp("2019-06-01")]
    with pytest.raises(DataError, match="2019/20.*Jun 2019"):
        annual_values(NOTTS["asb_police_recorded"], gap)
    with pytest.raises(ParamsError, match="never returns part-year values"):
        annual_values(NOTTS["asb_police_recorded"], incidents, allow_incomplete=True)


def test_track_targets_from_data(tmp_path):
    incidents = monthly_asb([10, 9, 12, 8])
    statuses = track_targets(
        {"incidents": incidents},
        measures=["asb_police_recorded", "victim_based_crime"],
        registry=NOTTS.registry,
        current="Oct 20 - Sep 21",
    )
    asb, vbc = statuses
    assert asb.baseline_value == 120 and asb.target_value == 90
    # current window Oct 20 - Sep 21: 6 months x 12 + 6 months x 8 = 120
    assert asb.current_value == 120 and asb.current_period.label == "Oct 20 - Sep 21"
    assert asb.elapsed == pytest.approx(30 / 48)
    assert asb.path_value == pytest.approx(120 - 30 * 30 / 48)
    assert not asb.on_track
    # projection: line through (0, 120), (1, 108), (2, 144): slope (144 - 120) / 2 = 12,
    # at x = 4: mean 124 + (4 - 1) x 12 = 160
    assert asb.projected_value == pytest.approx(160.0)
    assert vbc.baseline_value == 12 and vbc.current_value == 12 and vbc.on_track
    # default: every measure of the registry with a target; the library has none
    reg = NOTTS.registry
    with_targets = [m.id for m in reg.values() if m.target is not None]
    assert sorted(with_targets) == sorted(
        [
            "victim_based_crime",
            "hate_crime_repeat_victim_share",
            "asb_police_recorded",
            "successful_completions",
        ]
    )
    assert track_targets({"incidents": incidents}) == []
    assert [m for m in load_registry().values() if m.target is not None] == []


def test_target_period_arithmetic():
    t = NOTTS["asb_police_recorded"].target
    assert t.baseline == Period.financial_year(2018)
    assert t.baseline.months_between_ends(t.assessment) == 48
    assert math.isclose(t.target_value(100), 75)
    assert t.to_spec()["change"] == "-25%"
