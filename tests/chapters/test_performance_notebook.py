"""End-to-end checks of the performance chapter on the default (synthetic) assessment.

The chapter runs alone (``csp assess --chapters 06_performance``, once for this module). Its
data annex (``tables/06_performance__*.csv``) is compared with the synthetic dataset's truth:
the partnership's published targets it was calibrated to, the city totals by category, the
planted effects and the planted publication defect. Directions of travel are checked
against an exact Poisson test computed here with scipy. Its saved result
(``results/06_performance.json``) is read back as the summary reads it. The notebook is also
run once with the generic framework and no baseline, to check how it lays out empty sections.
"""

import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from scipy import stats

from csplib.chapters.performance import (
    assess_rows,
    assessment_period,
    performance_data,
    performance_findings,
    targets_frame,
    track_framework_targets,
)
from csplib.chapters.result import load_result
from csplib.ingest.store import load_store
from csplib.methods.measures import PERFORMANCE_COLUMNS, load_framework
from csplib.params import load_params

REPO = Path(__file__).resolve().parents[2]
#: The framework the default parameters name (parameters/nottingham/framework.yaml).
PLAN = load_framework(REPO / "parameters" / "nottingham" / "framework.yaml")
ARROWS = {"↑", "↓", "↔"}
YEARS = ["Baseline (2018/19)", "2019/20", "2020/21", "2021/22"]
LABELS = ["2018/19", "2019/20", "2020/21", "2021/22"]


@pytest.fixture(scope="module")
def store_results():
    """The chapter's computations straight from the store (no notebook run needed)."""
    params = load_params(REPO / "parameters" / "default.yaml")
    data = performance_data(load_store(params), params)
    period = assessment_period(params.assessment.period)
    assert params.framework == REPO / "parameters" / "nottingham" / "framework.yaml"
    return data, period, track_framework_targets(data, period, load_framework(params.framework))


@pytest.fixture(scope="module")
def generic_run(tmp_path_factory):
    """``csp assess --chapters 06_performance`` on the default data with the generic framework
    (no framework file) and no baseline; returns the output folder."""
    folder = tmp_path_factory.mktemp("generic-performance")
    doc = yaml.safe_load((REPO / "parameters" / "default.yaml").read_text(encoding="utf-8"))
    doc["root"] = str(REPO)
    del doc["framework"], doc["assessment"]["baseline"]
    params = folder / "generic.yaml"
    params.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    out = folder / "out"
    command = ["assess", "--params", str(params), "--chapters", "06_performance", "--out", str(out)]
    done = subprocess.run(
        [sys.executable, "-m", "csplib.run.cli", *command],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.fail(f"the generic performance chapter failed:\n{done.stderr[-4000:]}")
    return out


def table(run, name: str) -> pd.DataFrame:
    path = run / "tables" / f"06_performance__{name}.csv"
    assert path.is_file(), f"the chapter did not write {path.name}"
    # only empty cells are missing: "n/a" is what the table shows
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def test_targets_table_reproduces_the_calibration_targets(synthetic_run, truth):
    t = table(synthetic_run, "targets_table_values").set_index("measure")
    cal = truth["calibration"]
    vbc = t.loc["victim_based_crime", YEARS].tolist()
    assert vbc == [37486, 34747, 26009, 32636]
    assert vbc == [cal["victim_based_crime"][y]["value"] for y in LABELS]
    asb = t.loc["asb_police_recorded", YEARS].tolist()
    assert asb == [14840, 15182, 20680, 15891]
    assert asb == [cal["asb_incidents"][y]["value"] for y in LABELS]
    hate = t.loc["hate_crime_repeat_victim_share", YEARS].astype(float).tolist()
    assert hate == pytest.approx([16.3, 13.5, 17.0, 14.1], abs=1.0)
    assert hate == pytest.approx(
        [cal["hate_repeat_victim_pct"][y]["achieved"] for y in LABELS], abs=0.01
    )
    done = t.loc["successful_completions", YEARS[:3]].astype(float).tolist()
    assert done == pytest.approx([21.9, 22.7, 19.5], abs=0.05)
    # experience of ASB: the 2018 and 2019 surveys, none in 2020
    exp = t.loc["experience_of_asb", YEARS[:3]].astype(float).tolist()
    assert exp[:2] == pytest.approx([8.5, 9.2], abs=0.05) and math.isnan(exp[2])
    shown = table(synthetic_run, "targets_table").set_index("Measure")
    assert shown.loc["Experience of ASB", "2020/21"] == "Not available"
    assert shown.loc["Victim-Based Crime Volume", "Baseline (2018/19)"] == "37,486"
    assert (
        shown.loc["% of Victims that are Repeats", "Target"] == "Reduce Repeat Victimisation by 10%"
    )


def test_target_status_follows_the_final_year(synthetic_run, truth):
    cal = truth["calibration"]
    track = table(synthetic_run, "target_tracking_values").set_index("measure")
    # the targets ran to 2022/23, before the assessed 2024/25: the status is the outcome
    assert set(track["Judged On"]) == {"2022/23"}
    vbc, asb = (
        cal["victim_based_crime"]["2022/23"]["value"],
        cal["asb_incidents"]["2022/23"]["value"],
    )
    assert track.loc["victim_based_crime", "Value"] == vbc
    outcome = track["Path / Outcome"]
    assert outcome.loc["victim_based_crime"] == ("Met" if vbc <= 37486 else "Not met")
    assert track.loc["asb_police_recorded", "Target Value"] == pytest.approx(14840 * 0.75)
    assert track.loc["asb_police_recorded", "Path / Outcome"] == (
        "Met" if asb <= 14840 * 0.75 else "Not met"
    )
    assert track.loc["hate_crime_repeat_victim_share", "Target Value"] == pytest.approx(
        track.loc["hate_crime_repeat_victim_share", "Baseline"] * 0.9
    )
    # the status is the Making Data Count assurance: counts have one, shares do not
    assert track.loc["asb_police_recorded", "Status"] in (
        "Consistently passing",
        "Consistently failing",
        "Hit and miss",
    )
    assert track.loc["hate_crime_repeat_victim_share", "Status"] == "n/a"


@pytest.mark.parametrize(
    "name", ["performance_table_values", "tracked_table_values", "other_measures_values"]
)
def test_direction_of_travel_agrees_with_an_exact_poisson_test(synthetic_run, name):
    t = table(synthetic_run, name)
    counts = t[(t["unit"] == "count") & t["DOT"].isin(ARROWS)]
    assert len(counts) >= 3
    for _, row in counts.iterrows():
        assert row["Complete"] and row["Comparison Period"] == "2023/24"
        cur, prev = int(row["Performance"]), int(row["Previous"])
        p = stats.binomtest(cur, cur + prev, 0.5).pvalue  # equal exposures: 12 months each
        expected = "↔" if p >= 0.05 else ("↑" if cur > prev else "↓")
        assert row["DOT"] == expected, f"{row['measure']}: {cur} vs {prev}, p = {p:.4f}"
        assert row["p-value"] == pytest.approx(p, rel=1e-6)


def test_performance_table_in_the_published_layout(synthetic_run):
    shown = table(synthetic_run, "performance_table")
    assert list(shown.columns) == [*PERFORMANCE_COLUMNS, "Note"]
    values = table(synthetic_run, "performance_table_values")
    assert values["measure"].tolist() == [
        "victim_based_crime",
        "asb_police_recorded",
        "experience_of_asb",
        "hate_crime_repeat_victims",
        "hate_crime_repeat_victim_share",
        "successful_completions",
    ]
    assert shown["Indicator"].tolist() == [PLAN[m].name for m in values["measure"]]
    assert (
        shown["Performance Period"].tolist() == ["2024/25"] * 2 + ["2024 Survey"] + ["2024/25"] * 3
    )
    assert shown["DOT"].str[0].isin(ARROWS).all()  # the arrow, then what it means
    # percentages are changes in points and have no volume change, as published
    pct = values["unit"] == "percentage"
    assert shown.loc[pct, "% Change"].str.endswith("pp").all()
    assert (shown.loc[pct, "Vol. Change"] == "n/a").all()
    assert shown.loc[0, "Area"] == "Crime" and shown.loc[0, "Target"] == "Reduce Crime"
    assert pd.isna(shown.loc[2, "Area"])  # a repeated area is blanked, as published
    # its framework's layout: an area's target on its first row, even without one of its own
    assert shown.loc[3, "Area"] == "Hate Crime"
    assert shown.loc[3, "Target"] == "Reduce Repeat Victimisation by 10%"


def test_tracked_counts_are_the_city_totals_and_planted_effects_show(synthetic_run, truth):
    totals = truth["calibration"]["category_totals_city"]
    t = table(synthetic_run, "tracked_table_values").set_index("measure")
    checked = 0
    for mid, row in t.iterrows():
        m = PLAN[mid]
        if m.source == "incidents" and m.filter.categories and len(m.filter.categories) == 1:
            cat = m.filter.categories[0]
            assert row["Performance"] == totals[cat]["2024/25"], cat
            assert row["Previous"] == totals[cat]["2023/24"], cat
            checked += 1
    assert checked == 13
    rise = truth["effects"]["weapons_rise"]
    assert rise["category"] == "Possession of weapons"
    assert t.loc["possession_of_weapons", "DOT"] == "↑"
    assert truth["effects"]["stable_category"]["category"] == "Other crime"
    assert t.loc["other_crime", "DOT"] == "↔"


def test_the_thinned_month_is_named_and_absent_data_keep_their_row(synthetic_run, truth):
    low = truth["effects"]["low_month"]
    assert (low["month"], low["category"]) == ("2023-06", "Anti-social behaviour")
    values = table(synthetic_run, "performance_table_values").set_index("measure")
    note = values.loc["asb_police_recorded", "Note"]
    assert "Jun 2023 Anti-social behaviour (implausibly low)" in note
    others = table(synthetic_run, "other_measures_values").set_index("measure")
    young = others.loc["numbers_in_treatment_young_people"]
    assert math.isnan(young["Performance"]) and young["DOT"] == "n/a"
    assert "the indicators file holds no rows for this measure" in young["Note"]


def test_store_targets_and_findings_match_the_truth(store_results, truth):
    """The same checks as the annex, on the functions directly (fast, no full assessment)."""
    data, period, tracks = store_results
    t = targets_frame(tracks).set_index("measure")
    cal = truth["calibration"]
    assert t.loc["victim_based_crime", YEARS].tolist() == [
        cal["victim_based_crime"][y]["value"] for y in LABELS
    ]
    assert t.loc["asb_police_recorded", YEARS].tolist() == [
        cal["asb_incidents"][y]["value"] for y in LABELS
    ]
    rows = assess_rows(data, period, ["victim_based_crime", "possession_of_weapons"])
    vbc = cal["victim_based_crime"]
    assert rows[0].change.current == vbc["2024/25"]["value"]
    assert rows[0].change.previous == vbc["2023/24"]["value"]
    texts = [f.text for f in performance_findings(rows, tracks)]
    change = (vbc["2024/25"]["value"] - vbc["2023/24"]["value"]) / vbc["2023/24"]["value"]
    assert texts[0].startswith(f"Victim-based crime fell by {abs(change):.1%}")
    assert texts[1].startswith("Possession of Weapons rose by")
    assert texts[1].endswith("the rise is statistically significant.")
    assert any(s.startswith('The target "Reduce Crime"') and "was met" in s for s in texts)


def test_saved_result_states_the_findings_headline_and_chart_titles(synthetic_run):
    result = load_result(synthetic_run, "06_performance")
    texts = [f.text for f in result.findings]
    assert texts[0].startswith("Victim-based crime fell by 2.1% (700 fewer offences) in 2024/25")
    assert all(f.evidence == "06_performance" for f in result.findings)
    headline = result.headline
    assert headline["period"] == "2024/25"
    assert headline["measures"]["victim_based_crime"]["value"] == 32900
    assert headline["measures"]["asb_police_recorded"]["direction"] == "↑"
    assert headline["targets"] == {
        "victim_based_crime": "Met",
        "hate_crime_repeat_victim_share": "Not met",
        "asb_police_recorded": "Not met",
        "successful_completions": "Not met",
    }
    assert "Possession of Weapons" in headline["tracked_rises"]
    assert result.figures["target_victim_based_crime"] == (
        "Victim-based crime: target met (34,300 in 2022/23)"
    )
    assert result.notes["suppression"] == []  # no small count in the default data
    values = table(synthetic_run, "tracked_table_values")
    assert not values["Suppressed"].any()


def test_generic_page_shows_empty_sections_as_sentences_not_tables(generic_run):
    page = (generic_run / "html" / "06_performance.html").read_text(encoding="utf-8")
    # the definitions, the headline measures and the tracked categories: nothing else
    assert page.count('class="csp-table"') == 3
    for sentence in (
        "The framework has no other measures: every measure it reports is a headline or "
        "tracked one.",
        "No baseline period is set: the framework sets no target and the parameters set no "
        "`assessment.baseline`, so the headline measures are not compared with a baseline.",
        "No targets are set: the parameters name no framework file",
    ):
        assert page.count(sentence) == 1, sentence
    for caption in ("Other framework measures,", "Headline measures, 2024/25 against",
                    "Targets: baseline and yearly values", "Where each target stands"):  # fmt: skip
        assert caption not in page, caption
    # the annex holds the tables shown, and no empty one
    written = sorted(
        p.name.removeprefix("06_performance__") for p in (generic_run / "tables").iterdir()
    )
    assert written == [
        "measure_definitions.csv",
        "measure_definitions_all.csv",
        "performance_table.csv",
        "performance_table_values.csv",
        "tracked_table.csv",
        "tracked_table_values.csv",
    ]
    # no target in any row of the generic page
    for name in ("performance_table", "tracked_table"):
        assert table(generic_run, name)["Target"].isna().all(), name
    # the method note holds no measure the generic framework does not report
    assert "hate_crime_repeat_victim_share" not in page
