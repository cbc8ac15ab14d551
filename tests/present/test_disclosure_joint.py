"""Suppression across tables: the pack's wards and its total, rates with their population,
months and years, the ledger and the run-level audit. Ranges are checked against an
independent brute-force enumeration of every set of whole numbers consistent with what is
shown."""

import itertools
import json

import numpy as np
import pandas as pd
import pytest

from csplib.chapters.result import CellKeys, Table, incidents_key
from csplib.core.errors import DataError
from csplib.present.disclosure import (
    DEFAULT_MARKER,
    Ledger,
    TableCells,
    audit_run,
    audit_tables,
    ledger_path,
    protect,
    required_width,
)

C = DEFAULT_MARKER
KEY = incidents_key(["Drugs"], start="2024-04-01", end="2025-03-01")


def pack(counts, *, total_shown=True, declared=True):
    """A pack page: the theme's total (one row), then its wards (no total row)."""
    cells = CellKeys({"count": KEY}, rows={"Drugs": ""}) if declared else None
    volume = Table(
        "volume",
        pd.DataFrame({"count": [int(sum(counts))]}, index=pd.Index(["Drugs"], name="theme")),
        counts=("count",),
        totals=None,
        cells=cells,
    )
    wards = pd.DataFrame(
        {"count": counts, "population": [5000 + 100 * i for i in range(len(counts))]},
        index=pd.Index([f"W{i}" for i in range(len(counts))], name="ward_name"),
    )
    wards["rate_per_1000"] = wards["count"] / wards["population"] * 1000
    wards_table = Table(
        "wards",
        wards,
        counts=("count",),
        derived={"rate_per_1000": ("count",)},
        totals=None,
        cells=CellKeys({"count": KEY}, partition=True) if declared else None,
    )
    return ([volume] if total_shown else []) + [wards_table]


def show(tables, threshold=5, suppress_zeros=False):
    page = Ledger("pack_drugs", threshold=threshold, suppress_zeros=suppress_zeros)
    shown = {
        t.name: protect(t, threshold=threshold, suppress_zeros=suppress_zeros, page=page)[0]
        for t in tables
    }
    return page, shown


def brute_ranges(total: int, shown: list[int], n_hidden: int, low: int = 1):
    """Every whole-number filling of the hidden wards that adds up to the total shown:
    the smallest and largest value each hidden ward takes (independent of linprog)."""
    rest = total - sum(shown)
    values = [v for v in itertools.product(range(low, rest + 1), repeat=n_hidden) if sum(v) == rest]
    arr = np.array(values)
    return list(zip(arr.min(axis=0).tolist(), arr.max(axis=0).tolist(), strict=True))


# ----------------------------------------------------------------------------- the criterion
def test_required_width_is_the_band():
    assert required_width(5) == 3  # 1..4: hi - lo >= 3
    assert required_width(5, suppress_zeros=True) == 4  # 0..4
    assert required_width(10) == 8
    assert required_width(2) == 1  # never exactly


# ----------------------------------------------------------------------------- the pack
def test_three_small_wards_and_the_packs_total_elsewhere_hide_enough():
    counts = [30, 22, 2, 1, 1, 9, 12]  # three small wards add up to 4: each 1..2 from the total
    page, shown = show(pack(counts))
    wards = shown["wards"]
    hidden = [w for w, v in wards["count"].items() if v == C]
    # the small wards, and the smallest other ward (9), so the hidden add up to 13
    assert hidden == ["W2", "W3", "W4", "W5"]
    assert shown["volume"]["count"].tolist() == [77]
    assert (wards["rate_per_1000"] == C).tolist() == (wards["count"] == C).tolist()
    visible = [int(v) for v in wards["count"] if v != C]
    for lo, hi in brute_ranges(77, visible, len(hidden)):
        assert hi - lo >= required_width(5)  # 1..10 for each hidden ward
    assert audit_tables(page.tables.values(), 5) == []
    # alone, the wards table hides only the small ones, and the pack's total pins them
    alone_page, alone = show(pack(counts, declared=False))
    assert [w for w, v in alone["wards"]["count"].items() if v == C] == ["W2", "W3", "W4"]
    visible = [int(v) for v in alone["wards"]["count"] if v != C]
    assert brute_ranges(77, visible, 3) == [(1, 2)] * 3  # the differencing the audit forbids


def test_joint_audit_finds_what_tables_alone_hide_badly():
    wards = TableCells(
        "wards",
        [
            (f"{KEY}|ward_name=W{i}", f"W{i}", "count", v, v is None)
            for i, v in enumerate([30.0, None, None, None, 20.0])
        ],
        [(KEY, tuple(f"{KEY}|ward_name=W{i}" for i in range(5)))],
    )
    total = TableCells("volume", [(KEY, "Drugs", "count", 55.0, False)])
    found = audit_tables([total, wards], 5, page="pack_drugs")
    assert [(e.row, e.lower, e.upper) for e in found] == [("W1", 1, 3), ("W2", 1, 3), ("W3", 1, 3)]
    assert brute_ranges(55, [30, 20], 3) == [(1, 3)] * 3
    assert "tables/pack_drugs__wards.csv" in str(found[0]) and "'W1'" in str(found[0])
    total.cells = [(KEY, "Drugs", "count", 58.0, False)]  # the three add up to 8: 1..6
    assert audit_tables([total, wards], 5) == []


def test_a_hidden_ward_shown_in_another_table_is_exposed():
    a = TableCells("a", [("k|w=1", "1", "count", None, True)])
    b = TableCells("b", [("k|w=1", "1", "count", 3.0, False)])
    (e,) = audit_tables([a, b], 5)
    assert (e.table, e.lower, e.upper) == ("a", 3.0, 3.0)


def test_random_packs_are_protected_against_the_brute_force_ranges():
    rng = np.random.default_rng(20261207)
    for trial in range(20):
        n = int(rng.integers(3, 7))
        counts = rng.choice([1, 2, 3, 4, 6, 8, 15, 40], size=n).tolist()
        page, shown = show(pack(counts))
        wards = shown["wards"]["count"]
        hidden = int((wards == C).sum())
        assert all(v == C for v, c in zip(wards, counts, strict=True) if 1 <= c <= 4), trial
        if hidden:
            visible = [int(v) for v in wards if v != C]
            for lo, hi in brute_ranges(sum(counts), visible, hidden):
                assert hi - lo >= 3, (trial, counts)
        assert audit_tables(page.tables.values(), 5) == [], trial


def test_protection_is_deterministic_and_reshowing_a_table_replaces_it():
    tables = pack([30, 22, 2, 1, 1, 9, 12])
    page, first = show(tables)
    again = protect(tables[1], page=page)[0]
    pd.testing.assert_frame_equal(first["wards"], again)
    assert list(page.tables) == ["volume", "wards"]
    _, second = show(tables)
    pd.testing.assert_frame_equal(first["wards"], second["wards"])


def test_the_total_is_hidden_when_nothing_else_can_be():
    # every ward is small: the total (shown first) pins them unless it is hidden too;
    # shown after the wards, the total table hides its only cell
    counts = [2, 1]
    page = Ledger("p", threshold=5)
    tables = pack(counts)
    wards = protect(tables[1], page=page)[0]
    total = protect(tables[0], page=page)[0]
    assert wards["count"].tolist() == [C, C]
    assert total["count"].tolist() == [C]
    assert audit_tables(page.tables.values(), 5) == []


# ----------------------------------------------------------------------------- rates
def test_a_rate_shown_with_its_population_is_protected_as_its_count():
    counts = [30, 3, 25, 12]
    frame = pd.DataFrame({"count": counts}, index=pd.Index(["A", "B", "C", "D"], name="ward_name"))
    frame.loc["All"] = frame.sum()
    population = pd.Series([4000, 2500, 5000, 3000, 14500], index=frame.index)
    counts_table = Table("counts", frame, counts=("count",), cells=CellKeys({"count": KEY}))
    rates = pd.DataFrame(
        {"population": population, "rate_per_1000": frame["count"] / population * 1000}
    )
    rates_table = Table(
        "rates",
        rates,
        cells=CellKeys({"rate_per_1000": KEY}, rates={"rate_per_1000": ("population", 1000)}),
    )
    page = Ledger("05_places", threshold=5)
    shown_counts = protect(counts_table, page=page)[0]
    assert shown_counts["count"].tolist() == [30, C, 25, C, 70]
    shown_rates = protect(rates_table, page=page)[0]
    # B's rate (1.2 per 1,000 of 2,500) is B's 3; D's rate would give D, then B = 70 - 67
    assert (
        shown_rates["rate_per_1000"].tolist()[1] == C
        and shown_rates["rate_per_1000"].tolist()[3] == C
    )
    assert shown_rates["population"].tolist() == population.tolist()
    assert "__count_of_rate_per_1000" not in shown_rates.columns
    assert audit_tables(page.tables.values(), 5) == []
    # undeclared, the rates table shows B's rate: 1.2 x 2,500 / 1,000 = 3
    bare = protect(Table("rates", rates), page=Ledger("x"))[0]
    assert bare["rate_per_1000"].iloc[1] * 2500 / 1000 == pytest.approx(3)


# ----------------------------------------------------------------------------- months and years
def test_a_month_hidden_in_the_series_is_protected_against_the_years_total():
    months = pd.date_range("2024-04-01", periods=12, freq="MS")
    drugs = [20, 18, 3, 22, 25, 19, 21, 24, 17, 23, 26, 20]
    monthly = pd.DataFrame({"Drugs": drugs, "Robbery": [9] * 12}, index=months)
    monthly.index.name = "month"
    series = Table(
        "monthly",
        monthly,
        counts="all",
        totals=None,
        cells=CellKeys(
            {c: incidents_key([c]) for c in monthly.columns},
            rows={m: f"period={m:%Y-%m}..{m:%Y-%m}" for m in months},
        ),
    )
    years = pd.DataFrame(
        {"2024/25": [sum(drugs), 108]}, index=pd.Index(["Drugs", "Robbery"], name="category")
    )
    years.loc["All"] = years.sum()
    year_table = Table(
        "years",
        years,
        counts="all",
        cells=CellKeys(
            {"2024/25": incidents_key(["Drugs", "Robbery"], start="2024-04-01", end="2025-03-01")},
            over="categories",
        ),
    )
    page = Ledger("01_volume", threshold=5)
    alone = protect(series, threshold=5)[0]
    assert (alone["Drugs"] == C).sum() == 1  # alone, June is 258 - the other months
    shown = protect(series, page=page)[0]
    assert (shown["Drugs"] == C).sum() == 1  # the series is shown first, as it is
    # the year's Drugs count would give June back: the years table (shown second) hides it,
    # Robbery's with it (against the All row), and the All row too, since Robbery's year is
    # its months' sum (a hidden 108 the months give back is no small count, and passes)
    years_shown = protect(year_table, page=page)[0]
    assert years_shown["2024/25"].tolist() == [C, C, C]
    assert audit_tables(page.tables.values(), 5) == []
    # shown the other way round, the series hides a second month instead (the smallest: 17)
    page = Ledger("01_volume", threshold=5)
    protect(year_table, page=page)
    shown = protect(series, page=page)[0]
    assert shown.index[shown["Drugs"] == C].tolist() == [months[2], months[8]]
    assert audit_tables(page.tables.values(), 5) == []


# ----------------------------------------------------------------------------- the ledger
def test_ledger_round_trip_and_run_audit_names_file_table_and_cell(tmp_path):
    page, _ = show(pack([30, 22, 2, 1, 1, 9, 12]))
    page.save(tmp_path)
    text = ledger_path(tmp_path, "pack_drugs").read_text()
    body = json.loads(text)
    assert body["format"] == "csplib.disclosure-ledger" and body["threshold"] == 5
    assert "null" in text and "W2" in text  # hidden cells carry no value
    assert Ledger.from_json(text).tables["wards"].cells == page.tables["wards"].cells
    assert audit_run(tmp_path) == []
    # another page shows one of the hidden secondary wards: the run's audit catches it
    other = Ledger("05_places", threshold=5)
    other.tables["ward_profiles"] = TableCells(
        "ward_profiles", [(f"{KEY}|ward_name=W5", "W5", "count", 9.0, False)]
    )
    other.save(tmp_path)
    found = audit_run(tmp_path)
    assert found and {e.page for e in found} == {"pack_drugs"}
    assert {e.row for e in found} <= {"W2", "W3", "W4"}
    assert "tables/pack_drugs__wards.csv" in str(found[0])


def test_ledger_errors_are_clear(tmp_path):
    with pytest.raises(DataError, match="not a disclosure ledger"):
        Ledger.from_json('{"format": "x"}', source="a.json")
    with pytest.raises(DataError, match="version 9"):
        Ledger.from_json('{"format": "csplib.disclosure-ledger", "version": 9}')
    Ledger("a", threshold=5).save(tmp_path)
    Ledger("b", threshold=10).save(tmp_path)
    with pytest.raises(DataError, match="different thresholds"):
        audit_run(tmp_path)
    # shown cells that contradict their declared keys are named
    a = TableCells(
        "a",
        [
            ("k", "All", "n", 10.0, False),
            ("k|w=1", "1", "n", 4.0, False),
            ("k|w=2", "2", "n", 5.0, False),
        ],
        [("k", ("k|w=1", "k|w=2"))],
    )
    with pytest.raises(DataError, match="disagree"):
        audit_tables([a], 5)
    b = TableCells("b", [("k|w=1", "1", "n", 6.0, False)])
    with pytest.raises(DataError, match=r"k\|w=1 is 4 in table 'a' and 6 in table 'b'"):
        audit_tables([a, b], 5)


def places_page(counts):
    """The places page's profile: the same wards in a long table, shares of the area."""
    frame = pd.DataFrame(
        {
            "measure": "Drugs",
            "ward_name": [f"W{i}" for i in range(len(counts))],
            "count": counts,
        }
    )
    frame["share_of_area"] = frame["count"] / frame["count"].sum() * 100
    return Table(
        "ward_profiles",
        frame,
        counts=("count",),
        derived={"share_of_area": ("count",)},
        totals=None,
        cells=CellKeys(
            {
                "count": lambda row: incidents_key(
                    [row["measure"]], start="2024-04-01", end="2025-03-01"
                )
            },
            over="ward_name",
            partition=True,
            shares=("share_of_area",),
        ),
    )


def test_shares_reveal_the_total_and_two_pages_agree_on_the_same_wards(tmp_path):
    counts = [506, 340, 4, 18, 26, 37]
    places = Ledger("05_places", threshold=5)
    shown = protect(places_page(counts), page=places)[0]
    # one small ward alone would be the total (count / share) minus the others
    assert shown["count"].tolist() == [506, 340, C, C, 26, 37]
    assert (shown["share_of_area"] == C).tolist() == (shown["count"] == C).tolist()
    (total,) = [c for c in places.tables["ward_profiles"].cells if c[1] == "(total from shares)"]
    assert total[0] == KEY and total[3] == sum(counts)
    # alone (no keys), only the small ward is hidden
    bare = places_page(counts)
    bare = Table(bare.name, bare.frame, counts=bare.counts, derived=bare.derived, totals=None)
    assert (protect(bare)[0]["count"] == C).sum() == 1
    pack_page, _ = show(pack(counts))
    places.save(tmp_path)
    pack_page.save(tmp_path)
    assert audit_run(tmp_path) == []  # both pages hid the same second ward


def test_pages_listing_the_same_wards_in_another_order_hide_the_same_second_ward(tmp_path):
    # W2 and W3 are small (1..2 each once the total is shown); W4 and W5 tie as the
    # smallest ward to hide with them. Chosen by row order, one page would hide W4 and the
    # other W5, and the two pages together would give both back (found on Mansfield's run).
    counts = [40, 30, 2, 1, 5, 5]
    pages = []
    for name, order in (("pack_drugs", slice(None)), ("05_places", slice(None, None, -1))):
        volume, wards = pack(counts)
        wards = Table(
            "wards",
            wards.frame.iloc[order],
            counts=wards.counts,
            derived=wards.derived,
            totals=None,
            cells=wards.cells,
        )
        page = Ledger(name, threshold=5)
        for t in (volume, wards):
            shown = protect(t, page=page)[0]
        pages.append(set(shown.index[shown["count"] == C]))
        page.save(tmp_path)
    assert pages[0] == pages[1] == {"W2", "W3", "W4"}
    assert audit_run(tmp_path) == []


def test_a_count_shown_again_in_another_column_is_hidden_there_too():
    # the places profile shows each ward's count and, when every month was compared, the same
    # count again as count_compared: one key, so hiding the count hides its copy
    frame = places_page([506, 340, 4, 18, 26, 37]).frame
    frame["count_compared"] = frame["count"]
    key = lambda row: incidents_key([row["measure"]], start="2024-04-01", end="2025-03-01")  # noqa: E731
    table = Table(
        "ward_profiles",
        frame,
        counts=("count", "count_compared"),
        derived={"share_of_area": ("count",)},
        totals=None,
        cells=CellKeys(
            {"count": key, "count_compared": key},
            over="ward_name",
            partition=True,
            shares=("share_of_area",),
        ),
    )
    page = Ledger("05_places", threshold=5)
    shown = protect(table, page=page)[0]
    assert (shown["count"] == C).tolist() == (shown["count_compared"] == C).tolist()
    assert (shown["count"] == C).sum() == 2
    assert audit_tables(page.tables.values(), 5) == []
