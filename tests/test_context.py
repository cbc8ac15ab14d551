"""Context.show / save_table: what reaches shared tables is protected."""

from pathlib import Path

import pandas as pd
import pytest

from csplib.context import Context
from csplib.params import load_params

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def ctx(tmp_path):
    params = load_params(REPO / "tests" / "fixtures" / "params" / "small.yaml")
    return Context(params=params, output_dir=tmp_path, chapter="test")


def test_wide_table_with_all_counts(ctx, tmp_path):
    wide = pd.DataFrame(
        {"2023/24": [40, 3, 43], "2024/25": [38, 12, 50]}, index=["Burglary", "Robbery", "All"]
    )
    ctx.show(wide, "wide", counts="all")
    saved = pd.read_csv(tmp_path / "tables" / "test__wide.csv", index_col=0)
    assert saved.loc["Robbery", "2023/24"] == "[c]"
    # secondary suppression: the Burglary cell of that year would give it back from All
    assert saved.loc["Burglary", "2023/24"] == "[c]"


def test_changes_computed_from_two_counts_are_hidden(ctx, tmp_path):
    t = pd.DataFrame(
        {
            "count": [3, 50],
            "previous": [40, 45],
            "volume_change": [-37, 5],
            "pct_change": [-92.5, 11.1],
            "rate_per_1000": [0.1, 1.2],
        },
        index=["A", "B"],
    )
    ctx.show(t, "two")
    saved = pd.read_csv(tmp_path / "tables" / "test__two.csv", index_col=0)
    assert (
        saved.loc["A", ["count", "volume_change", "pct_change", "rate_per_1000"]] == "[c]"
    ).all()
    assert saved.loc["B", "count"] == "50"


def test_long_table_totals_hidden_when_a_group_cell_is(ctx, tmp_path):
    long = pd.DataFrame(
        {
            "ward": ["A", "A", "A", "B", "B", "B"],
            "category": ["Burglary", "Robbery", "All", "Burglary", "Robbery", "All"],
            "count": [20, 3, 23, 30, 10, 40],
        }
    )
    ctx.show(long, "long")
    saved = pd.read_csv(tmp_path / "tables" / "test__long.csv")
    a = saved[saved["ward"] == "A"].set_index("category")["count"]
    assert a["Robbery"] == "[c]" and a["All"] == "[c]"  # 23 - 20 cannot give 3 back


def test_save_table_suppresses_too(ctx, tmp_path):
    ctx.save_table(pd.DataFrame({"count": [2, 30]}, index=["x", "y"]), "annex")
    saved = pd.read_csv(tmp_path / "tables" / "test__annex.csv", index_col=0)
    assert saved.loc["x", "count"] == "[c]"


def test_no_counts_means_no_suppression(ctx, tmp_path):
    scores = pd.DataFrame({"score": [1, 2], "rank": [2, 1]}, index=["a", "b"])
    ctx.show(scores, "scores", counts=None)
    saved = pd.read_csv(tmp_path / "tables" / "test__scores.csv", index_col=0)
    assert saved["score"].tolist() == [1, 2]
