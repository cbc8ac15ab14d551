"""Count tables of the volume chapter: a missing month is never a zero, years carry their
coverage, and a window's rates and shares are checked against hand counts."""

import numpy as np
import pandas as pd
import pytest

from csplib.methods import volume


def _incidents():
    months = ["2019-03-01"] * 2 + ["2019-05-01"] * 3 + ["2020-04-01"]
    return pd.DataFrame(
        {
            "month": pd.to_datetime(months),
            "category": ["Burglary", "Robbery", "Burglary", "Burglary", "Drugs", "Drugs"],
        }
    )


def test_monthly_counts_leave_missing_months_missing():
    monthly = volume.monthly_counts(_incidents())
    assert monthly.loc["2019-04-01"].isna().all()  # no data that month: unknown, not zero
    assert monthly.loc["2019-05-01", "Robbery"] == 0  # data that month, no robbery: zero
    assert monthly.loc["2019-05-01", "Burglary"] == 2
    assert len(monthly) == 14  # Mar 2019 to Apr 2020, every month listed


def test_period_counts_and_their_coverage():
    counts = volume.period_counts(_incidents())
    assert counts.loc["All", "2019/20"] == 3 and counts.loc["All", "2020/21"] == 1
    assert counts.loc["Burglary", "2018/19"] == 1 and counts.loc["Robbery", "2020/21"] == 0
    assert counts.loc["All"].sum() == len(_incidents())
    cover = volume.coverage(_incidents()["month"]).set_index("period")
    assert cover.loc["2019/20", "months_covered"] == 1
    assert not cover["complete"].any()
    full = volume.coverage(pd.date_range("2019-04-01", "2020-03-01", freq="MS"))
    assert full.set_index("period").loc["2019/20", "complete"]


def test_window_table_rates_and_shares():
    table = volume.window_table(_incidents(), "2019-04-01", "2020-04-01", population=4000)
    assert table.loc["All", "count"] == 4
    assert table.loc["Burglary", "rate_per_1000"] == pytest.approx(2 / 4000 * 1000)
    assert table.loc["Drugs", "share"] == pytest.approx(0.5)
    empty = volume.window_table(_incidents(), "2030-01-01", "2030-12-01", population=10)
    assert empty.loc["All", "count"] == 0 and np.isnan(empty.loc["All", "share"])
    with pytest.raises(ValueError, match="population must be positive"):
        volume.window_table(_incidents(), "2019-04-01", "2020-03-01", population=0)
