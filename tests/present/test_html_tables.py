"""Plain, accessible tables (csplib/present/html.py: table, cell_text and number formats)."""

import re

import numpy as np
import pandas as pd
import pytest
from bs4 import BeautifulSoup

from csplib.present.disclosure import safe_formats
from csplib.present.html import (
    bullets,
    cell_text,
    number_text,
    p_text,
    paragraph,
    plain_text,
    table,
)


def soup(frame, **kwargs):
    return BeautifulSoup(table(frame, **kwargs).data, "html.parser")


@pytest.fixture
def screen():
    """A threat-screen-like table with the formats a chapter passes."""
    frame = pd.DataFrame(
        {
            "category": ["Shoplifting", "Possession of weapons", "Robbery"],
            "ward": ["St. Ann's", "Bulwell", "Castle"],
            "recent": [820, 119, 40],
            "expected": [640.25, 77.4, np.nan],
            "rate_ratio": [1.2812, 1.5377, None],
            "p_value": [5.39e-29, 0.0234, 0.4],
            "q_value": [8.09e-28, 0.0042, 1.0],
            "flagged": [True, True, False],
        },
        index=pd.Index([1, 2, 3], name="rank"),
    )
    formats = {"rate_ratio": "{:.2f}", "p_value": "{:.2g}", "q_value": "{:.3f}"}
    return frame, formats


def test_headers_are_reader_labels_with_scope(screen):
    frame, formats = screen
    page = soup(frame, caption="Series that changed", formats=formats)
    heads = [(th.get_text(), th["scope"]) for th in page.select("thead th")]
    assert heads == [
        ("Rank", "col"),
        ("Category", "col"),
        ("Ward", "col"),
        ("Recent months", "col"),
        ("Expected", "col"),
        ("Rate ratio", "col"),
        ("p", "col"),
        ("q (false discovery rate)", "col"),
        ("Flagged", "col"),
    ]
    assert page.caption.get_text() == "Series that changed"
    assert [th.get_text() for th in page.select("tbody th[scope=row]")] == ["1", "2", "3"]


def test_cells_are_rounded_and_p_q_plain(screen):
    frame, formats = screen
    page = soup(frame, caption="x", formats=formats)
    rows = [[td.get_text() for td in tr.select("td")] for tr in page.select("tbody tr")]
    assert rows[0] == [
        "Shoplifting",
        "St. Ann's",
        "820",
        "640.2",
        "1.28",
        "< 0.001",
        "< 0.001",
        "yes",
    ]
    assert rows[1][3:7] == ["77.4", "1.54", "0.02", "0.004"]
    # missing values: an en dash with a hidden reason, never "nan"/"None"
    assert rows[2][3] == rows[2][4] == "–no value"
    assert page.select("tbody tr")[2].select("td")[3].select_one(".csp-vh").get_text() == "no value"
    assert rows[2][5:7] == ["0.40", "1.00"]


def test_each_cell_carries_its_column_label_for_the_stacked_layout(screen):
    frame, formats = screen
    page = soup(frame, caption="x", formats=formats)
    first = page.select_one("tbody tr")
    assert [c["data-label"] for c in first.select("th, td")] == [
        "Rank",
        "Category",
        "Ward",
        "Recent months",
        "Expected",
        "Rate ratio",
        "p",
        "q (false discovery rate)",
        "Flagged",
    ]


def test_no_code_name_nan_or_scientific_notation_reaches_the_html(screen):
    frame, formats = screen
    text = soup(frame, caption="x", formats=formats).get_text(" ")
    assert not re.search(r"[a-z]+_[a-z]+", text)
    assert not re.search(r"\d[eE][-+]?\d", text)
    assert not re.search(r"\b(nan|NaN|None)\b", text)


def test_without_a_caption_the_table_still_gets_one():
    page = soup(pd.DataFrame({"ward": ["A"], "rate_per_1000": [3.14159]}))
    assert page.caption.get_text() == "Table: Ward, Rate per 1,000 residents"


def test_a_text_first_column_is_the_row_header_and_numbers_are_not():
    page = soup(pd.DataFrame({"ward": ["A", "B"], "count": [1, 2]}), caption="c")
    assert [th.get_text() for th in page.select("tbody th[scope=row]")] == ["A", "B"]
    page = soup(pd.DataFrame({"year": [2024], "count": [1]}), caption="c")
    assert page.select("tbody th") == []


def test_an_unnamed_index_gets_a_hidden_header_not_an_empty_one():
    page = soup(pd.DataFrame({"count": [5]}, index=["Burglary"]), caption="c")
    first = page.select_one("thead th")
    assert first.get_text() == "Row" and "csp-vh" in first.span["class"]


def test_wide_tables_are_marked_on_the_wrapper_and_the_table_class_stays_plain():
    frame = pd.DataFrame({f"c{i}": [i] for i in range(7)})
    page = soup(frame, caption="c")
    assert page.div["class"] == ["csp-table-wrap", "csp-wide"]
    assert page.table["class"] == ["csp-table"]
    assert soup(frame.iloc[:, :6], caption="c").div["class"] == ["csp-table-wrap"]


def test_suppressed_markers_and_safe_formats_pass_through():
    frame = pd.DataFrame({"ward": ["A", "B"], "share": ["[c]", 0.597]})
    html = table(frame, caption="c", formats=safe_formats({"share": "{:.1%}"})).data
    assert ">[c]</td>" in html and ">59.7%</td>" in html


def test_scientific_notation_from_any_format_is_written_out():
    assert cell_text(5e-29, "{:.2g}") == "< 0.001"
    assert cell_text(12345.6, "{:.2g}") == "12,345.6"
    assert cell_text(12345.6, lambda v: f"{v:.1e}") == "12,345.6"
    assert cell_text(3e-5, "{:.2g}%") == "< 0.001%"
    assert cell_text(0.123, "{:.2g}") == "0.12"


def test_text_cells_are_cleaned_and_escaped():
    frame = pd.DataFrame({"note": ["overdispersion test p = 8.32e-236", "<b>x</b>", "nan"]})
    page = soup(frame, caption="c")
    cells = [c.get_text() for c in page.select("tbody th, tbody td")]
    assert cells == ["overdispersion test p < 0.001", "<b>x</b>", "–no value"]
    assert "&lt;b&gt;" in table(frame, caption="c").data


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (np.int64(12345), "12,345"),
        (np.float64(2.0), "2"),
        (-12.345, "-12.3"),
        (0.0456, "0.046"),
        (0.00456, "0.005"),
        (0.0004, "< 0.001"),
        (1.5e12, "1,500,000,000,000"),
        (float("inf"), "infinite"),
    ],
)
def test_number_text(value, expected):
    assert number_text(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.0, "< 0.001"),
        (0.00099, "< 0.001"),
        (0.001, "0.001"),
        (0.0099, "0.010"),
        (0.01, "0.01"),
        (0.049, "0.049"),
        (0.0449, "0.04"),
        (0.5, "0.50"),
    ],
)
def test_p_text(value, expected):
    assert p_text(value) == expected


def test_plain_text_in_paragraphs_and_bullets():
    assert plain_text("q = 3e-4, rate 2.5E+03") == "q < 0.001, rate 2,500"
    assert plain_text("q = 0.2 and p = 1.5e-2") == "q = 0.2 and p = 0.02"
    assert paragraph("p = 8.32e-236").data == "<p>p &lt; 0.001</p>"
    assert bullets(["1e-9 <x>"]).data == "<ul><li>&lt; 0.001 &lt;x&gt;</li></ul>"


def test_dates_and_multiindex_rows():
    frame = pd.DataFrame(
        {"count": [3, 4]},
        index=pd.MultiIndex.from_tuples(
            [("Basford", pd.Timestamp("2024-04-01")), ("Basford", pd.Timestamp("2024-05-01"))],
            names=["ward_name", "month"],
        ),
    )
    page = soup(frame, caption="c")
    assert [th.get_text() for th in page.select("thead th")] == ["Ward", "Month", "Count"]
    assert [th.get_text() for th in page.select("tbody tr")[1].select("th")] == [
        "Basford",
        "May 2024",
    ]


def test_number_columns_are_marked_for_right_alignment_and_markers_do_not_unmark_them():
    frame = pd.DataFrame(
        {"ward": ["A", "B"], "count": ["[c]", 12], "note": ["x", "y"], "flag": [True, False]}
    )
    page = soup(frame, caption="c")
    marked = [th.get_text() for th in page.select("thead th.csp-num")]
    assert marked == ["Count"]
    assert [td.get_text() for td in page.select("td.csp-num")] == ["[c]", "12"]
