"""Small numbers in the performance chapter: the counts behind its tables, protected once.

The chapter's tables hold one measure per row, so it protects the counts behind them with
the assessment's one suppression function (csplib.present.disclosure.protect): a small
count is hidden with every figure computed from it, and a small police.uk category is
protected against the all-crime total by secondary suppression.
"""

from functools import partial
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from csplib.chapters.performance import (
    PerformanceData,
    assess,
    assess_rows,
    format_performance_rows,
    format_targets_frame,
    format_tracking_frame,
    performance_findings,
    performance_rows_frame,
    protect_rows,
    protect_targets,
    target_charts,
    targets_frame,
    track_framework_targets,
    tracking_frame,
)
from csplib.chapters.performance.protection import category_total, row_counts
from csplib.chapters.result import ChapterResult, load_result
from csplib.core.schema import CRIME_CATEGORIES
from csplib.methods.measures import get_measure, load_framework
from csplib.params import load_params
from csplib.present.disclosure import protect
from csplib.run.context import Context

ASB = "Anti-social behaviour"
PROTECT = partial(protect, threshold=5)
DEFAULT = Path(__file__).resolve().parents[2] / "parameters" / "default.yaml"
NOTTS = load_framework(DEFAULT.parent / "nottingham" / "framework.yaml")


def incidents(per_month: dict, start="2018-04", end="2020-03") -> pd.DataFrame:
    """Monthly incidents: ``per_month`` maps category -> f(month) -> rows (or a number)."""
    rows = []
    for month in pd.date_range(f"{start}-01", f"{end}-01", freq="MS"):
        for cat, n in per_month.items():
            rows += [(month, cat)] * int(n(month) if callable(n) else n)
    return pd.DataFrame(rows, columns=["month", "category"])


def police(per_month: dict, start="2018-04", end="2020-03", **kwargs) -> PerformanceData:
    """:class:`PerformanceData` of :func:`incidents`, every month of the span with a file."""
    months = pd.date_range(f"{start}-01", f"{end}-01", freq="MS")
    inc = incidents(per_month, start, end)
    return PerformanceData({"incidents": inc}, months_present=months, **kwargs)


def three_in(first_month: str):
    """Two a month before ``first_month``'s financial year, then three in its first month."""
    start = pd.Timestamp(first_month)

    def n(month):
        if month < start:
            return 2
        return 3 if month == start else 0

    return n


def tracked_rows(period="2019/20", end="2020-03"):
    """The tracked categories, Robbery with 3 crimes in ``period`` and the rest busier."""
    sizes = {cat: 10 + 3 * i for i, cat in enumerate(CRIME_CATEGORIES)}
    first = f"{period[:4]}-04-01"
    per_month = {cat: (three_in(first) if cat == "Robbery" else n) for cat, n in sizes.items()}
    data = PerformanceData({"incidents": incidents(per_month, end=end)})
    return assess_rows(data, period, NOTTS.tracked)


def test_all_crime_is_the_total_of_the_police_uk_categories():
    rows = tracked_rows()
    total, parts = category_total([r.measure for r in rows])
    assert total == "all_crime" and len(parts) == 13
    assert {get_measure(p).filter.categories[0] for p in parts} == set(CRIME_CATEGORIES)
    # hate crime (partner data, absent here) has no count: one table, the categories
    [counts] = row_counts(rows, "tracked_table")
    compared = ("Performance (compared)", "Previous (compared)")
    assert counts.totals == ("all_crime",)
    assert counts.counts == ("Performance", "Previous", *compared)
    assert set(counts.frame.index) == {*parts, "all_crime"}
    # complete years: the counts compared are the years' counts
    assert counts.frame["Performance"].equals(counts.frame["Performance (compared)"])
    assert counts.frame["Previous"].equals(counts.frame["Previous (compared)"])
    # a test's p-value and direction would give a hidden count back: derived too (from the
    # counts compared, which are like-for-like when a month is missing)
    assert counts.derived == {
        c: compared for c in ("% Change", "Vol. Change", "p-value", "DOT", "Outcome")
    }
    without_total = [r for r in rows if r.measure.id != "all_crime"]
    [plain] = row_counts(without_total, "tracked_table")
    assert plain.totals is None and len(plain.frame) == 13


def test_small_category_gets_secondary_suppression_against_all_crime():
    rows = tracked_rows()
    frame = performance_rows_frame(rows)
    out = protect_rows(rows, PROTECT, name="tracked_table")
    shown = out.frame.set_index("measure")
    values = frame.set_index("measure")
    assert values.loc["robbery", "Performance"] == 3
    hidden = [m for m in shown.index if shown.loc[m, "Performance"] == "[c]"]
    # robbery, and the smallest other category, so that all crime minus the others shown
    # does not give robbery
    smallest = values.drop(["robbery", "all_crime"])["Performance"].idxmin()
    assert sorted(hidden) == sorted(["robbery", smallest])
    assert shown.loc["all_crime", "Performance"] == values.loc["all_crime", "Performance"]
    shown_parts = values.drop(["all_crime", *hidden])["Performance"].sum()
    assert values.loc["all_crime", "Performance"] - shown_parts > 3  # two unknowns remain
    for m in hidden:  # their changes go with them; the previous year's counts are large
        assert shown.loc[m, ["% Change", "Vol. Change"]].tolist() == ["[c]", "[c]"]
        assert shown.loc[m, "Previous"] == values.loc[m, "Previous"]
        assert bool(shown.loc[m, "Suppressed"])
        assert shown.loc[m, "Note"].startswith("[c]: hidden to protect small numbers")
    assert out.measures == frozenset(hidden)
    assert "[c]" in out.note and "worked out" in out.note
    # nothing else changed
    others = [m for m in values.index if m not in hidden]
    pd.testing.assert_frame_equal(
        shown.loc[others, values.columns].astype(values.dtypes.to_dict()), values.loc[others]
    )
    display = format_performance_rows(out.frame).set_index(frame["measure"])
    assert display.loc["robbery", ["Performance", "% Change", "Vol. Change"]].tolist() == [
        "[c]",
        "[c]",
        "[c]",
    ]
    assert (
        display.loc["all_crime", "Performance"] == f"{values.loc['all_crime', 'Performance']:,.0f}"
    )


def test_a_small_previous_count_hides_the_changes_but_not_the_current_count():
    # 2018/19: one robbery (March 2019); 2019/20: one a month
    data = police({"Robbery": lambda m: int(m >= pd.Timestamp("2019-03-01"))})
    rows = assess_rows(data, "2019/20", ["robbery"])
    out = protect_rows(rows, PROTECT, name="x").frame
    assert out.loc[0, ["Performance", "Previous", "% Change", "Vol. Change"]].tolist() == [
        12.0,
        "[c]",
        "[c]",
        "[c]",
    ]


def test_a_rate_from_a_small_count_is_hidden():
    data = police({ASB: three_in("2019-04-01")}, population=2000.0)
    rows = assess_rows(data, "2019/20", ["asb_rate", "asb_police_recorded"])
    out = protect_rows(rows, PROTECT, name="x").frame
    assert out["Performance"].tolist() == ["[c]", "[c]"]  # 1.5 per 1,000 is 3 of 2,000
    assert out.loc[0, "Previous"] == pytest.approx(24 / 2000 * 1000)


def test_a_share_of_victims_is_shown_when_its_count_is_hidden():
    # 2019/20: 10 hate crime victims, 3 of them repeats; 2018/19: 10 victims, 5 repeats
    def year(start, repeats):
        rows = []
        for v in range(10):
            rows += [(pd.Timestamp(start), f"V{start[:4]}{v}", True)] * (2 if v < repeats else 1)
        return rows

    months = pd.date_range("2018-04-01", "2020-03-01", freq="MS")
    partner = pd.concat(
        [
            pd.DataFrame(
                year("2018-06-01", 5) + year("2019-06-01", 3),
                columns=["month", "victim_id", "hate"],
            ),
            pd.DataFrame({"month": months, "victim_id": None, "hate": False}),
        ]
    )
    rows = assess_rows(
        PerformanceData({"partner": partner}),
        "2019/20",
        ["hate_crime_repeat_victims", "hate_crime_repeat_victim_share"],
    )
    out = protect_rows(rows, PROTECT, name="x")
    assert out.frame.loc[0, ["Performance", "Previous"]].tolist() == ["[c]", 5.0]
    assert out.frame.loc[1, "Performance"] == pytest.approx(30.0)
    assert out.frame["Suppressed"].tolist() == [True, False]
    assert out.measures == {"hate_crime_repeat_victims"}
    texts = [f.text for f in performance_findings(rows, suppressed=out.measures)]
    assert texts[0] == (
        "The number of repeat victims of hate crime: its figures are not stated, to protect "
        "small numbers."
    )
    assert texts[1].startswith("The share of hate crime victims who were repeat victims fell")


def asb_years(values: dict, end="2023-03") -> PerformanceData:
    """ASB incidents with a fixed total per financial year (spread over its months)."""

    def per_month(m):
        fy = m.year if m.month >= 4 else m.year - 1
        total = values[fy]
        return total // 12 + (1 if (m.month - 4) % 12 < total % 12 else 0)

    return police({ASB: per_month}, "2018-04", end)


def test_a_small_target_baseline_hides_what_is_computed_from_it():
    values = {2018: 3, 2019: 40, 2020: 36, 2021: 30, 2022: 28}
    data = asb_years(values)
    tracks = track_framework_targets(
        data, "2022/23", [("asb_police_recorded", None)], registry=NOTTS.registry
    )
    protected = protect_targets(targets_frame(tracks), tracking_frame(tracks), tracks, PROTECT)
    targets = protected.targets.frame
    assert targets.loc[0, "Baseline (2018/19)"] == "[c]"
    assert targets.loc[0, "2019/20"] == 40
    tracking = protected.tracking.frame
    for col in ("Baseline", "Target Value", "Path Value", "Change vs Baseline", "Projected"):
        assert tracking.loc[0, col] == "[c]", col
    assert tracking.loc[0, "Value"] == 28 and tracking.loc[0, "Path / Outcome"] == "Not met"
    assert protected.periods == {"asb_police_recorded": frozenset({"2018/19"})}
    assert format_targets_frame(tracks, targets).loc[0, "Baseline (2018/19)"] == "[c]"
    assert format_tracking_frame(tracking).loc[0, "Target Value"] == "[c]"
    [chart] = target_charts(tracks, protected.periods)
    assert chart.baseline is None and chart.path is None
    texts = [f.text for f in performance_findings([], tracks, suppressed=protected.measures)]
    assert texts == [
        'The target "Reduce ASB by 25%" (Volume of Police Recorded Incidents): its figures '
        "are not stated, to protect small numbers."
    ]


# -- the chapter through the assessment's context -----------------------------------------


def store_with_small_robbery():
    """A store of police.uk data only, 2018/19 to 2024/25, with 3 robberies in 2024/25."""
    sizes = {cat: 20 + 2 * i for i, cat in enumerate(CRIME_CATEGORIES)}
    per_month = {
        cat: (three_in("2024-04-01") if cat == "Robbery" else n) for cat, n in sizes.items()
    }
    per_month[ASB] = 30
    inc = incidents(per_month, "2018-04", "2025-03")
    population = pd.DataFrame({"population": [150_000.0, 150_000.0]})
    return SimpleNamespace(
        incidents=inc,
        partner=None,
        indicators=None,
        months_present=pd.DatetimeIndex(sorted(inc["month"].unique())),
        geography=SimpleNamespace(population=lambda year: population),
        quality=SimpleNamespace(implausible=None),
    )


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("performance")
    ctx = Context(load_params(DEFAULT), output_dir=out, chapter="06_performance")
    ctx.__dict__["store"] = store_with_small_robbery()  # the store is a cached property
    result = assess(ctx)
    for table in result.tables.values():
        ctx.save_table(table)
    ctx.finish(result)
    return out, result


def test_assess_protects_the_tracked_table_with_secondary_suppression(small_run):
    out, result = small_run
    assert isinstance(result, ChapterResult)
    values = pd.read_csv(out / "tables" / "06_performance__tracked_table_values.csv")
    hidden = values.loc[values["Performance"] == "[c]", "measure"].tolist()
    assert "robbery" in hidden and len(hidden) == 2
    assert (values.loc[values["measure"].isin(hidden), "Suppressed"]).all()
    shown = pd.read_csv(out / "tables" / "06_performance__tracked_table.csv")
    assert (shown["Performance"] == "[c]").sum() == 2
    assert (shown["Vol. Change"] == "[c]").sum() == 2
    # the headline table has no small count: nothing hidden
    headline = pd.read_csv(out / "tables" / "06_performance__performance_table_values.csv")
    assert not headline["Suppressed"].any()
    assert result.notes["suppression"] and "[c]" in result.notes["suppression"][0]


def test_assess_result_is_saved_with_findings_headline_and_figures(small_run):
    out, result = small_run
    assert list(result.tables) == [
        "measure_definitions_all",
        "measure_definitions",
        "performance_table_values",
        "performance_table",
        "tracked_table_values",
        "tracked_table",
        "other_measures_values",
        "other_measures",
        "baseline_table_values",
        "baseline_table",
        "targets_table_values",
        "targets_table",
        "target_tracking_values",
        "target_tracking",
    ]
    saved = load_result(out, "06_performance")
    assert [f.text for f in saved.findings] == [f.text for f in result.findings]
    assert saved.headline["period"] == "2024/25"
    vbc = saved.headline["measures"]["victim_based_crime"]
    assert (
        vbc["unit"] == "count"
        and vbc["value"] == result.tables["performance_table_values"].frame.loc[0, "Performance"]
    )
    assert saved.headline["targets"]["asb_police_recorded"] in ("Met", "Not met")
    assert set(saved.figures) == {f"target_{c.measure}" for c in result.charts}
    assert all(np.isfinite(c.points["value"]).any() for c in result.charts)
    assert any("no partner data" in n for n in saved.notes["unavailable_headline"])
