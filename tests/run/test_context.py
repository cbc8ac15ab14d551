"""Context.show / save_table / finish: what reaches shared tables is protected as each table
declares, and a chapter's result is saved for the summary."""

from pathlib import Path

import pandas as pd
import pytest

from csplib.chapters.findings import Finding
from csplib.chapters.result import ChapterResult, Table, load_result
from csplib.params import load_params
from csplib.run.context import Context, data_used

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


def test_finish_saves_the_result_and_ends_the_page_with_the_data_used(ctx, tmp_path):
    result = ChapterResult("03_harm", findings=[Finding("Harm rose.", "03_harm")])
    shown = ctx.finish(result)
    saved = load_result(tmp_path, "03_harm")
    assert saved.findings == result.findings
    assert ctx.saved_result("03_harm").findings == result.findings
    # the Data used line: the run's own values, in the saved result and on the page
    (line,) = saved.notes["data_used"]
    assert line == ctx.data_used()
    assert line.startswith("Data used: counts by 2021 LSOA; 2024 wards, each the union of ")
    assert "lookup LSOA (2021) to Electoral Ward (2024) to LAD (2024);" in line
    assert "LAD (2024) to Community Safety Partnership (2024) to Police Force Area (2024)" in line
    assert "lookup_" not in line  # ONS's titles, not our file names
    # Jan - Mar 2024: the 2024 estimate is wanted and the nearest shipped is 2020's
    assert "ONS mid-year estimate for 2020 (the nearest available to 2024)" in line
    assert ctx.params.area.lsoa_vintage == "2021" and line.endswith("deprivation: IoD2025.")
    assert shown.data.startswith('<p class="csp-data-used"><small><strong>Data used:</strong>')
    assert "estimate for 2020" in shown.data and str(tmp_path) not in shown.data
    interactive = Context(params=ctx.params, output_dir=None, chapter="03_harm")
    assert interactive.finish(result).data == shown.data
    assert interactive.saved_result("03_harm") is None


def test_data_used_names_the_vintage_population_year_and_edition_used(tmp_path):
    """A 2011-vintage assessment of 2019/20 in Cardiff: 2011 LSOAs through the LSOA11 ->
    LSOA21 lookup, the 2019 estimate as published, and no deprivation edition (the English
    indices do not cover Wales)."""
    text = (REPO / "tests" / "fixtures" / "params" / "small.yaml").read_text()
    text = text.replace("root: ../../..", f"root: {REPO}")
    text = text.replace("name: Nottingham", "name: Cardiff").replace("csp_code: E22000257", "")
    text = text.replace("la_codes: [E06000018]", 'la_codes: [W06000015]\n  lsoa_vintage: "2011"')
    text = text.replace('{start: 2024-01, end: 2024-03, label: "Jan - Mar 2024"}', '"2019/20"')
    path = tmp_path / "cardiff.yaml"
    path.write_text(text)
    line = data_used(load_params(path))
    assert "counts by 2011 LSOA" in line
    assert "best-fit lookup LSOA (2021) to Electoral Ward (2024) to LAD (2024) (through " in line
    assert "(through LSOA (2011) to LSOA (2021) to LAD (2022))" in line
    assert "the partnership (Cardiff, W14000015) and its police force (South Wales)" in line
    assert "population: ONS mid-year estimate for 2019;" in line
    assert "converted" not in line
    assert line.endswith("deprivation: none (the English indices do not cover the area's LSOAs).")
