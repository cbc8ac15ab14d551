"""The chapter contract: tables declare what protects them; results save and load in a
versioned format, and a result of another format or version is refused, never misread."""

import json

import pandas as pd
import pytest

from csplib.chapters.findings import Finding
from csplib.chapters.result import (
    RESULT_VERSION,
    ChapterResult,
    ResultVersionError,
    Table,
    load_result,
    result_path,
)


def _frame():
    return pd.DataFrame(
        {"count": [40, 3, 43], "rate": [4.0, 0.3, 4.3]},
        index=pd.Index(["Burglary", "Robbery", "All"], name="category"),
    )


def test_table_checks_its_declarations():
    with pytest.raises(ValueError, match=r"count column\(s\) \['crimes'\] are not in the table"):
        Table("t", _frame(), counts=("crimes",))
    with pytest.raises(ValueError, match=r"derived column\(s\) \['share'\]"):
        Table("t", _frame(), counts=("count",), derived={"share": "count"})
    with pytest.raises(ValueError, match="counts must be 'all'"):
        Table("t", _frame(), counts="some")
    with pytest.raises(ValueError, match="letters, digits and underscores"):
        Table("bad name", _frame())
    table = Table("t", _frame(), counts=["count"], derived={"rate": "count"})
    assert table.counts == ("count",) and table.derived == {"rate": ("count",)}


def test_counts_all_takes_the_whole_number_columns():
    frame = pd.DataFrame({"2023": [1.0, float("nan")], "2024": [2, 3], "share": [0.5, 0.25]})
    assert Table("t", frame, counts="all").count_columns() == ["2023", "2024"]


def test_result_round_trip(tmp_path):
    result = ChapterResult(
        "03_harm",
        findings=[Finding("Violence causes most harm.", "03_harm")],
        headline={"css": 12.5, "missing": float("nan"), "by_year": {"2023/24": 3}},
        figures={"share": "Harm against volume"},
        notes={"data": ["ASB has no weight."]},
    )
    result.add(Table("harm_by_category", _frame(), caption="Harm by category", counts=("count",)))
    path = result.save(tmp_path)
    assert path == result_path(tmp_path, "03_harm") == tmp_path / "results" / "03_harm.json"
    back = load_result(tmp_path, "03_harm")
    assert back.findings == result.findings
    assert back.headline == {"css": 12.5, "missing": None, "by_year": {"2023/24": 3}}
    assert back.figures == result.figures and back.notes == result.notes
    assert back.table("harm_by_category").caption == "Harm by category"
    assert load_result(tmp_path, "04_risk") is None


def test_a_table_name_is_added_once():
    result = ChapterResult("03_harm")
    result.add(Table("t", _frame()))
    with pytest.raises(ValueError, match="already added"):
        result.add(Table("t", _frame()))
    with pytest.raises(KeyError, match=r"has no table 'u'; it has \['t'\]"):
        result.table("u")


@pytest.mark.parametrize(
    "body, message",
    [
        ({"format": "csplib.chapter-result", "version": RESULT_VERSION + 1}, "version 2"),
        ({"format": "something else", "version": RESULT_VERSION}, "not a chapter result"),
        ("not json at all", "not a chapter result"),
    ],
)
def test_other_formats_and_versions_are_refused(tmp_path, body, message):
    path = result_path(tmp_path, "02_threat")
    path.parent.mkdir(parents=True)
    path.write_text(body if isinstance(body, str) else json.dumps(body))
    with pytest.raises(ResultVersionError, match=message):
        load_result(tmp_path, "02_threat")


def test_sentences_never_state_a_small_count():
    """Findings go to the pages, the contents page and results/*.json: a count the tables
    hide is never written in words either."""
    from types import SimpleNamespace

    from csplib.chapters.findings import quality_findings
    from csplib.chapters.risk import _repeat_sentence

    implausible = pd.DataFrame(
        {
            "category": ["Robbery", "Burglary"],
            "month": pd.to_datetime(["2024-01-01", "2024-02-01"]),
            "count": [3, 420],
            "expected": [40.0, 90.0],
            "direction": ["low", "high"],
        }
    )
    quality = SimpleNamespace(missing=pd.DataFrame({"month": []}), implausible=implausible)
    low, high = (f.text for f in quality_findings(quality, threshold=5))
    assert "fewer than 5 records" in low and " 3 " not in low
    assert "420 records" in high
    row = pd.Series(
        {
            "victims": 40,
            "repeat_victims": 3,
            "repeat_victim_share": 7.5,
            "repeat_incident_share": 14.0,
        }
    )
    text = _repeat_sentence("Hate crime", row, "2024/25", threshold=5)
    assert "fewer than 5" in text and "7.5%" not in text and "3 of" not in text
    row["repeat_victims"], row["repeat_victim_share"] = 12, 30.0
    assert "(12 of 40)" in _repeat_sentence("Hate crime", row, "2024/25", threshold=5)
