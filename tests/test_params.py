"""Parameters: valid files load; each kind of mistake gives one clear line naming file and key."""

import datetime as dt
from pathlib import Path

import pytest

from csplib.core.errors import ParamsError
from csplib.params import Window, find_default_params, load_params

REPO = Path(__file__).resolve().parents[1]

GOOD = """
assessment:
  year: 2020
  period: "2019/20"
  baseline: "2018/19"
  comparisons: [{start: 2019-09, end: 2020-08}]
area: {name: Nottingham, csp_code: E22000257, la_codes: [E06000018]}
data: {police_uk: [crime.zip], reference_dir: ref}
themes:
  hate: {name: Hate crime, flags: {hate: true}}
"""


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "crime.zip").write_bytes(b"")
    (tmp_path / "ref").mkdir()
    return tmp_path


def write(folder, text, name="p.yaml"):
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def problem(folder, text):
    with pytest.raises(ParamsError) as info:
        load_params(write(folder, text))
    return str(info.value)


def test_good_file_loads_with_resolved_paths(folder):
    p = load_params(write(folder, GOOD))
    assert p.assessment.period.start == dt.date(2019, 4, 1)
    assert p.assessment.period.end == dt.date(2020, 3, 1)
    assert p.assessment.baseline.label == "2018/19"
    assert p.assessment.comparisons[0].label == "Sep 19 - Aug 20"
    assert p.assessment.comparisons[0].months == 12
    assert p.data.police_uk == [folder / "crime.zip"]
    assert p.year_dir == folder / "outputs" / "2020"
    assert p.themes["hate"].flags == {"hate": True}
    assert p.thresholds.suppress_below == 5
    assert p.area.lsoa_vintage == "2021"


def test_root_is_relative_to_the_file(folder):
    sub = folder / "parameters"
    sub.mkdir()
    p = load_params(write(sub, "root: ..\n" + GOOD))
    assert p.data.police_uk == [folder / "crime.zip"]


@pytest.mark.parametrize(
    "edit, expected",
    [
        (
            ("area: {", "area: {colour: red, "),
            r"p.yaml: area.colour: unknown key; expected one "
            r"of: csp_code, la_codes, lsoa_vintage, name$",
        ),
        (("year: 2020", "year: twenty"), r"assessment.year: input should be a valid integer"),
        (
            ('period: "2019/20"', 'period: "2019/21"'),
            r"assessment.period: expected a financial "
            r"year such as '2018/19'",
        ),
        (
            ("{start: 2019-09, end: 2020-08}", "{start: 2019-13, end: 2020-08}"),
            r"assessment.comparisons\[0\]: start: expected a month 'YYYY-MM', got '2019-13'",
        ),
        (
            ("{start: 2019-09, end: 2020-08}", "{start: 2020-09, end: 2020-08}"),
            r"assessment.comparisons\[0\]: end 2020-08 is before start 2020-09",
        ),
        (
            ('baseline: "2018/19"', 'baseline: "2021/22"'),
            r"assessment: baseline 2021/22 starts "
            r"after the assessed period 2019/20",
        ),
        (
            ("la_codes: [E06000018]", "la_codes: [Nottingham]"),
            r"area.la_codes\[0\]: expected a "
            r"local authority code such as 'E06000018', got 'Nottingham'",
        ),
        (("la_codes: [E06000018]", "la_codes: []"), r"area.la_codes: list should have at least 1"),
        (
            ("police_uk: [crime.zip]", "police_uk: [missing.zip]"),
            r"data.police_uk\[0\]: not found: .*missing.zip",
        ),
        (
            ("reference_dir: ref", "reference_dir: nowhere"),
            r"data.reference_dir: folder not "
            r"found: .*nowhere",
        ),
        (("flags: {hate: true}", "flags: {hates: true}"), r"themes.hate.flags.hates"),
        (
            ("flags: {hate: true}", "categories: [ASB]"),
            r"themes.hate.categories\[0\]: expected "
            r"one of 'Anti-social behaviour'",
        ),
        (
            ("area: {name: Nottingham, csp_code: E22000257, la_codes: [E06000018]}\n", ""),
            r"p.yaml: area: required key is missing",
        ),
    ],
)
def test_each_mistake_names_file_and_key(folder, edit, expected):
    old, new = edit
    assert old in GOOD
    message = problem(folder, GOOD.replace(old, new))
    assert len(message.splitlines()) == 1, message
    assert message.startswith(str(folder / "p.yaml"))
    import re

    assert re.search(expected, message), message


def test_several_problems_give_one_line_each(folder):
    text = GOOD.replace("year: 2020", "year: 1700").replace("E06000018", "X")
    lines = problem(folder, text).splitlines()
    assert len(lines) == 2
    assert "assessment.year" in lines[0] and "area.la_codes[0]" in lines[1]


def test_yaml_syntax_error_gives_line_and_column(folder):
    message = problem(folder, "assessment: {year: 2020\narea: [")
    assert "YAML syntax error" in message and "line" in message


def test_not_a_mapping(folder):
    assert "expected a mapping" in problem(folder, "- just\n- a list\n")


def test_missing_file(tmp_path):
    with pytest.raises(ParamsError, match="parameters file not found"):
        load_params(tmp_path / "nope.yaml")


def test_not_utf8(folder):
    path = folder / "latin.yaml"
    path.write_bytes("area: {name: Cr\xe8me}".encode("latin-1"))
    with pytest.raises(ParamsError, match="not UTF-8"):
        load_params(path)


def test_window_spellings():
    assert Window.parse(2019).label == "2019"
    assert Window.parse("2019").end == dt.date(2019, 12, 1)
    assert Window.parse({"start": "2020-01", "end": "2020-03", "label": "Q4"}).label == "Q4"
    with pytest.raises(ValueError, match="needs both 'start' and 'end'"):
        Window.parse({"start": "2020-01"})
    with pytest.raises(ValueError, match="unknown key 'stop'"):
        Window.parse({"start": "2020-01", "stop": "2020-02"})


def test_find_default_params(tmp_path, monkeypatch):
    monkeypatch.delenv("CSP_PARAMS", raising=False)
    (tmp_path / "parameters").mkdir()
    (tmp_path / "parameters" / "default.yaml").write_text("x: 1")
    deep = tmp_path / "notebooks" / "explore"
    deep.mkdir(parents=True)
    assert find_default_params(deep) == tmp_path / "parameters" / "default.yaml"
    monkeypatch.setenv("CSP_PARAMS", "/some/where.yaml")
    assert find_default_params(deep) == Path("/some/where.yaml")
    monkeypatch.delenv("CSP_PARAMS")
    with pytest.raises(ParamsError, match="no parameters file given"):
        find_default_params(tmp_path.parent)


@pytest.mark.parametrize("path", sorted((REPO / "parameters").glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_parameter_files(path):
    """Every shipped file validates, except bad.yaml, which must fail in one line."""
    if path.name == "bad.yaml":
        with pytest.raises(ParamsError) as info:
            load_params(path)
        assert len(str(info.value).splitlines()) == 1
    else:
        load_params(path)


def test_validating_a_synthetic_source_writes_nothing(folder):
    """`csp params check` is validation only: the synthetic dataset is generated by the run
    (csplib.run.context.ensure_data), not while the parameters are read."""
    (folder / "data").mkdir()
    text = GOOD.replace(
        "data: {police_uk: [crime.zip], reference_dir: ref}",
        "data: {synthetic: {seed: 7, dir: synth, calibration_dir: data}, reference_dir: ref}",
    )
    p = load_params(write(folder, text))
    assert not (folder / "synth").exists()
    assert p.data.police_uk == [folder / "synth" / "police_uk"]
    assert p.data.indicators == folder / "synth" / "synthetic_indicators.csv"
    # a file the user names outside the synthetic folder must still exist
    missing = text.replace("reference_dir: ref}", "reference_dir: ref, indicators: none.csv}")
    assert "none.csv" in problem(folder, missing)


def test_framework_is_a_file_resolved_against_root(folder):
    (folder / "plan.yaml").write_text("version: 1\n", encoding="utf-8")
    p = load_params(write(folder, GOOD + "framework: plan.yaml\n"))
    assert p.framework == folder / "plan.yaml"
    assert load_params(write(folder, GOOD)).framework is None  # the generic framework
    message = problem(folder, GOOD + "framework: none.yaml\n")
    assert "framework" in message and "none.yaml" in message
    assert len(message.splitlines()) == 1


def test_shipped_parameters_name_the_worked_examples_framework():
    from csplib.methods.measures import load_framework

    plan = REPO / "parameters" / "nottingham" / "framework.yaml"
    for name in ("default", "2024", "real-2019", "real-2024"):
        assert load_params(REPO / "parameters" / f"{name}.yaml").framework == plan, name
    assert load_framework(plan).targets["asb_police_recorded"].text == "Reduce ASB by 25%"
