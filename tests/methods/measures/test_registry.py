"""The measure registry: the shipped file, analysts' files, and bad definitions refused at load
with a message naming the measure and the problem."""

import textwrap
from pathlib import Path

import pytest
import yaml

import csplib.methods.measures as measures
from csplib.core.errors import DefinitionError
from csplib.core.schema import VICTIM_BASED_CATEGORIES
from csplib.methods.measures import AGGREGATIONS, Measure, load_registry
from csplib.methods.measures.filters import CATEGORY_GROUPS

GOOD = {
    "id": "my_measure",
    "name": "My Measure",
    "theme": "Crime",
    "source": "incidents",
    "unit": "count",
    "polarity": "lower_is_better",
    "filter": {"categories": ["Burglary"]},
    "aggregation": "count",
}


def write(tmp_path, *specs, name="mine.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump({"measures": list(specs)}, sort_keys=False), encoding="utf-8")
    return path


def test_shipped_registry_loads_and_is_cached():
    reg = load_registry()
    assert len(reg) == 26  # 4 totals and rates, 13 categories, 6 partner, 2 ASB, 1 survey
    assert load_registry() is reg
    frame = reg.to_frame()
    assert frame.index.name == "id"
    assert frame.loc["asb_police_recorded", "name"] == "Volume of Police Recorded Incidents"
    assert set(frame["source"]) == {"incidents", "partner", "indicators"}
    assert (frame["origin"] == "csplib/methods/measures/measures.yaml").all()


def test_victim_based_uses_the_schema_definition():
    m = load_registry()["victim_based_crime"]
    assert m.filter.categories == VICTIM_BASED_CATEGORIES
    assert CATEGORY_GROUPS["victim_based"] == VICTIM_BASED_CATEGORIES
    assert "Anti-social behaviour" not in load_registry()["all_crime"].filter.categories


def test_the_library_is_partnership_neutral():
    """No targets and no area's measures or words: those are a framework's."""
    reg = load_registry()
    assert [m.id for m in reg.values() if m.target is not None] == []
    text = (Path(measures.__file__).parent / "measures.yaml").read_text(encoding="utf-8")
    assert "target:" not in text
    for word in ("Nottingham", "Respect for", "2018/19", "Partnership Plan", "MARAC"):
        assert word not in "".join(line for line in text.splitlines() if not line.startswith("#"))
    # the worked example's own indicators are its framework's, not the library's
    for mid in ("marac_referrals", "secondary_fires", "successful_completions"):
        assert mid not in reg
    assert reg["experience_of_asb"].name == "Experience of ASB (resident survey)"


def test_serious_violence_codes_are_documented_home_office_codes():
    m = load_registry()["serious_violence"]
    codes = set(m.filter.any_of[0].offence_codes)
    assert {"1/4.1/4.10/4.2", "2", "5D", "5E"} <= codes
    assert "4.4" not in codes  # driving offences left out
    robbery = m.filter.any_of[1]
    assert robbery.offence_codes == ("34A", "34B") and robbery.flags == (("weapon", True),)
    assert "Death or injury by driving" in m.description


def test_every_shipped_measure_round_trips_through_its_spec():
    for m in load_registry().values():
        again = Measure.from_spec(m.to_spec(), origin=m.origin)
        assert again == m, m.id


def test_aggregations_are_a_registry_not_a_chain():
    assert {
        "count",
        "distinct_victims",
        "repeat_victims",
        "repeat_victim_share",
        "share",
        "harm_score",
        "indicator_sum",
        "indicator_ratio",
        "survey_proportion",
    } <= set(AGGREGATIONS)


# -- bad definitions ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "change, match",
    [
        # unknown column
        (
            {"filter": {"flags": {"weapon": True}}},
            r"measure 'my_measure'.*unknown column 'weapon'.*source 'incidents'",
        ),
        (
            {"filter": {"where": {"colour": "red"}}},
            r"measure 'my_measure'.*unknown column 'colour' \(from where\)",
        ),
        (
            {
                "source": "indicators",
                "aggregation": "indicator_sum",
                "filter": {"indicator": "x", "categories": ["Burglary"]},
            },
            r"measure 'my_measure'.*unknown column 'category'",
        ),
        (
            {"filter": {"flags": {"knife": True}}, "source": "partner"},
            r"measure 'my_measure'.*unknown column 'knife' in flags",
        ),
        # unknown category
        (
            {"filter": {"categories": ["Burglery"]}},
            r"measure 'my_measure'.*unknown category 'Burglery'.*did you mean 'Burglary'",
        ),
        (
            {"filter": {"exclude_categories": ["Theft"]}},
            r"measure 'my_measure'.*unknown category 'Theft' in exclude_categories",
        ),
        (
            {"filter": {"category_group": "property"}},
            r"measure 'my_measure'.*unknown category_group 'property'",
        ),
        # a percentage without a denominator
        (
            {"unit": "percentage"},
            r"measure 'my_measure'.*unit 'percentage' needs a denominator.*'count'",
        ),
        (
            {"unit": "percentage", "aggregation": "share"},
            r"measure 'my_measure'.*needs a denominator.*'denominator:'.*missing",
        ),
        # unknown aggregation, polarity, unit, source
        (
            {"aggregation": "sum_of_stuff"},
            r"measure 'my_measure'.*unknown aggregation 'sum_of_stuff'",
        ),
        (
            {"aggregation": "cuont"},
            r"unknown aggregation 'cuont' \(did you mean 'count'\?\)",
        ),
        (
            {"polarity": "down_is_good"},
            r"measure 'my_measure'.*unknown polarity 'down_is_good'.*lower_is_better",
        ),
        ({"unit": "per_cent"}, r"measure 'my_measure'.*unknown unit 'per_cent'"),
        ({"source": "crimes"}, r"measure 'my_measure'.*unknown source 'crimes'"),
        # other mistakes
        (
            {"unit": "rate_per_1000", "aggregation": "share", "denominator": {}},
            r"gives a proportion",
        ),
        ({"aggregation": "repeat_victims"}, r"'repeat_victims' works on source\(s\) partner"),
        (
            {"source": "partner", "aggregation": {"kind": "repeat_victims", "min_crimes": 1}},
            r"min_crimes must be a whole number of at least 2",
        ),
        (
            {"source": "partner", "aggregation": {"kind": "count", "min_crimes": 2}},
            r"unknown parameter\(s\) min_crimes for aggregation 'count'",
        ),
        ({"denominator": {"categories": ["Burglary"]}}, r"only used by aggregation 'share'"),
        ({"filtr": {}}, r"measure 'my_measure'.*unknown key\(s\) 'filtr'"),
        ({"name": ""}, r"measure 'my_measure'.*name must be a non-empty string"),
        (
            {"source": "partner", "filter": {"offence_codes": [5.1]}},
            r"offence codes must be quoted text",
        ),
        (
            {"source": "indicators", "aggregation": "indicator_sum", "filter": {}},
            r"needs 'indicator: <name>'",
        ),
        (
            {
                "polarity": "neutral",
                "target": {
                    "baseline": "2018/19",
                    "change": "-5%",
                    "assessment": "2019/20 - 2022/23",
                },
            },
            r"measure 'my_measure'.*target needs polarity",
        ),
        (
            {"target": {"baseline": "2018/19", "change": -0.25, "assessment": "2019/20"}},
            r"measure 'my_measure': target: change -0.25 must be written like '-25%'",
        ),
        (
            {"target": {"baseline": "2018/19", "change": "-25%", "assessment": "2017/18"}},
            r"measure 'my_measure': target: the assessment period 2017/18 must end after",
        ),
        (
            {"target": {"baseline": "2018/91", "change": "-25%", "assessment": "2019/20"}},
            r"measure 'my_measure': target: '2018/91' is not a financial year",
        ),
    ],
)
def test_bad_definitions_fail_at_load(tmp_path, change, match):
    spec = {**GOOD, **change}
    path = write(tmp_path, spec)
    with pytest.raises(DefinitionError, match=match):
        load_registry(path)


def test_missing_key_is_named(tmp_path):
    spec = {k: v for k, v in GOOD.items() if k != "polarity"}
    with pytest.raises(DefinitionError, match=r"measure 'my_measure'.*missing key\(s\) polarity"):
        load_registry(write(tmp_path, spec))


def test_bad_id_is_refused(tmp_path):
    with pytest.raises(DefinitionError, match=r"id 'My Measure': an id must be lower-case"):
        load_registry(write(tmp_path, {**GOOD, "id": "My Measure"}))


def test_duplicate_id_in_one_file(tmp_path):
    path = write(tmp_path, GOOD, {**GOOD, "name": "Again"})
    with pytest.raises(DefinitionError, match=r"measure 'my_measure': duplicate id"):
        load_registry(path)


def test_duplicate_of_a_shipped_id_needs_override(tmp_path):
    path = write(tmp_path, {**GOOD, "id": "burglary"})
    with pytest.raises(
        DefinitionError,
        match=r"measure 'burglary' in .*: duplicate id, already defined in "
        r"csplib/methods/measures/measures.yaml; add 'override: true'",
    ):
        load_registry(path)
    reg = load_registry(write(tmp_path, {**GOOD, "id": "burglary", "override": True}))
    assert reg["burglary"].name == "My Measure"


def test_override_of_nothing_is_refused(tmp_path):
    with pytest.raises(DefinitionError, match="override: true, but there is no measure"):
        load_registry(write(tmp_path, {**GOOD, "override": True}))


def test_duplicate_id_across_two_analyst_files(tmp_path):
    a = write(tmp_path, GOOD, name="a.yaml")
    b = write(tmp_path, GOOD, name="b.yaml")
    with pytest.raises(DefinitionError, match=r"'my_measure' in .*b.yaml: duplicate id.*a.yaml"):
        load_registry([a, b])


def test_yaml_problems_name_the_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("measures: [\n", encoding="utf-8")
    with pytest.raises(DefinitionError, match=r"bad.yaml: not valid YAML"):
        load_registry(bad)
    twice = tmp_path / "twice.yaml"
    twice.write_text(
        textwrap.dedent(
            """\
            measures:
              - id: my_measure
                name: A
                name: B
            """
        ),
        encoding="utf-8",
    )
    with pytest.raises(DefinitionError, match=r"key 'name' appears twice"):
        load_registry(twice)
    shape = tmp_path / "shape.yaml"
    shape.write_text("- id: x\n", encoding="utf-8")
    with pytest.raises(DefinitionError, match=r"expected a mapping with a 'measures:' list"):
        load_registry(shape)
    with pytest.raises(DefinitionError, match=r"nope.yaml: cannot read the measures file"):
        load_registry(tmp_path / "nope.yaml")
