"""Framework files: the worked example's and the generic one load as published; every mistake
is refused at load with a message naming the file and the key."""

import re
from pathlib import Path

import pytest
import yaml

from csplib.core.errors import DefinitionError, ParamsError
from csplib.core.schema import CRIME_CATEGORIES
from csplib.methods.measures import (
    FRAMEWORK_VERSION,
    GENERIC_FRAMEWORK,
    Framework,
    Target,
    get_measure,
    load_framework,
    load_registry,
)

REPO = Path(__file__).resolve().parents[3]
NOTTINGHAM = REPO / "parameters" / "nottingham" / "framework.yaml"

#: A small valid framework, changed by each test of a mistake.
GOOD = {
    "version": 1,
    "name": "Test Plan 2024-27",
    "headline": ["victim_based_crime", "asb_police_recorded"],
    "tracked": ["burglary"],
    "targets": [
        {
            "measure": "asb_police_recorded",
            "baseline": "2023/24",
            "change": "-10%",
            "assessment": "2024/25 - 2026/27",
            "text": "Reduce ASB by 10%",
        },
        {"measure": "experience_of_asb", "under": "asb_police_recorded"},
    ],
    "measures": [
        {
            "id": "fly_tipping",
            "name": "Fly-tipping Reports",
            "theme": "Anti-Social Behaviour",
            "source": "indicators",
            "unit": "count",
            "polarity": "lower_is_better",
            "filter": {"indicator": "fly_tipping_reports"},
            "aggregation": "indicator_sum",
        }
    ],
}


def write(tmp_path, doc, name="plan.yaml"):
    path = tmp_path / name
    text = doc if isinstance(doc, str) else yaml.safe_dump(doc, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def with_changes(**changes):
    doc = {**GOOD, **changes}
    return {k: v for k, v in doc.items() if v is not None}


# -- the frameworks shipped -------------------------------------------------------------


def test_the_worked_example_reproduces_the_published_plan():
    fw = load_framework(NOTTINGHAM)
    assert fw.name == "Nottingham Crime & Drugs Partnership Plan 2022-25" and not fw.generic
    # the report to scrutiny's table (Nov 2020, 3.3), in its order
    assert fw.headline == (
        "victim_based_crime",
        "asb_police_recorded",
        "experience_of_asb",
        "hate_crime_repeat_victims",
        "hate_crime_repeat_victim_share",
        "successful_completions",
    )
    assert fw.tracked[0] == "all_crime" and fw.tracked[-1] == "hate_crime_volume"
    assert len(fw.tracked) == 15 and len(fw.other) == 10
    # the Plan's TARGETS table: four targets, experience of ASB under the ASB one
    assert fw.target_rows == (
        ("victim_based_crime", None),
        ("hate_crime_repeat_victim_share", None),
        ("asb_police_recorded", None),
        ("experience_of_asb", "asb_police_recorded"),
        ("successful_completions", None),
    )
    t = fw.targets
    assert [x.text for x in t.values()] == [
        "Reduce Crime",
        "Reduce Repeat Victimisation by 10%",
        "Reduce ASB by 25%",
        "Maintain Performance",
    ]
    assert {x.baseline.label for x in t.values()} == {"2018/19"}
    assert {x.assessment.label for x in t.values()} == {"2019/20 - 2022/23"}
    assert t["asb_police_recorded"].target_value(14840) == 11130
    assert t["hate_crime_repeat_victim_share"].target_value(16.3) == pytest.approx(14.67)
    assert t["victim_based_crime"].change == 0 == t["successful_completions"].change
    # the registry carries the targets; the library's measures do not
    assert fw.registry["asb_police_recorded"].target == t["asb_police_recorded"]
    assert fw["experience_of_asb"].target is None
    assert get_measure("asb_police_recorded").target is None
    # its own measures and its survey wording
    assert set(fw.own) == {
        "experience_of_asb",
        "marac_referrals",
        "secondary_fires",
        "numbers_in_treatment_adult",
        "numbers_in_treatment_young_people",
        "successful_completions",
    }
    assert "Respect for Nottingham" in fw["experience_of_asb"].description
    assert fw["experience_of_asb"].name == "Experience of ASB"
    assert fw["marac_referrals"].origin == str(NOTTINGHAM)
    assert fw["burglary"].origin == "csplib/methods/measures/measures.yaml"
    assert len(fw.measure_ids) == 31 and len(set(fw.measure_ids)) == 31
    assert any("Respect for Nottingham" in n for n in fw.notes)
    # its published table states each area's target once, on every row of the area
    assert fw.target_per_theme is True


def test_the_generic_framework_is_police_uk_only_with_no_targets():
    fw = load_framework()
    assert fw.generic and fw.origin == GENERIC_FRAMEWORK
    assert fw.headline == (
        "all_crime",
        "all_crime_rate",
        "victim_based_crime",
        "victim_based_crime_rate",
        "asb_police_recorded",
        "asb_rate",
    )
    # all crime heads the tracked table: the total of the categories that follow
    assert fw.tracked[0] == "all_crime"
    categories = [fw[m].filter.categories for m in fw.tracked[1:]]
    assert all(len(c) == 1 for c in categories)
    assert sorted(c[0] for c in categories) == sorted(CRIME_CATEGORIES)
    assert fw.other == () and fw.target_rows == () and not fw.has_targets
    assert fw.target_per_theme is False  # a row shows its own target or none
    assert {fw[m].source for m in fw.measure_ids} == {"incidents"}
    assert fw.measure_ids.count("all_crime") == 1  # listed twice, reported once
    assert load_framework() is fw  # read once
    text = (REPO / GENERIC_FRAMEWORK).read_text(encoding="utf-8")
    for word in ("Nottingham", "Respect", "target:", "2018/19"):
        assert word not in text


def test_other_defaults_to_the_files_own_measures(tmp_path):
    fw = load_framework(write(tmp_path, GOOD))
    assert fw.other == ("fly_tipping",)
    assert fw.sections == {
        "Headline measures": ["victim_based_crime", "asb_police_recorded"],
        "Tracked categories": ["burglary"],
        "Other framework measures": ["fly_tipping"],
    }
    # the library's other measures are not reported
    assert "robbery" not in fw.measure_ids and "robbery" in fw.registry
    assert fw.measure_ids[-1] == "experience_of_asb"  # a target row outside the sections
    assert repr(fw).startswith("Framework('Test Plan 2024-27', 5 measures, 1 target, from")


def test_an_override_can_give_a_library_measure_a_polarity_for_a_target(tmp_path):
    drugs = {**get_measure("drugs").to_spec(), "override": True, "polarity": "lower_is_better"}
    target = {"measure": "drugs", "baseline": "2023/24", "change": "-5%",
              "assessment": "2024/25 - 2025/26"}  # fmt: skip
    doc = with_changes(targets=[target], measures=[drugs], headline=["drugs"], tracked=None)
    fw = load_framework(write(tmp_path, doc))
    assert fw["drugs"].polarity == "lower_is_better"
    assert fw["drugs"].target.text == "Reduce by 5%"
    assert load_registry()["drugs"].polarity == "neutral"  # the library is unchanged


def test_the_documented_example_loads(tmp_path):
    text = (REPO / "docs" / "framework.md").read_text(encoding="utf-8")
    [example] = [b for b in re.findall(r"```yaml\n(.*?)```", text, re.S) if "version: 1\nname" in b]
    fw = load_framework(write(tmp_path, example))
    assert fw.name == "Safer Borough Partnership Plan 2024-27"
    assert fw.target_rows[2] == ("experience_of_asb", "asb_police_recorded")
    assert fw.targets["hate_crime_repeat_victim_share"].change_type == "points"
    assert fw["experience_of_asb"].params["design_effect"] == 1.4
    assert "fly_tipping_reports" in fw.headline


def test_with_target_refuses_a_neutral_measure():
    spec = {"baseline": "2018/19", "change": "-5%", "assessment": "2019/20 - 2020/21"}
    with pytest.raises(DefinitionError, match="measure 'drugs': a target needs polarity"):
        get_measure("drugs").with_target(spec)
    t = Target.from_spec(spec, "robbery")
    assert get_measure("robbery").with_target(t).target is t
    assert get_measure("robbery").with_target(t).with_target(None).target is None


# -- mistakes -----------------------------------------------------------------------------

T0, M0 = GOOD["targets"][0], GOOD["measures"][0]
NEUTRAL_TARGET = {**T0, "measure": "drugs"}
OTHER_BASELINE = {**T0, "measure": "burglary", "baseline": "2022/23"}
UNDER_WITH_CHANGE = {"measure": "robbery", "under": "asb_police_recorded", "change": "-5%"}
LIBRARY = "csplib/methods/measures/measures.yaml"

MISTAKES = [
    (
        {"headlines": ["burglary"]},
        r"unknown top-level key\(s\) 'headlines'; did you mean headline",
    ),
    ({"version": None}, r"version: missing; write 'version: 1'"),
    ({"version": 2}, r"version: 2 is not a framework format this library reads; expected 1"),
    ({"version": "1"}, r"version: '1' is not a framework format"),
    ({"name": None}, r"name: expected the framework's name"),
    ({"name": "  "}, r"name: expected the framework's name"),
    ({"headline": None}, r"headline: expected a list of at least one measure id"),
    ({"headline": "burglary"}, r"headline: expected a list of measure ids"),
    (
        {"headline": ["victim_crime"]},
        r"headline: unknown measure 'victim_crime'; did you mean victim_based_crime",
    ),
    ({"tracked": ["burglery"]}, r"tracked: unknown measure 'burglery'; did you mean burglary"),
    ({"other": ["marac_referrals"]}, r"other: unknown measure 'marac_referrals'"),
    (
        {"tracked": ["burglary", "robbery", "burglary"]},
        r"tracked: measure 'burglary' is listed twice",
    ),
    (
        {"targets": [NEUTRAL_TARGET]},
        r"targets \(entry 1\): measure 'drugs' has polarity neutral",
    ),
    (
        {"targets": [{"measure": "experience_of_asb", "under": "burglary"}]},
        r"targets: 'experience_of_asb' is shown under 'burglary', which has no target",
    ),
    (
        {"targets": [T0, UNDER_WITH_CHANGE]},
        r"targets \(entry 2\): 'robbery' is shown under another measure's target, so it "
        r"takes no change",
    ),
    ({"targets": [{**T0, "due": "2027"}]}, r"targets \(entry 1\): unknown key\(s\) due"),
    (
        {"targets": [{**T0, "change": -0.1}]},
        r"targets \(entry 1\): measure 'asb_police_recorded': target: change -0.1 must be "
        r"written like",
    ),
    (
        {"targets": [T0, OTHER_BASELINE]},
        r"targets: targets with different baselines \(2022/23, 2023/24\)",
    ),
    (
        {"targets": [T0, T0]},
        r"targets \(entry 2\): measure 'asb_police_recorded' is listed twice",
    ),
    ({"targets": [{"measure": "nothing"}]}, r"targets \(entry 1\): unknown measure 'nothing'"),
    (
        {"targets": ["asb_police_recorded"]},
        r"targets \(entry 1\): expected a mapping with 'measure:'",
    ),
    ({"targets": {"measure": "asb_police_recorded"}}, r"targets: expected a list"),
    (
        {"measures": [{**M0, "target": T0}]},
        r"measures: measure 'fly_tipping' has a 'target:'; a framework sets its targets under "
        r"the top-level 'targets:'",
    ),
    ({"measures": [M0, M0]}, r"measure 'fly_tipping': duplicate id"),
    (
        {"measures": [{**M0, "id": "burglary"}]},
        rf"measure 'burglary' in .*plan.yaml: duplicate id, already defined in {LIBRARY}; "
        r"add 'override: true'",
    ),
    (
        {"measures": [{**M0, "override": True}]},
        r"measure 'fly_tipping' in .*plan.yaml: override: true, but there is no measure",
    ),
    (
        {"measures": [{**M0, "unit": "per_cent"}]},
        r"measure 'fly_tipping' in .*plan.yaml: unknown unit 'per_cent'",
    ),
    ({"measures": {"id": "x"}}, r"measures: expected a list of measure definitions"),
    ({"other": ["robbery"]}, r"measures: 'fly_tipping' defined but never reported"),
    ({"notes": "one caveat"}, r"notes: expected a list of sentences"),
    (
        {"layout": {"target_per_area": True}},
        r"plan.yaml: layout: unknown key\(s\) 'target_per_area'; did you mean target_per_theme\? "
        r"\(expected target_per_theme\)",
    ),
    (
        {"layout": {"target_per_theme": "always"}},
        r"plan.yaml: layout: target_per_theme: expected true or false, got 'always'",
    ),
    (
        {"layout": ["target_per_theme"]},
        r"plan.yaml: layout: expected a mapping such as \{target_per_theme: true\}",
    ),
]


@pytest.mark.parametrize("changes, match", MISTAKES)
def test_mistakes_are_refused_naming_the_file_and_key(tmp_path, changes, match):
    path = write(tmp_path, with_changes(**changes))
    with pytest.raises(DefinitionError, match=match) as info:
        load_framework(path)
    assert "plan.yaml" in str(info.value)


def test_file_problems_name_the_file(tmp_path):
    with pytest.raises(DefinitionError, match=r"nope.yaml: cannot read the framework file"):
        load_framework(tmp_path / "nope.yaml")
    with pytest.raises(DefinitionError, match=r"plan.yaml: not valid YAML"):
        load_framework(write(tmp_path, "headline: [\n"))
    with pytest.raises(DefinitionError, match=r"key 'name' appears twice"):
        load_framework(write(tmp_path, "version: 1\nname: a\nname: b\nheadline: [burglary]\n"))
    with pytest.raises(DefinitionError, match=r"plan.yaml: expected a mapping with version"):
        load_framework(write(tmp_path, "- burglary\n"))
    with pytest.raises(ParamsError, match="a framework must be a file path"):
        load_framework(42)


def test_layout_target_per_theme_is_off_unless_the_file_sets_it(tmp_path):
    assert load_framework(write(tmp_path, GOOD)).target_per_theme is False
    on = load_framework(write(tmp_path, with_changes(layout={"target_per_theme": True})))
    assert on.target_per_theme is True
    off = load_framework(write(tmp_path, with_changes(layout={"target_per_theme": False})))
    assert off.target_per_theme is False


def test_version_constant_and_type():
    assert FRAMEWORK_VERSION == 1
    assert isinstance(load_framework(), Framework)
