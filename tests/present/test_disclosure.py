"""Safe sharing: small-number suppression (hand-worked tables and an independent attack on
the totals) and the record-level check of shared pages (what it finds, what it must not)."""

import base64
import io
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output  # noqa: E402

from csplib.core.errors import DataError, ParamsError  # noqa: E402
from csplib.present.disclosure import (  # noqa: E402
    DEFAULT_MARKER,
    check_shared_outputs,
    contains_escaped_html,
    contains_unescaped_html,
    find_record_level,
    safe_formats,
    suppress,
    suppress_long,
)
from csplib.present.html import table  # noqa: E402

C = DEFAULT_MARKER
CRIME_ID = "56fccba77d4b34cc39e0ed819ee22aefd94b75069b14ade986022ea86c5f5d37"
VICTIM_ID = "V3F2A9C01B7D4E655"  # the partner extract's format: V + 16 upper-case hex digits


# ----------------------------------------------------------------------------- helpers
def with_totals(values, rows, cols, *, row_total=True, col_total=True) -> pd.DataFrame:
    frame = pd.DataFrame(np.asarray(values, dtype="int64"), index=list(rows), columns=list(cols))
    if col_total:
        frame["All"] = frame.sum(axis=1)
    if row_total:
        frame.loc["All"] = frame.sum()
    return frame


def lines(frame: pd.DataFrame):
    """The table's equations as (cells that add up, total cell) by label, as a reader sees
    them: every row against the 'All' column, every column against the 'All' row."""
    rows, cols = list(frame.index), list(frame.columns)
    out = []
    if "All" in cols:
        inner = [c for c in cols if c != "All"]
        out += [([(r, c) for c in inner], (r, "All")) for r in rows]
    if "All" in rows:
        inner = [r for r in rows if r != "All"]
        out += [([(r, c) for r in inner], ("All", c)) for c in cols]
    return out


def recover_by_subtraction(shared: pd.DataFrame) -> dict:
    """Every hidden cell that is the only hidden cell of a row or column with a total,
    worked out as total minus the cells shown (the attack the brief describes)."""
    found = {}
    for plus, total in lines(shared):
        hidden = [c for c in [*plus, total] if shared.loc[c] == C]
        if len(hidden) != 1:
            continue
        (cell,) = hidden
        shown = sum(int(shared.loc[c]) for c in plus if c != cell)
        found[cell] = shown if cell == total else int(shared.loc[total]) - shown
    return found


def linearly_determined(shared: pd.DataFrame) -> set:
    """Hidden cells fixed by the totals through any combination of rows and columns: those
    on which every vector of the null space of the equations (restricted to hidden cells)
    is zero. Computed with numpy's SVD, independently of the module's audit."""
    hidden = [(r, c) for r in shared.index for c in shared.columns if shared.loc[r, c] == C]
    if not hidden:
        return set()
    pos = {cell: k for k, cell in enumerate(hidden)}
    rows = []
    for plus, total in lines(shared):
        coef = np.zeros(len(hidden))
        for cell in plus:
            if cell in pos:
                coef[pos[cell]] += 1
        if total in pos:
            coef[pos[total]] -= 1
        if coef.any():
            rows.append(coef)
    if not rows:
        return set()
    a = np.array(rows)
    _, s, vt = np.linalg.svd(a)
    rank = int((s > 1e-9).sum())
    null = vt[rank:]
    return {cell for cell, k in pos.items() if not null.size or np.abs(null[:, k]).max() < 1e-9}


def pinned_by_bounds(shared: pd.DataFrame, low: int = 1) -> set:
    """Hidden cells pinned to one value by interval reasoning, knowing hidden counts are at
    least ``low`` (e.g. [c] + [c] = 2 makes both 1)."""
    hidden = [(r, c) for r in shared.index for c in shared.columns if shared.loc[r, c] == C]
    lo = dict.fromkeys(hidden, float(low))
    hi = dict.fromkeys(hidden, np.inf)
    eqs = []
    for plus, total in lines(shared):
        terms = [(c, 1) for c in plus if c in lo] + ([(total, -1)] if total in lo else [])
        if not terms:
            continue
        b = (0 if total in lo else int(shared.loc[total])) - sum(
            int(shared.loc[c]) for c in plus if c not in lo
        )
        eqs.append((terms, b))
    for _ in range(50):
        changed = False
        for terms, b in eqs:
            for cell, sign in terms:
                others = [(c, s) for c, s in terms if c != cell]
                # sign * x = b - sum(s * x_other)
                rest_lo = sum(s * (lo[c] if s > 0 else hi[c]) for c, s in others)
                rest_hi = sum(s * (hi[c] if s > 0 else lo[c]) for c, s in others)
                cand = sorted([sign * (b - rest_hi), sign * (b - rest_lo)])
                if cand[0] > lo[cell] + 1e-9:
                    lo[cell], changed = cand[0], True
                if cand[1] < hi[cell] - 1e-9:
                    hi[cell], changed = cand[1], True
        if not changed:
            break
    return {cell for cell in hidden if hi[cell] - lo[cell] < 1}


def assert_protected(shared: pd.DataFrame, low: int = 1) -> None:
    assert recover_by_subtraction(shared) == {}
    assert linearly_determined(shared) == set()
    assert pinned_by_bounds(shared, low) == set()


# ------------------------------------------------------------------- primary and secondary
def test_one_small_count_with_a_total_row_hides_the_next_smallest_and_its_rate_and_share():
    t = pd.DataFrame(
        {"count": [40, 3, 25, 9]},
        index=pd.Index(["Burglary", "Robbery", "Drugs", "Bicycle theft"], name="category"),
    )
    t.loc["All"] = t.sum()
    t["rate_per_1000"] = t["count"] / 2000 * 1000
    t["share"] = t["count"] / 77
    res = suppress(t, derived={"rate_per_1000": "count", "share": "count"})
    # 3 is small; alone it would be 77 - 40 - 25 - 9; the smallest other count (9) goes too
    assert res.frame["count"].tolist() == [40, C, 25, C, 77]
    assert res.frame["rate_per_1000"].tolist() == [20.0, C, 12.5, C, 38.5]
    assert res.frame["share"].tolist()[1] == C and res.frame["share"].tolist()[3] == C
    assert res.frame["share"].iloc[0] == pytest.approx(40 / 77)
    assert (res.n_primary, res.n_secondary, res.n_derived) == (1, 1, 4)
    assert res.total_rows == ("All",) and res.total_columns == ()
    assert res.mask.loc["Robbery"].tolist() == [True, True, True]
    assert res.primary.loc["Robbery"].tolist() == [True, False, False]
    assert res.frame.index.equals(t.index) and list(res.frame.columns) == list(t.columns)
    assert "[c]" in res.note and "1 to 4" in res.note and "Zeros are shown" in res.note
    # the attack on the published table recovers nothing; on primary-only it recovers 3
    assert_protected(res.frame[["count"]])
    primary_only = t[["count"]].astype(object).where(~res.primary[["count"]], C)
    assert recover_by_subtraction(primary_only) == {("Robbery", "count"): 3}


def test_a_row_with_one_small_cell_and_a_total_column():
    t = with_totals(
        [[10, 3, 12], [30, 31, 28]],
        ["Arboretum", "Bulwell"],
        ["2022", "2023", "2024"],
        row_total=False,
    )
    res = suppress(t)
    assert res.frame.loc["Arboretum"].tolist() == [C, C, 12, 25]
    assert res.frame.loc["Bulwell"].tolist() == [30, 31, 28, 89]
    assert (res.n_primary, res.n_secondary) == (1, 1)
    assert res.total_columns == ("All",) and res.total_rows == ()
    assert_protected(res.frame)


def test_two_way_table_with_totals_both_ways_by_hand():
    t = with_totals(
        [[20, 2, 30], [15, 18, 25], [9, 11, 40]], ["A", "B", "C"], ["2022", "2023", "2024"]
    )
    res = suppress(t)
    # row A: 2 alone -> A/2022 (20, smallest); column 2023: 2 alone -> C/2023 (11);
    # column 2022: A/2022 alone -> C/2022 (9); row C then has two hidden: stable.
    expected = pd.DataFrame(
        [[C, C, 30, 52], [15, 18, 25, 58], [C, C, 40, 60], [44, 31, 95, 170]],
        index=t.index,
        columns=t.columns,
        dtype=object,
    )
    pd.testing.assert_frame_equal(res.frame.astype(object), expected)
    assert (res.n_primary, res.n_secondary) == (1, 3)
    assert_protected(res.frame)
    # what a reader can deduce: A/2023 = t with 1 <= t <= 12 (A/2022 = 22 - t, C/2023 = 13 - t)
    ranges = res.ranges().set_index(["row", "column"])
    assert ranges.loc[("A", "2023"), ["lower", "upper"]].tolist() == [1.0, 12.0]
    assert ranges.loc[("C", "2022"), ["lower", "upper"]].tolist() == [8.0, 19.0]


def test_two_small_cells_in_a_column_protect_each_other():
    t = pd.DataFrame({"count": [3, 2, 30, 40]}, index=["a", "b", "c", "d"])
    t.loc["All"] = t.sum()
    res = suppress(t)
    assert res.frame["count"].tolist() == [C, C, 30, 40, 75]
    assert (res.n_primary, res.n_secondary) == (2, 0)
    assert_protected(res.frame)


def test_two_hidden_ones_adding_to_two_are_not_enough():
    # [c] + [c] = 2 and hidden counts are at least 1, so both would be 1: hide one more
    t = pd.DataFrame({"count": [1, 1, 30, 40]}, index=["a", "b", "c", "d"])
    t.loc["All"] = t.sum()
    res = suppress(t)
    assert res.frame["count"].tolist() == [C, C, C, 40, 72]
    assert (res.n_primary, res.n_secondary) == (2, 1)
    primary_only = pd.DataFrame({"count": [C, C, 30, 40, 72]}, index=t.index, dtype=object)
    assert pinned_by_bounds(primary_only) == {("a", "count"), ("b", "count")}
    assert_protected(res.frame)
    assert (res.ranges()["upper"] - res.ranges()["lower"]).min() >= 1


def test_a_bridge_between_two_protected_blocks_is_found_by_the_audit():
    # every row and column has two or more small cells, yet B/y = (rows A+B) - (cols w+x)
    t = with_totals([[2, 3, 50, 60], [4, 1, 2, 70], [40, 55, 3, 2], [45, 65, 4, 1]], "ABCD", "wxyz")
    primary_only = t.astype(object).mask(t.lt(5) & t.gt(0), C)
    assert recover_by_subtraction(primary_only) == {}
    assert linearly_determined(primary_only) == {("B", "y")}
    res = suppress(t)
    # the audit breaks the bridge and widens every range to the band (hi - lo >= 3): the
    # top-left block alone would leave A/w, B/x... within 1..4 but pinned to fewer values
    assert (res.n_primary, res.n_secondary) == (9, 3)
    assert res.frame.loc["A", "y"] == C
    assert_protected(res.frame)
    ranges = res.ranges()
    assert (ranges["upper"] - ranges["lower"]).min() >= 3


def test_random_tables_are_protected_against_the_independent_attacks():
    rng = np.random.default_rng(20261122)
    for trial in range(25):
        n_rows, n_cols = rng.integers(2, 6), rng.integers(2, 5)
        level = rng.choice([0.8, 3.0, 25.0], size=(n_rows, n_cols), p=[0.3, 0.3, 0.4])
        values = rng.poisson(level)
        both = trial % 3 != 0
        t = with_totals(
            values,
            [f"r{i}" for i in range(n_rows)],
            [f"c{j}" for j in range(n_cols)],
            col_total=both,
        )
        res = suppress(t)
        small = t.gt(0) & t.lt(5)
        assert res.mask[small].fillna(True).all().all(), trial  # every small count hidden
        shown = ~res.mask
        assert (res.frame[shown].fillna(0).astype(float) == t[shown].fillna(0)).all().all()
        assert ((res.frame == C) == res.mask).all().all()
        assert_protected(res.frame)
        ranges = res.ranges()
        assert ((ranges["upper"] - ranges["lower"]) >= 3).all(), trial


# ----------------------------------------------------------------------------- settings
def test_threshold_is_respected():
    t = pd.DataFrame({"count": [2, 4, 7, 9, 12, 40]}, index=list("abcdef"))
    assert suppress(t).frame["count"].tolist() == [C, C, 7, 9, 12, 40]
    assert suppress(t, threshold=10).frame["count"].tolist() == [C, C, C, C, 12, 40]
    assert suppress(t, threshold=3).frame["count"].tolist() == [C, 4, 7, 9, 12, 40]
    assert suppress(t, threshold=1).n_primary == 0
    assert "1 to 9" in suppress(t, threshold=10).note


def test_zeros_are_shown_by_default_and_hidden_when_asked():
    t = pd.DataFrame({"count": [0, 3, 0, 20, 30]}, index=list("abcde"))
    t.loc["All"] = t.sum()
    res = suppress(t)
    # the second cell must be non-zero: hidden cells are known to be at least 1
    assert res.frame["count"].tolist() == [0, C, 0, C, 30, 53]
    res0 = suppress(t, suppress_zeros=True)
    # 0, 3 and 0 hidden add up to 3: each 0..3, four values where the band 0..4 has five
    assert res0.frame["count"].tolist() == [C, C, C, C, 30, 53]
    assert res0.n_primary == 3 and res0.n_secondary == 1
    assert (res0.ranges()["upper"] - res0.ranges()["lower"]).min() >= 4
    assert "0 to 4" in res0.note and "Zeros are shown" not in res0.note
    assert_protected(res0.frame, low=0)


def test_marker_missing_counts_and_derived_from_two_columns():
    t = pd.DataFrame(
        {"2023": [12.0, 3.0, np.nan, 40.0], "2024": [14.0, 20.0, 6.0, 30.0]},
        index=pd.Index(["a", "b", "c", "d"], name="ward"),
    )
    t["change"] = t["2024"] - t["2023"]
    res = suppress(
        t, columns=["2023", "2024"], derived={"change": ["2023", "2024"]}, marker="<5", totals=None
    )
    assert res.frame["2023"].tolist()[:2] == [12, "<5"]
    assert np.isnan(res.frame["2023"].iloc[2])  # missing stays missing
    assert res.frame["change"].tolist()[1] == "<5" and res.frame["change"].iloc[0] == 2.0
    assert res.frame["2024"].dtype == "float64"  # untouched column keeps its dtype
    # a missing count is unknown to the reader: with it, one small cell needs no partner
    col = pd.DataFrame({"n": [3.0, np.nan, 40.0, 50.0]}, index=["a", "b", "c", "All"])
    assert suppress(col, columns="n").frame["n"].tolist()[:1] == [C]
    assert suppress(col, columns="n").n_secondary == 0


def test_total_row_found_in_a_label_column_and_the_result_writes_to_csv_and_html():
    t = pd.DataFrame(
        {"category": ["Burglary", "<script>x</script>", "Drugs", "All"], "count": [40, 2, 25, 67]}
    )
    t["share"] = t["count"] / 67
    res = suppress(t, derived={"share": "count"})
    assert res.frame["count"].tolist() == [40, C, C, 67]
    text = res.frame.to_csv(index=False)
    assert text.splitlines()[2] == "<script>x</script>,[c],[c]" and ",40," in text
    html = table(res.frame, formats=safe_formats({"share": "{:.1%}"})).data
    assert "<td" in html and ">[c]</td>" in html and "59.7%" in html
    assert contains_escaped_html(html, "<script>x</script>")
    assert not contains_unescaped_html(html, "<script>x</script>")


def test_bad_arguments_and_data_raise_clear_errors():
    t = pd.DataFrame({"count": [4, 6]}, index=["a", "All"])
    with pytest.raises(
        DataError, match=r"row 'All', column 'count' is 6 but its cells add up to 4"
    ):
        suppress(t)
    assert suppress(t, totals=None).frame["count"].tolist() == [C, 6]
    with pytest.raises(ParamsError, match="count column"):
        suppress(t, columns=["n"])
    with pytest.raises(ParamsError, match="threshold"):
        suppress(t, threshold=0)
    with pytest.raises(ParamsError, match="no integer count columns"):
        suppress(pd.DataFrame({"rate": [1.5]}))
    with pytest.raises(DataError, match="whole numbers"):
        suppress(pd.DataFrame({"n": [1.5, 2.0]}), columns=["n"])
    with pytest.raises(DataError, match="whole numbers"):
        suppress(pd.DataFrame({"n": [-1, 2]}))
    with pytest.raises(ParamsError, match="2 total rows"):
        suppress(pd.DataFrame({"n": [1, 1, 1]}, index=["a", "All", "Total"]))
    with pytest.raises(ParamsError, match="derived column 'rate'"):
        suppress(pd.DataFrame({"n": [1]}), derived={"rate": "n"})
    with pytest.raises(ParamsError, match="not one of the count columns"):
        suppress(pd.DataFrame({"n": [1], "r": [0.1]}), derived={"r": "m"})
    with pytest.raises(ParamsError, match=r"\['Sum'\]"):
        suppress(pd.DataFrame({"n": [1, 1]}, index=["a", "b"]), totals=["Sum"])
    # an explicit total label
    res = suppress(pd.DataFrame({"n": [3, 9, 12]}, index=["a", "b", "Sum"]), totals=["Sum"])
    assert res.frame["n"].tolist() == [C, C, 12]


# ----------------------------------------------------------------------------- long tables
def test_long_table_suppressed_within_groups_matches_the_wide_result():
    wide = {
        2023: with_totals([[20, 2, 30], [15, 18, 25]], ["Burglary", "Robbery"], ["W1", "W2", "W3"]),
        2024: with_totals(
            [[21, 22, 30], [15, 18, 25]], ["Burglary", "Robbery"], ["W1", "W2", "W3"]
        ),
    }
    long = pd.concat(
        [
            w.rename_axis(index="category", columns="ward")
            .stack()
            .rename("count")
            .reset_index()
            .assign(year=year)
            for year, w in wide.items()
        ],
        ignore_index=True,
    )
    long["rate"] = long["count"] / 10
    long = long.sample(frac=1.0, random_state=3)  # order must not matter
    res = suppress_long(long, rows="category", across="ward", by="year", derived=["rate"])
    for year, w in wide.items():
        expected = suppress(w).frame
        got = res.frame[long["year"] == year].set_index(["category", "ward"])["count"]
        for (cat, ward), value in got.items():
            assert value == expected.loc[cat, ward], (year, cat, ward)
    assert res.n_primary == 1 and res.n_secondary == 3  # all in 2023
    assert (res.mask["rate"] == res.mask["count"]).all()
    assert res.frame.index.equals(long.index)
    assert set(res.ranges()["group"]) == {(2023,)}


def test_long_table_absent_combinations_are_zeros():
    long = pd.DataFrame(
        {"ward": ["A", "A", "A"], "category": ["Burglary", "Robbery", "All"], "count": [20, 3, 23]}
    )
    # Drugs absent (zero): Robbery alone is 23 - 20, so Burglary is hidden too
    res = suppress_long(long, rows="category", by="ward")
    assert res.frame["count"].tolist() == [C, C, 23]
    with pytest.raises(DataError, match="more than one row"):
        suppress_long(pd.concat([long, long]), rows="category", by="ward")
    with pytest.raises(DataError, match=r"group \{'ward': 'B'\}"):
        suppress_long(long.assign(ward="B", count=[20, 3, 30]), rows="category", by="ward")


# ----------------------------------------------------------------------------- record-level check
def page(body: str) -> str:
    head = "<head><style>td { color: #0072B2 }</style></head>"
    return f"<!DOCTYPE html><html>{head}<body>{body}</body></html>"


def cells_table(header, rows) -> str:
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{v}</td>" for v in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


@pytest.mark.parametrize(
    ("html", "kind", "excerpt"),
    [
        (cells_table(["ref", "n"], [[CRIME_ID, 1]]), "crime ID", CRIME_ID[:12] + "…"),
        (cells_table(["Crime ID", "n"], [["", 1]]), "crime ID", "Crime ID"),
        ("<p>at -1.146812, 52.953704 on the map</p>", "coordinates", "-1.146812, 52.953704"),
        (
            cells_table(["x", "y"], [["53.039341", "-1.376821"]]),
            "coordinates",
            "53.039341, -1.376821",
        ),
        (cells_table(["Latitude", "n"], [["52.9", 1]]), "coordinates", "Latitude"),
        (cells_table(["easting", "n"], [[457000, 34]]), "coordinates", "easting"),
        (cells_table(["who", "n"], [[VICTIM_ID, 2]]), "victim ID", VICTIM_ID),
        (cells_table(["victim_id", "n"], [["7", 2]]), "victim ID", "victim_id"),
        (cells_table(["when", "n"], [["2024-03-14", 1]]), "exact date", "2024-03-14"),
        (cells_table(["when", "n"], [["14/03/2024", 1]]), "exact date", "14/03/2024"),
        (cells_table(["when", "n"], [["2024-03-01 22:15", 1]]), "exact date", "2024-03-01 22:15"),
        (cells_table(["Date", "n"], [["Mar 2024", 1]]), "exact date", "Date"),
        ("<pre>0  2024-02-17  Burglary</pre>", "exact date", "2024-02-17"),
        ("<p>On or near Hollywell Avenue</p>", "street location", "On or near Hollywell Av…"),
        (cells_table(["place", "n"], [["NG1 5FS", 1]]), "street location", "NG1 5FS"),
        (cells_table(["crime_ref", "n"], [["x", 1]]), "crime reference", "crime_ref"),
        ("<p>see CR2019000123</p>", "crime reference", "CR2019000123"),
    ],
)
def test_each_kind_of_record_level_content_is_found_in_html(html, kind, excerpt):
    problems = find_record_level(page(html))
    assert [(p.kind, p.excerpt) for p in problems] == [(kind, excerpt)]
    assert problems[0].file == "<text>"


def test_record_level_content_is_found_in_csv_files(tmp_path):
    path = tmp_path / "extract.csv"
    path.write_text(
        "Crime ID,Month,Longitude,Latitude,Location,victim_id,when\n"
        f"{CRIME_ID},2024-01,-1.376821,53.039341,On or near Stewart Street,{VICTIM_ID},"
        "2024-01-09\n"
        f"{CRIME_ID[::-1]},2024-01,-1.366642,53.06737,On or near Park Road,{VICTIM_ID},"
        "2024-01-23\n",
        encoding="utf-8",
    )
    problems = find_record_level(path, name="tables/extract.csv")
    found = {(p.kind, p.where): p.count for p in problems}
    assert found == {
        ("crime ID", "table, column header 'Crime ID'"): 1,
        ("coordinates", "table, column header 'Longitude'"): 1,
        ("coordinates", "table, column header 'Latitude'"): 1,
        ("victim ID", "table, column header 'victim_id'"): 1,
        ("crime ID", "table, column 'Crime ID'"): 2,
        ("coordinates", "table, columns 'Longitude' and 'Latitude'"): 2,
        ("street location", "table, column 'Location'"): 2,
        ("victim ID", "table, column 'victim_id'"): 2,
        ("exact date", "table, column 'when'"): 2,
    }
    assert all(p.file == "tables/extract.csv" for p in problems)
    assert (
        "tables/extract.csv: crime ID in table, column 'Crime ID': '56fccba77d4b…' (2 times)"
        in {str(p) for p in problems}
    )
    # the police.uk sample file in the repository is record-level through and through
    sample = (
        Path(__file__).resolve().parents[2]
        / "data/police_uk/2022-02-nottinghamshire-street.sample.csv"
    )
    kinds = {p.kind for p in find_record_level(sample)}
    assert kinds == {"crime ID", "coordinates", "street location"}


def test_aggregate_tables_and_text_are_not_flagged():
    clean = page(
        "<p>Produced 22 November 2026 with csplib 0.1.0 (commit 82fc7ae1b2)</p>"
        "<p>Burglary fell by 12.5% (52.9 per 1,000 residents; change -1.2).</p>"
        "<p>Input sha256: "
        + CRIME_ID
        + "</p>"
        # the volume chapter's caveat, as the real chapter writes it
        + '<li>police.uk publishes crimes at the LSOA of a snapped point ("On or near …"); '
        + "crimes are mapped on or near the street where they happened</li>"
        + cells_table(
            ["month", "count", "share", "rate", "p"],
            [
                ["Jan 2024", "1,204", "52.9%", "52.9", "0.0012"],
                ["2024-02", "[c]", "[c]", "-1.1", "0.5000"],
            ],
        )
        + cells_table(
            ["period_start", "period_end", "value"],
            [["2023-04-01", "2024-03-31", "12.3456"], ["2024-02-01", "2024-02-29", "1"]],
        )
        + cells_table(["file", "sha256"], [["data.zip", CRIME_ID]])
        + cells_table(["source_file", "blake3"], [["2024-01-street.csv", CRIME_ID]])
        + "<p>Input BLAKE3: "
        + CRIME_ID
        + "</p>"
        + cells_table(["lsoa", "ward", "count"], [["E01013810", "E05012277", 12]])
        + '<img src="data:image/png;base64,'
        + CRIME_ID
        + 'LTEuMTQ2ODEyLCA1Mi45NTM3MDQ=">'
        + "<style>.x { color: #0072B2; background: #"
        + "ab" * 32
        + " }</style>"
    )
    assert find_record_level(clean) == []
    csv_text = "month,category,count\n2024-01-01,Burglary,12\n2024-03-01,Robbery,[c]\n"
    assert find_record_level(csv_text) == []


def test_rates_next_to_shares_are_not_taken_for_coordinates(tmp_path):
    # a rate per 1,000 in the latitude range next to a share in the longitude range
    frame = pd.DataFrame(
        {
            "count": [530, 512, 521],
            "rate_per_1000": [52.953704, 51.2345678, 52.1000004],
            "share": [0.337, 0.3254321, 0.3312345],
        },
        index=pd.Index(["Arboretum", "Bulwell", "Basford"], name="ward"),
    )
    assert find_record_level(page(frame.to_html())) == []
    assert find_record_level(page(f"<pre>{frame.to_string()}</pre>")) == []
    path = tmp_path / "annex.csv"
    frame.to_csv(path)
    assert find_record_level(path) == []
    # the same numbers under neutral names, clustered as positions are, are flagged
    renamed = frame.rename(columns={"rate_per_1000": "y", "share": "x"})[["x", "y"]]
    found = find_record_level(page(renamed.to_html()))
    assert [(p.kind, p.where, p.count) for p in found] == [
        ("coordinates", "table 1, columns 'x' and 'y'", 3)
    ]
    # printed positions: longitude then latitude, as police.uk orders them
    printed = "<pre>   Longitude  Latitude\n0  -1.376821  53.039341</pre>"
    found = find_record_level(page(printed))  # the pair and both column names
    assert [(p.kind, p.excerpt, p.count) for p in found] == [
        ("coordinates", "-1.376821 53.039341", 3)
    ]


def test_images_in_text_are_stripped_but_plain_text_around_them_is_read():
    # base64 can hold runs that look like IDs; stripped, they are not read
    payload = f"iVBORw0KGgo/{CRIME_ID}/{VICTIM_ID}/CR2019000123+AAAA=="
    flagged = {p.kind for p in find_record_level(f"<p>{payload}</p>")}
    assert flagged == {"crime ID", "victim ID", "crime reference"}
    uri = "data:image/png;base64," + payload
    assert find_record_level(f"<p>{uri}</p>", kind="html") == []
    assert find_record_level(f"x,{uri}\n", kind="csv") == []
    assert [p.kind for p in find_record_level(f"<p>{uri} On or near X</p>")] == ["street location"]


# ------------------------------------------------------------------- a realistic shared page
def png_base64() -> str:
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot(range(12), [5, 7, 6, 9, 8, 12, 11, 10, 9, 8, 7, 6], color="#0072B2")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=60)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def chapter_notebook(extra_html: str = "") -> nbformat.NotebookNode:
    months = pd.date_range("2024-01-01", periods=6, freq="MS", name="month")
    monthly = pd.DataFrame(
        {"Burglary": [120, 98, 101, 87, 93, 110], "Robbery": [14, 2, 11, 9, 3, 12]}, index=months
    )
    shown = suppress(monthly, totals=None).frame
    places = pd.DataFrame(
        {
            "location": ["<script>alert(1)</script>", "Arboretum"],
            "count": [40, 55],
            "share": [40 / 95, 55 / 95],
        }
    )
    cell = new_code_cell("ctx.show(...)")
    cell.outputs = [
        new_output("display_data", data={"image/png": png_base64(), "text/plain": "<Figure>"}),
        new_output(
            "display_data",
            data={"text/html": table(shown, caption="Monthly counts").data, "text/plain": "table"},
        ),
        new_output(
            "display_data",
            data={
                "text/html": table(places, formats=safe_formats({"share": "{:.1%}"})).data,
                "text/plain": "table",
            },
        ),
        new_output(
            "execute_result",
            execution_count=3,
            data={"text/html": monthly.to_html(), "text/plain": monthly.to_string()},
        ),
        new_output("stream", name="stdout", text=monthly.head(2).to_string() + "\n"),
        new_output("display_data", data={"text/html": extra_html or "<p></p>", "text/plain": ""}),
    ]
    return new_notebook(
        cells=[
            new_markdown_cell(
                "# Volume\n\nCrime rose 4.2% to 52.9 per 1,000 residents in "
                "2023/24. Produced 22 November 2026."
            ),
            cell,
        ]
    )


@pytest.fixture(scope="module")
def exported_pages(tmp_path_factory):
    from csplib.present.pages import export_html

    folder = tmp_path_factory.mktemp("pages")
    pages = {}
    for name, extra in [
        ("clean", ""),
        ("leaky", cells_table(["Crime ID", "Location"], [[CRIME_ID, "On or near Park Road"]])),
    ]:
        nb_path = folder / f"{name}.ipynb"
        nbformat.write(chapter_notebook(extra), nb_path)
        target = folder / "html" / f"{name}.html"
        export_html(nb_path, target, with_code=False, title="Volume", banner="Synthetic data")
        pages[name] = target
    return pages


def test_a_realistic_shared_chapter_page_is_clean_and_escaped(exported_pages):
    path = exported_pages["clean"]
    text = path.read_text(encoding="utf-8")
    # what must be ignored: embedded images and CSS colours
    assert "data:image/png;base64," in text and re.search(r"color: #[0-9a-fA-F]{6}\b", text)
    assert "Jan 2024" in text and "2024-01-01" in text and ">[c]<" in text
    assert find_record_level(path) == []
    assert contains_escaped_html(text, "<script>alert(1)</script>")
    assert not contains_unescaped_html(text, "<script>alert(1)</script>")


def test_record_level_content_in_a_realistic_page_is_found(exported_pages):
    problems = find_record_level(exported_pages["leaky"], name="html/leaky.html")
    assert {p.kind for p in problems} == {"crime ID", "street location"}
    assert {p.where for p in problems if p.kind == "crime ID"} == {
        "table 4, column header 'Crime ID'",
        "table 4, column 'Crime ID'",
    }


def test_check_shared_outputs_scans_what_is_shared(tmp_path, exported_pages):
    out = tmp_path / "2026"
    for sub in ("html", "packs", "tables", "review", "notebooks"):
        (out / sub).mkdir(parents=True)
    (out / "index.html").write_text(page("<p>Produced 22 November 2026</p>"), encoding="utf-8")
    (out / "html" / "01_volume.html").write_bytes(exported_pages["clean"].read_bytes())
    (out / "html" / "figure.png").write_bytes(base64.b64decode(png_base64()))
    (out / "packs" / "hate.html").write_text(
        page(cells_table(["victim", "n"], [[VICTIM_ID, 3]])), encoding="utf-8"
    )
    (out / "packs" / "extra.pdf").write_bytes(b"%PDF-1.4\n\xff\xfe\x00binary")
    (out / "tables" / "01_volume__monthly.csv").write_text(
        "month,count\n2024-01-01,12\n2024-02-01,[c]\n", encoding="utf-8"
    )
    (out / "tables" / "03_risk__repeats.csv").write_text(
        "date,count\n2024-02-13,3\n", encoding="utf-8"
    )
    (out / "review" / "01_volume.html").write_text(page(f"<p>{CRIME_ID}</p>"), encoding="utf-8")
    (out / "notebooks" / "01_volume.ipynb").write_text(CRIME_ID, encoding="utf-8")

    problems = check_shared_outputs(out)
    assert sorted((p.file, p.kind) for p in problems) == [
        ("packs/extra.pdf", "unscannable file"),
        ("packs/hate.html", "victim ID"),
        ("tables/03_risk__repeats.csv", "exact date"),
        ("tables/03_risk__repeats.csv", "exact date"),
    ]
    without_annex = check_shared_outputs(out, tables=False)
    assert sorted(p.file for p in without_annex) == ["packs/extra.pdf", "packs/hate.html"]
    with pytest.raises(DataError, match="does not exist"):
        check_shared_outputs(tmp_path / "missing")


# ----------------------------------------------------------------------------- escaping helpers
@pytest.mark.parametrize(
    ("text", "escaped", "raw"),
    [
        ("<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>", True, False),
        ("<td>&#60;script&#62;alert(1)&#60;/script&#62;</td>", True, False),
        ("<td>&#x3C;script&#x3E;alert(1)&#x3C;/script&#x3E;</td>", True, False),
        ("<td><script>alert(1)</script></td>", False, True),
        ("<td><SCRIPT>alert(1)</SCRIPT></td>", False, True),
        ("<td>alert(1)</td>", False, False),
    ],
)
def test_escaping_helpers(text, escaped, raw):
    needle = "<script>alert(1)</script>"
    assert contains_escaped_html(text, needle) is escaped
    assert contains_unescaped_html(text, needle) is raw


def test_independent_checks_themselves_catch_what_they_should():
    # guards against vacuous passes of the attack helpers used above
    shared = pd.DataFrame({"n": [C, 10, C, 13]}, index=["a", "b", "c", "All"], dtype=object)
    assert recover_by_subtraction(shared) == {}
    assert linearly_determined(shared) == set()
    assert pinned_by_bounds(shared) == set()
    ones = pd.DataFrame({"n": [C, 10, C, 12]}, index=["a", "b", "c", "All"], dtype=object)
    assert pinned_by_bounds(ones) == {("a", "n"), ("c", "n")}
    single = pd.DataFrame({"n": [C, 10, 7, 20]}, index=["a", "b", "c", "All"], dtype=object)
    assert recover_by_subtraction(single) == {("a", "n"): 3}
    assert linearly_determined(single) == {("a", "n")}


# ------------------------------------------------------------ the one suppression path
def test_protect_follows_the_declarations():
    from csplib.chapters.result import Table
    from csplib.present.disclosure import protect

    frame = pd.DataFrame(
        {"count": [40, 3, 25, 68], "rate": [4.0, 0.3, 2.5, 6.8], "label_count": [1, 2, 3, 4]},
        index=pd.Index(["Burglary", "Robbery", "Drugs", "All"], name="category"),
    )
    table = Table("t", frame, counts=("count",), derived={"rate": ("count",)})
    shown, note = protect(table)
    # Robbery hidden, the smallest other cell hidden against the total, rates with them
    assert shown["count"].tolist() == [40, "[c]", "[c]", 68]
    assert shown["rate"].tolist() == [4.0, "[c]", "[c]", 6.8]
    assert shown["label_count"].tolist() == [1, 2, 3, 4]  # not declared a count: untouched
    assert "suppressed" in note.lower() or "[c]" in note
    assert protect(Table("t", frame, counts=()))[0] is frame


def test_protect_hides_group_total_rows_of_a_long_table():
    from csplib.chapters.result import Table
    from csplib.present.disclosure import protect

    frame = pd.DataFrame(
        {
            "group": ["A", "A", "A", "B", "B", "B"],
            "item": ["x", "y", "All", "x", "y", "All"],
            "count": [10, 2, 12, 20, 30, 50],
        }
    )
    shown, _ = protect(Table("t", frame, counts=("count",)))
    # several "All" rows are not one total: cells are protected alone, and every total row
    # is hidden so that nothing can be subtracted back
    assert shown["count"].tolist() == [10, "[c]", "[c]", 20, 30, "[c]"]


def test_protect_passes_an_empty_table_through():
    """A table with no rows (no implausible months, say) has nothing to hide, whatever the
    dtypes pandas gave its empty columns."""
    from csplib.chapters.result import Table
    from csplib.present.disclosure import protect

    empty = pd.DataFrame({"category": [], "count": []}, dtype=object)
    shown, note = protect(Table("t", empty, counts=("count",)))
    assert shown is empty and note is None


def test_saved_results_are_scanned_too(tmp_path):
    """results/*.json is shared with the pages (the contents page and later runs read it)."""
    from csplib.present.disclosure import check_shared_outputs

    (tmp_path / "results").mkdir()
    crime_id = "a" * 64
    (tmp_path / "results" / "03_harm.json").write_text(f'{{"findings": ["{crime_id}"]}}')
    problems = [str(p) for p in check_shared_outputs(tmp_path)]
    assert any(p.startswith("results/03_harm.json") for p in problems), problems
