"""The performance chapter reports the parameters' framework: the worked example's plan, the
generic police.uk measures when none is named (no targets, no words of one area), and a
partnership's own file. An empty section has no table but a sentence; a row shows its own
target unless the framework's layout asks for its theme's.

The chapter runs through the assessment's context on a small police.uk-only store (no
partner extract, no indicators), built here, so each run takes a second.
"""

import json
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
import yaml

from csplib.chapters.performance import EMPTY_SECTIONS, NO_TARGET, assess
from csplib.core.schema import ASB, CRIME_CATEGORIES
from csplib.params import load_params
from csplib.run.context import Context

REPO = Path(__file__).resolve().parents[2]
DEFAULT = REPO / "parameters" / "default.yaml"
LIBRARY = "csplib/methods/measures/measures.yaml"

#: Words of the worked example's plan that must not reach another partnership's page.
AREA_WORDS = (
    "Nottingham",
    "Respect for",
    "Partnership Plan",
    "2018/19",
    "Reduce ASB by 25%",
    "Reduce Crime",
    "Maintain Performance",
    "MARAC",
    "Successful Completions",
)


def police_store():
    """police.uk data only, Apr 2018 to Mar 2025: each category a steady count a month."""
    months = pd.date_range("2018-04-01", "2025-03-01", freq="MS")
    sizes = {cat: 20 + 2 * i for i, cat in enumerate(CRIME_CATEGORIES)}
    sizes[ASB] = 30
    rows = [(m, cat) for m in months for cat, n in sizes.items() for _ in range(n)]
    inc = pd.DataFrame(rows, columns=["month", "category"])
    population = pd.DataFrame({"population": [150_000.0, 150_000.0]})
    return SimpleNamespace(
        incidents=inc,
        partner=None,
        indicators=None,
        months_present=pd.DatetimeIndex(months),
        geography=SimpleNamespace(population=lambda year: population),
        quality=SimpleNamespace(implausible=None),
    )


def run(tmp_path, framework, **assessment):
    """The chapter's result and saved tables with ``framework`` as the parameters' (and
    ``assessment`` keys, e.g. ``baseline=None``, changed)."""
    params = load_params(DEFAULT)
    update = {"framework": framework}
    if assessment:
        update["assessment"] = params.assessment.model_copy(update=assessment)
    params = params.model_copy(update=update)
    ctx = Context(params, output_dir=tmp_path, chapter="06_performance")
    ctx.__dict__["store"] = police_store()  # the store is a cached property
    result = assess(ctx)
    for table in result.tables.values():
        ctx.save_table(table)
    ctx.finish(result)
    return result


def saved(tmp_path) -> list[str]:
    """The names of the tables written to the data annex."""
    return sorted(p.name for p in (tmp_path / "tables").glob("*.csv"))


def annex(tmp_path, name) -> pd.DataFrame:
    path = tmp_path / "tables" / f"06_performance__{name}.csv"
    return pd.read_csv(path, keep_default_na=False, na_values=[""], dtype=str)


def words_of(result, tmp_path) -> str:
    """Everything the chapter states: tables (as saved), captions, findings, notes, titles."""
    parts = [p.read_text(encoding="utf-8") for p in sorted((tmp_path / "tables").glob("*.csv"))]
    parts += [t.caption for t in result.tables.values()]
    parts += [f.text for f in result.findings]
    # the page's "Data used" line names the area the run is for, which is not the framework's
    parts += [n for key, notes in result.notes.items() if key != "data_used" for n in notes]
    parts += list(result.figures.values())
    return "\n".join(parts)


@pytest.fixture(scope="module")
def generic(tmp_path_factory):
    """The generic framework, with no baseline in the parameters."""
    out = tmp_path_factory.mktemp("generic")
    return out, run(out, None, baseline=None)


def test_generic_framework_reports_police_uk_measures_with_no_targets(generic):
    out, result = generic
    values = result.tables["performance_table_values"].frame
    assert values["measure"].tolist() == [
        "all_crime",
        "all_crime_rate",
        "victim_based_crime",
        "victim_based_crime_rate",
        "asb_police_recorded",
        "asb_rate",
    ]
    # every category: 20 + 2i a month, the same each year, so no change
    assert values.loc[0, "Performance"] == 12 * sum(20 + 2 * i for i in range(13))
    assert (values["DOT"] == "↔").all()
    tracked = result.tables["tracked_table_values"].frame
    assert tracked["measure"].tolist()[0] == "all_crime" and len(tracked) == 14
    # no target anywhere, and none copied across rows (shown or in the annex)
    for name in ("performance_table", "tracked_table"):
        assert (result.tables[f"{name}_values"].frame["Target"] == "").all(), name
        assert annex(out, name)["Target"].isna().all(), name
    # empty sections: no table (nor annex file), one sentence each instead
    for name in ("other_measures", "baseline_table", "targets_table", "target_tracking"):
        assert name not in result.tables and f"{name}_values" not in result.tables, name
    assert saved(out) == [
        "06_performance__measure_definitions.csv",
        "06_performance__measure_definitions_all.csv",
        "06_performance__performance_table.csv",
        "06_performance__performance_table_values.csv",
        "06_performance__tracked_table.csv",
        "06_performance__tracked_table_values.csv",
    ]
    assert result.notes["other_measures"] == [
        "The framework has no other measures: every measure it reports is a headline or "
        "tracked one."
    ]
    assert result.notes["baseline_table"] == [
        "No baseline period is set: the framework sets no target and the parameters set no "
        "`assessment.baseline`, so the headline measures are not compared with a baseline."
    ]
    assert "tracked_table" not in result.notes  # it has rows
    assert result.notes["targets"] == [
        "No targets are set: the parameters name no framework file, so the chapter reports the "
        "generic police.uk measures. To report your plan, name a framework file under "
        "`framework:` (docs/framework.md)."
    ]
    assert result.charts == [] and result.figures == {}
    assert result.headline["targets"] == {} and result.headline["targets_assessed"] == 0
    assert not any("target" in f.text.lower() for f in result.findings)
    assert result.findings[0].text == (
        "All recorded crime was unchanged at 4,992 in 2024/25 compared with 2023/24."
    )
    assert result.notes["framework_caveats"] == []
    caption = result.tables["measure_definitions_all"].caption
    assert LIBRARY in caption and "framework_generic.yaml" in caption


def test_each_section_has_its_tables_or_a_sentence_never_both(generic, tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text("version: 1\nname: Borough Plan\nheadline: [burglary]\n", encoding="utf-8")
    runs = [generic[1], run(tmp_path, plan, baseline=None)]
    for result in runs:
        for note, tables in EMPTY_SECTIONS.items():
            for name in tables:
                shown = name in result.tables
                assert shown == (f"{name}_values" in result.tables), name
                if not shown:
                    assert result.notes[note] and all(result.notes[note]), name
                elif note != "targets":
                    assert note not in result.notes, name
                    assert not result.tables[name].frame.empty, name
    borough = runs[1]
    assert borough.notes["tracked_table"] == [
        "The framework lists no tracked measures (no `tracked:` in its file)."
    ]
    assert borough.notes["unavailable_tracked"] == []  # nothing tracked, nothing to explain


def test_generic_page_compares_the_headline_with_the_parameters_baseline(tmp_path):
    result = run(tmp_path, None)  # the default parameters' baseline: 2018/19
    values = result.tables["baseline_table_values"].frame
    assert values["measure"].tolist() == list(
        result.tables["performance_table_values"].frame["measure"]
    )
    assert set(values["Comparison Period"]) == {"2018/19"}
    assert values.loc[0, "Previous"] == 12 * sum(20 + 2 * i for i in range(13))
    assert (values["Target"] == "").all() and (values["DOT"] == "↔").all()
    assert "the 2018/19 baseline (the parameters' assessment.baseline" in (
        result.tables["baseline_table"].caption
    )
    assert "baseline_table" not in result.notes
    assert "targets_table" not in result.tables  # still no targets
    # with no targets, the baseline rows add no finding
    assert not any("baseline" in f.text for f in result.findings)


def test_a_row_shows_its_themes_target_only_when_the_layout_asks(tmp_path):
    """The reviewer's case: targets on victim-based crime and ASB, shoplifting without one."""
    target = {"baseline": "2018/19", "assessment": "2019/20 - 2022/23"}
    plan = {
        "version": 1,
        "name": "Borough Plan",
        "headline": ["victim_based_crime", "shoplifting", "asb_police_recorded", "asb_rate"],
        "targets": [
            {"measure": "victim_based_crime", "change": "-5%", **target},
            {"measure": "asb_police_recorded", "change": "-10%", **target},
        ],
    }
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(plan), encoding="utf-8")
    off = run(tmp_path / "off", path)
    values = off.tables["performance_table_values"].frame
    assert values["Target"].tolist() == ["Reduce by 5%", "", "Reduce by 10%", ""]
    shown = annex(tmp_path / "off", "performance_table").fillna("")
    assert shown[["Area", "Target", "Indicator"]].values.tolist() == [
        ["Crime", "Reduce by 5%", "Victim-Based Crime Volume"],
        ["", NO_TARGET, "Shoplifting"],
        ["Anti-Social Behaviour", "Reduce by 10%", "Volume of Police Recorded Incidents"],
        ["", NO_TARGET, "Police Recorded ASB per 1,000 Residents"],
    ]
    assert annex(tmp_path / "off", "baseline_table")["Target"].tolist()[1] == NO_TARGET

    path.write_text(yaml.safe_dump({**plan, "layout": {"target_per_theme": True}}), "utf-8")
    on = run(tmp_path / "on", path)
    values = on.tables["performance_table_values"].frame
    assert values["Target"].tolist() == ["Reduce by 5%"] * 2 + ["Reduce by 10%"] * 2
    shown = annex(tmp_path / "on", "performance_table").fillna("")
    assert shown["Target"].tolist() == ["Reduce by 5%", "", "Reduce by 10%", ""]


def test_generic_run_states_no_words_of_the_worked_example(generic):
    out, result = generic
    text = words_of(result, out)
    for word in AREA_WORDS:
        assert word not in text, word
    saved = json.loads((out / "results" / "06_performance.json").read_text(encoding="utf-8"))
    saved["notes"].pop("data_used", None)
    for word in AREA_WORDS:
        assert word not in json.dumps(saved, ensure_ascii=False), word


def test_the_worked_examples_framework_drives_sections_targets_and_captions(tmp_path):
    path = REPO / "parameters" / "nottingham" / "framework.yaml"
    result = run(tmp_path, path)
    values = result.tables["performance_table_values"].frame
    assert values["measure"].tolist()[:2] == ["victim_based_crime", "asb_police_recorded"]
    assert values.loc[0, "Target"] == "Reduce Crime"
    # its layout states each area's target on every row of the area, as published
    by_measure = values.set_index("measure")["Target"]
    assert by_measure["hate_crime_repeat_victims"] == "Reduce Repeat Victimisation by 10%"
    assert by_measure["experience_of_asb"] == "Reduce ASB by 25%"
    targets = result.tables["targets_table_values"].frame
    assert targets["measure"].tolist() == [
        "victim_based_crime",
        "hate_crime_repeat_victim_share",
        "asb_police_recorded",
        "experience_of_asb",
        "successful_completions",
    ]
    assert "Baseline (2018/19)" in targets.columns
    baseline = result.tables["baseline_table_values"].frame.set_index("measure")
    assert baseline.loc["asb_police_recorded", "Comparison Period"] == "2018/19"
    assert baseline.loc["asb_police_recorded", "Previous"] == 12 * 30
    # the captions name the file read, relative to the parameters' root
    caption = result.tables["measure_definitions_all"].caption
    assert caption == (
        "Every reported measure as defined in the framework file "
        f"parameters/nottingham/framework.yaml and the measure library {LIBRARY}"
    )
    assert result.notes["framework"] == [
        "The measures, their sections and targets are those of Nottingham Crime & Drugs "
        "Partnership Plan 2022-25, as its framework file parameters/nottingham/framework.yaml "
        "sets them out."
    ]
    assert any("Respect for Nottingham" in n for n in result.notes["framework_caveats"])
    # police.uk only: the indicator measures are n/a with the reason, never dropped
    others = result.tables["other_measures_values"].frame.set_index("measure")
    assert others.loc["marac_referrals", "DOT"] == "n/a"
    assert "no indicators data" in others.loc["marac_referrals", "Note"]


def test_a_partnerships_own_framework_without_targets(tmp_path):
    plan = {
        "version": 1,
        "name": "Borough Plan",
        "headline": ["burglary", "robbery"],
        "other": ["asb_rate"],
    }
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(plan), encoding="utf-8")
    result = run(tmp_path, path)
    assert result.tables["performance_table_values"].frame["measure"].tolist() == [
        "burglary",
        "robbery",
    ]
    assert "tracked_table" not in result.tables and result.notes["tracked_table"]
    assert result.tables["other_measures_values"].frame["measure"].tolist() == ["asb_rate"]
    assert "targets_table_values" not in result.tables
    # no target: the parameters' baseline (2018/19) is the headline's
    baseline = result.tables["baseline_table_values"].frame
    assert baseline["Comparison Period"].tolist() == ["2018/19", "2018/19"]
    # the file is outside the parameters' root: the page names the file alone, no server path
    assert result.notes["targets"] == [
        "No targets are set: the framework file plan.yaml lists none under `targets:`."
    ]
    assert str(tmp_path) not in words_of(result, tmp_path)


def test_a_framework_mistake_fails_the_chapter_naming_the_file(tmp_path):
    from csplib.core.errors import DefinitionError

    path = tmp_path / "plan.yaml"
    path.write_text("version: 1\nname: x\nheadline: [burglery]\n", encoding="utf-8")
    with pytest.raises(DefinitionError, match=r"plan.yaml: headline: unknown measure 'burglery'"):
        run(tmp_path, path)
