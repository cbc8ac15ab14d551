"""Reader labels for columns (csplib/present/labels.py)."""

import pytest

from csplib.present.labels import LABELS, is_code_name, is_p_or_q, label, value_label


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("rate_ratio", "Rate ratio"),
        ("q_value", "q (false discovery rate)"),
        ("rate_per_1000", "Rate per 1,000 residents"),
        ("mk_p_value", "p (Mann–Kendall trend test)"),
        ("p_value", "p"),
        ("ward_name", "Ward"),
    ],
)
def test_mapped_names_get_their_labels(name, expected):
    assert label(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("repeat_victim_share_score", "Repeat victim share score"),
        ("asb_rate_per_500", "ASB rate per 500"),
        ("change_in_lsoa_pct", "Change in LSOA (%)"),
        ("top_20pct_share", "Top 20% share"),
        ("yoy_count", "Year-on-year count"),
        ("wardcount", "Wardcount"),
    ],
)
def test_unmapped_code_names_become_words(name, expected):
    assert label(name) == expected


@pytest.mark.parametrize("name", ["2024/25", "Apr 2024", "Vol. Change", "% Change", "Target Due"])
def test_reader_text_is_left_as_it_is(name):
    assert label(name) == name


def test_no_label_is_a_code_name():
    assert [n for n, text in LABELS.items() if is_code_name(text) or "_" in text] == []


def test_tuple_columns_join_their_levels():
    assert label(("count", "2024/25")) == "Count, 2024/25"


def test_code_name_values_become_words_and_other_values_stay():
    assert value_label("higher_is_worse") == "Higher is worse"
    assert value_label("rate_per_1000") == "Rate per 1,000 residents"
    assert value_label("St. Ann's") == "St. Ann's"
    assert value_label("E01013836") == "E01013836"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("p_value", True),
        ("yoy_p_value", True),
        ("lsoa_q_value", True),
        ("q", True),
        ("p-value", True),
        ("p_low", False),
        ("top10_share", False),
        ("group", False),
    ],
)
def test_p_and_q_columns_are_recognised(name, expected):
    assert is_p_or_q(name) is expected


def test_lists_of_code_names_in_a_cell_become_labels():
    assert value_label("vulnerability, repeat_victim_share, public_concern") == (
        "Vulnerability; Victims who are repeats (%); Public concern"
    )
    assert value_label("Bulwell, Basford") == "Bulwell, Basford"
    assert value_label("vulnerability, public") == "vulnerability, public"
