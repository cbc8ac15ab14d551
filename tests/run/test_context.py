"""Context.show / save_table / finish: what reaches shared tables is protected as each table
declares, and a chapter's result is saved for the summary."""

from pathlib import Path

import pandas as pd
import pytest

from csplib.chapters.findings import Finding
from csplib.chapters.result import ChapterResult, Table, load_result
from csplib.params import load_params
from csplib.run.context import Context

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def ctx(tmp_path):
    params = load_params(REPO / "tests" / "fixtures" / "params" / "small.yaml")
    return Context(params=params, output_dir=tmp_path, chapter="test")


def test_wide_table_with_all_counts(ctx, tmp_path):
    wide = pd.DataFrame(
        {"2023/24": [40, 3, 43], "2024/25": [38, 12, 50]}, index=["Burglary", "Robbery", "All"]
    )
    ctx.show(Table("wide", wide, counts="all"))
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
    two = {"volume_change", "pct_change", "rate_per_1000"}
    ctx.show(
        Table(
            "two",
            t,
            counts=("count", "previous"),
            derived=dict.fromkeys(two, ("count", "previous")),
        )
    )
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
    ctx.show(Table("long", long, counts=("count",)))
    saved = pd.read_csv(tmp_path / "tables" / "test__long.csv")
    a = saved[saved["ward"] == "A"].set_index("category")["count"]
    assert a["Robbery"] == "[c]" and a["All"] == "[c]"  # 23 - 20 cannot give 3 back


def test_save_table_suppresses_too(ctx, tmp_path):
    ctx.save_table(
        Table("annex", pd.DataFrame({"count": [2, 30]}, index=["x", "y"]), counts=("count",))
    )
    saved = pd.read_csv(tmp_path / "tables" / "test__annex.csv", index_col=0)
    assert saved.loc["x", "count"] == "[c]"


def test_no_counts_means_no_suppression(ctx, tmp_path):
    scores = pd.DataFrame({"score": [1, 2], "rank": [2, 1]}, index=["a", "b"])
    ctx.show(Table("scores", scores, counts=()))
    saved = pd.read_csv(tmp_path / "tables" / "test__scores.csv", index_col=0)
    assert saved["score"].tolist() == [1, 2]


def test_a_count_not_declared_is_not_guessed(ctx, tmp_path):
    """No column-name guessing: only declared columns are protected (the declarations are
    the chapter's responsibility, checked by each chapter's tests)."""
    frame = pd.DataFrame({"count": [2, 30], "victims": [1, 9]}, index=["x", "y"])
    ctx.show(Table("declared", frame, counts=("victims",)))
    saved = pd.read_csv(tmp_path / "tables" / "test__declared.csv", index_col=0)
    assert saved.loc["x", "victims"] == "[c]" and saved.loc["x", "count"] == 2


def test_finish_saves_the_result_and_shows_nothing(ctx, tmp_path):
    result = ChapterResult("03_harm", findings=[Finding("Harm rose.", "03_harm")])
    assert ctx.finish(result) is None
    assert load_result(tmp_path, "03_harm").findings == result.findings
    assert ctx.saved_result("03_harm").findings == result.findings
    interactive = Context(params=ctx.params, output_dir=None, chapter="03_harm")
    assert interactive.finish(result) is None and interactive.saved_result("03_harm") is None
