"""Ingest quality report: accounting, missing months and implausible months."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csplib.ingest import (
    INGEST_STAGE,
    QualityReport,
    implausible_months,
    missing_months,
    read_policeuk,
)

REPO = Path(__file__).resolve().parents[2]
ZIP_2018 = REPO / "data" / "police_uk" / "nottinghamshire_2018-10_2019-02.zip"
ZIP_2024 = REPO / "data" / "police_uk" / "nottinghamshire_2024-01_2024-03.zip"
ASB = "Anti-social behaviour"


def series(values, start="2024-01-01", category=ASB, **extra):
    months = pd.date_range(start, periods=len(values), freq="MS")
    return pd.DataFrame({"month": months, "category": category, "count": values, **extra})


# ----------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def report_2024():
    return QualityReport.from_read(read_policeuk(ZIP_2024))


def test_real_2024_asb_gap_flagged_at_force_level(report_2024):
    flagged = report_2024.implausible
    assert len(flagged) == 1  # nothing else in the three months is implausible
    row = flagged.iloc[0]
    assert (row["force"], row["category"], row["direction"]) == ("nottinghamshire", ASB, "low")
    assert row["month"] == pd.Timestamp("2024-01-01")
    assert row["count"] == 100
    assert row["expected"] == (2006 + 2316) / 2
    assert row["neighbours"] == 2 and row["p_value"] < 1e-100
    assert row["ratio"] == pytest.approx(100.5 / 2161.5)
    assert "nottinghamshire Anti-social behaviour 2024-01: 100 against about 2,161 (low)" in (
        report_2024.summary()
    )


def test_real_2024_accounting(report_2024):
    table = report_2024.to_frame()
    assert table.iloc[0][["stage", "reason", "rows"]].tolist() == ["input", "read", 28_393]
    assert table.iloc[-1][["stage", "reason", "rows"]].tolist() == ["output", "kept", 28_074]
    middle = table.iloc[1:-1]
    assert (middle["stage"] == INGEST_STAGE).all()
    assert middle.set_index("reason")["rows"].to_dict() == {
        "malformed": 0,
        "month_outside_file": 0,
        "unknown_category": 0,
        "no_lsoa": 245,
        "duplicate_crime_id": 74,
    }
    assert table["rows"].iloc[0] == table["rows"].iloc[1:].sum()
    assert table["share"].iloc[-1] == pytest.approx(28_074 / 28_393)
    assert report_2024.missing.empty
    assert set(report_2024.tables()) == {"rows", "files", "missing_months", "implausible_months"}
    assert report_2024.settings == {
        "window": 2,
        "ratio": 2.5,
        "alpha": 1e-4,
        "min_neighbours": 2,
        "level": "force",
    }


def test_real_2018_nothing_implausible_or_missing():
    report = QualityReport.from_read(read_policeuk(ZIP_2018))
    assert report.implausible.empty and report.missing.empty
    assert report.rows_read == 56_032 and report.rows_kept == 55_337
    assert report.summary().splitlines() == [
        "Read 56,032 rows; kept 55,337; rejected 695 (no LSOA 616, crime ID repeated 79).",
        "Missing months: none.",
        "Implausible months: none.",
    ]


def test_missing_month_in_a_folder(tmp_path):
    with zipfile.ZipFile(ZIP_2018) as z:
        for member in (
            "2018-10/2018-10-nottinghamshire-street.csv",
            "2018-12/2018-12-nottinghamshire-street.csv",
        ):
            z.extract(member, tmp_path)
    report = QualityReport.from_read(read_policeuk(tmp_path))
    assert report.missing.to_dict("records") == [
        {"force": "nottinghamshire", "month": pd.Timestamp("2018-11-01"), "reason": "no file"}
    ]
    # the missing month is not a zero: nothing is implausible
    assert report.implausible.empty
    assert "Missing months (1): nottinghamshire 2018-11 (no file)." in report.summary()


# ----------------------------------------------------------------------------- implausible months


def test_city_pattern_with_two_neighbours():
    flagged = implausible_months(series([47, 875, 1052]))
    assert flagged[["month", "count", "expected", "neighbours", "direction"]].values.tolist() == [
        [pd.Timestamp("2024-01-01"), 47, 963.5, 2, "low"]
    ]


def test_one_sided_neighbours_at_the_end():
    flagged = implausible_months(series([1000, 1010, 990, 1005, 40]))
    assert flagged["month"].tolist() == [pd.Timestamp("2024-05-01")]
    assert flagged["neighbours"].item() == 2  # window 2: March and April
    assert flagged["expected"].item() == 997.5  # median of 990 and 1005
    wider = implausible_months(series([1000, 1010, 990, 1005, 40]), window=3)
    assert wider["neighbours"].item() == 3 and wider["expected"].item() == 1005


def test_masking_keeps_a_bad_month_from_flagging_its_neighbours():
    values = [2000, 2000, 2000, 50, 2600]
    # unmasked, May would be compared with the median of 2000 and 50 (1025): q = 2.54, "high"
    flagged = implausible_months(series(values))
    assert flagged[["month", "direction"]].values.tolist() == [[pd.Timestamp("2024-04-01"), "low"]]
    flagged = implausible_months(series(values), min_neighbours=1)  # May checked against March
    assert flagged["month"].tolist() == [pd.Timestamp("2024-04-01")]
    assert implausible_months(series([100, 2000, 2300]))["month"].tolist() == [
        pd.Timestamp("2024-01-01")
    ]


def test_high_month():
    flagged = implausible_months(series([100, 110, 400, 105, 95]))
    assert flagged[["month", "direction", "count"]].values.tolist() == [
        [pd.Timestamp("2024-03-01"), "high", 400]
    ]
    assert flagged["expected"].item() == 102.5


@pytest.mark.parametrize(
    "values",
    [[8, 3, 8, 9, 7], [0, 0, 1, 0, 0], [0, 0, 3, 0], [5, 2, 5, 6], [40, 25, 38, 44, 41]],
)
def test_noise_in_small_or_steady_counts_is_not_flagged(values):
    assert implausible_months(series(values)).empty


def test_zero_against_steady_neighbours_is_flagged():
    flagged = implausible_months(series([10, 12, 0, 11, 9]))
    assert flagged["month"].tolist() == [pd.Timestamp("2024-03-01")]
    assert flagged["p_value"].item() < 1e-4


def test_missing_month_is_not_a_zero():
    counts = series([500, 510, 0, 490, 505]).query("count > 0")  # March has no row
    present = counts[["month"]]
    assert implausible_months(counts, months=present).empty  # March missing
    all_months = pd.DataFrame({"month": pd.date_range("2024-01-01", periods=5, freq="MS")})
    flagged = implausible_months(counts, months=all_months)  # March present, zero rows
    assert flagged[["month", "count"]].values.tolist() == [[pd.Timestamp("2024-03-01"), 0]]


def test_category_absent_from_a_present_month_counts_zero():
    counts = pd.concat(
        [
            series([300, 320, 310], category="Burglary"),
            series([900, 950], start="2024-02-01"),  # no ASB row at all in January
        ]
    )
    flagged = implausible_months(counts)
    assert flagged[["category", "month", "count"]].values.tolist() == [
        [ASB, pd.Timestamp("2024-01-01"), 0]
    ]


def test_series_by_area_columns():
    counts = pd.concat(
        [
            series([47, 875, 1052], force="notts", ward="A"),
            series([40, 45, 50], force="notts", ward="B"),
            series([900, 30, 880], force="derby", ward="A"),
        ]
    )
    flagged = implausible_months(counts, by=["force", "ward"])
    assert flagged[["force", "ward", "month"]].values.tolist() == [
        ["derby", "A", pd.Timestamp("2024-02-01")],
        ["notts", "A", pd.Timestamp("2024-01-01")],
    ]


def test_wider_gaps_limit_neighbours():
    # months two years apart are no neighbours of each other (window 3)
    counts = pd.DataFrame(
        {
            "month": pd.to_datetime(["2020-01-01", "2020-02-01", "2022-01-01", "2022-02-01"]),
            "category": ASB,
            "count": [1000, 1000, 10, 12],
        }
    )
    assert implausible_months(counts, min_neighbours=1).empty
    assert implausible_months(counts, window=36, min_neighbours=1)["count"].tolist() == [10, 12]


def simulate(mean, n_series=200, months=24, drop=None, seasonal=0.0, seed=7):
    """Poisson series with known truth: steady or seasonal, optionally one month cut."""
    rng = np.random.default_rng(seed)
    shape = 1 + seasonal * np.sin(2 * np.pi * np.arange(months) / 12)
    frames, truth = [], []
    for s in range(n_series):
        x = rng.poisson(mean * shape)
        if drop is not None:
            k = int(rng.integers(0, months))
            x[k] = rng.poisson(mean * shape[k] * drop)
            truth.append((f"s{s:03d}", pd.Timestamp("2020-01-01") + pd.DateOffset(months=k)))
        frames.append(series(x, start="2020-01-01", category=f"s{s:03d}"))
    return pd.concat(frames, ignore_index=True), truth


@pytest.mark.parametrize("mean, most", [(1, 3), (3, 3), (10, 3), (20, 3), (50, 0)])
def test_simulated_steady_series_rarely_flagged(mean, most):
    counts, _ = simulate(mean)
    assert len(implausible_months(counts)) <= most  # of 4,800 months


def test_simulated_seasonal_series_rarely_flagged():
    # bicycle-theft-like seasonality: the peak month is three times the trough
    counts, _ = simulate(60, n_series=100, months=36, seasonal=0.5)
    assert len(implausible_months(counts)) <= 3  # of 3,600 months
    # the older, wider setting flags the seasonal swing itself
    assert len(implausible_months(counts, window=3, ratio=2.0)) > 30


@pytest.mark.parametrize("mean, recall", [(50, 0.95), (300, 1.0)])
def test_simulated_gaps_are_found(mean, recall):
    counts, truth = simulate(mean, drop=0.2)
    flagged = implausible_months(counts)
    found = set(zip(flagged["category"], flagged["month"], strict=True))
    assert found <= set(truth)  # no false alarms
    assert len(found) >= recall * len(truth)
    assert (flagged["direction"] == "low").all()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"window": 0}, "window must be a positive integer"),
        ({"window": 1.5}, "window must be a positive integer"),
        ({"ratio": 1}, "ratio must be a number greater than 1"),
        ({"alpha": 0}, "alpha must be a probability strictly between 0 and 1"),
        ({"min_neighbours": 0}, "min_neighbours must be an integer from 1 to 2 \\* window"),
        ({"window": 1, "min_neighbours": 3}, "min_neighbours must be an integer from 1"),
    ],
)
def test_parameters_are_validated(kwargs, message):
    with pytest.raises(ValueError, match=message):
        implausible_months(series([1, 2, 3]), **kwargs)


def test_input_columns_are_checked():
    with pytest.raises(ValueError, match="counts needs columns"):
        implausible_months(series([1, 2, 3]).drop(columns="count"))
    with pytest.raises(ValueError, match="missing \\['force'\\]"):
        implausible_months(series([1, 2, 3]), by="force")


# ----------------------------------------------------------------------------- missing months


def test_missing_months_by_force():
    files = pd.DataFrame(
        {
            "force": ["a", "a", "a", "a", "b", "b"],
            "month": pd.to_datetime(
                ["2023-11-01", "2024-01-01", "2024-02-01", "2024-04-01", "2024-01-01", "2024-02-01"]
            ),
            "rows_read": [10, 12, 0, 11, 5, 6],
        }
    )
    got = missing_months(files)
    # every force against the whole download (Nov 2023 to Apr 2024), not its own first to last
    assert got.values.tolist() == [
        ["a", pd.Timestamp("2023-12-01"), "no file"],
        ["a", pd.Timestamp("2024-02-01"), "file has no rows"],
        ["a", pd.Timestamp("2024-03-01"), "no file"],
        ["b", pd.Timestamp("2023-11-01"), "no file"],
        ["b", pd.Timestamp("2023-12-01"), "no file"],
        ["b", pd.Timestamp("2024-03-01"), "no file"],
        ["b", pd.Timestamp("2024-04-01"), "no file"],
    ]
    assert list(got.columns) == ["force", "month", "reason"]
    with pytest.raises(ValueError, match="files needs a 'force' column"):
        missing_months(files.drop(columns="force"))


def gap_counts(values: dict[str, list[int]], force="a", start="2024-01-01") -> pd.DataFrame:
    """Force-level counts by category; a zero is no row at all (left out, as read)."""
    frames = [series(v, start=start, category=c, force=force) for c, v in values.items()]
    counts = pd.concat(frames, ignore_index=True)
    return counts[counts["count"] > 0]


def all_months(n: int, force="a", start="2024-01-01") -> pd.DataFrame:
    months = pd.date_range(start, periods=n, freq="MS")
    return pd.DataFrame({"force": force, "month": months, "rows_read": 100})


def test_a_category_with_no_row_in_a_month_is_a_gap():
    counts = gap_counts({ASB: [900, 950, 0, 1000, 980], "Burglary": [300, 310, 305, 290, 300]})
    got = missing_months(all_months(5), counts=counts)
    assert got.values.tolist() == [["a", pd.Timestamp("2024-03-01"), f"no {ASB} rows"]]
    # without the counts, no category is checked
    assert missing_months(all_months(5)).empty


def test_a_tiny_category_with_no_row_is_a_real_zero_not_a_gap():
    counts = gap_counts({"Possession of weapons": [1, 2, 0, 1, 1], "Robbery": [8, 9, 0, 9, 8]})
    assert missing_months(all_months(5), counts=counts).empty
    # a median of 10 a month makes a zero a gap (Poisson P(0 | 10.5) = 2.8e-5 < 1e-4)
    counts = gap_counts({"Robbery": [10, 10, 0, 10, 10]})
    assert missing_months(all_months(5), counts=counts)["reason"].tolist() == ["no Robbery rows"]
    assert missing_months(all_months(5), counts=counts, alpha=1e-5).empty


def test_a_category_before_police_uk_published_it_is_not_a_gap():
    # Possession of weapons has rows from May 2013 only (split from Public disorder and weapons)
    counts = gap_counts({"Possession of weapons": [0, 0, 0, 0, 40, 42, 45]}, start="2013-01-01")
    assert missing_months(all_months(7, start="2013-01-01"), counts=counts).empty


def test_a_category_gap_in_a_missing_month_is_the_month_only():
    files = all_months(5).drop(index=2)  # no file for March
    counts = gap_counts({ASB: [900, 950, 0, 1000, 980]})
    got = missing_months(files, counts=counts)
    assert got.values.tolist() == [["a", pd.Timestamp("2024-03-01"), "no file"]]
    with pytest.raises(ValueError, match="counts needs columns"):
        missing_months(files, counts=counts.drop(columns="force"))
    with pytest.raises(ValueError, match="alpha must be a probability"):
        missing_months(files, counts=counts, alpha=1)
    with pytest.raises(ValueError, match="min_neighbours must be an integer from 1"):
        missing_months(files, counts=counts, window=1, min_neighbours=3)


POLICE_UK_HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
    "LSOA name,Crime type,Last outcome category,Context"
)


def street_lines(month: str, rows: dict[str, int]) -> list[str]:
    """A street file's lines: ``rows`` by category, at one Nottingham LSOA."""
    lines = [POLICE_UK_HEADER]
    for category, n in rows.items():
        for i in range(n):
            crime_id = "" if category == ASB else f"{month}-{category[:3]}-{i}"
            lines.append(
                f"{crime_id},{month},Police,Police,-1.15,52.95,On or near X,E01013810,"
                f"Nottingham 029D,{category},,"
            )
    return lines


def write_download(path: Path, files: dict[tuple[str, str], dict[str, int]]) -> Path:
    """A police.uk download zip: one street file per (month, force) with rows by category."""
    with zipfile.ZipFile(path, "w") as z:
        for (month, force), rows in files.items():
            name = f"{month}/{month}-{force}-street.csv"
            z.writestr(name, "\n".join(street_lines(month, rows)) + "\n")
    return path


def test_a_force_missing_the_first_month_of_a_two_force_download(tmp_path):
    rows = {"Burglary": 3, ASB: 4}
    months = ["2024-01", "2024-02", "2024-03"]
    files = {(m, "leicestershire"): rows for m in months}
    files |= {(m, "nottinghamshire"): rows for m in months[1:]}  # no 2024-01 file
    report = QualityReport.from_read(read_policeuk(write_download(tmp_path / "d.zip", files)))
    assert report.missing.to_dict("records") == [
        {"force": "nottinghamshire", "month": pd.Timestamp("2024-01-01"), "reason": "no file"}
    ]
    assert "Missing months (1): nottinghamshire 2024-01 (no file)." in report.summary()


def test_a_category_missing_one_month_of_a_force_file(tmp_path):
    full = {"Burglary": 12, ASB: 15, "Possession of weapons": 1}
    files = {(m, "nottinghamshire"): full for m in ("2024-01", "2024-02", "2024-04")}
    # March: no ASB row at all (a gap) and no weapons row (1 a month: a real zero)
    files[("2024-03", "nottinghamshire")] = {"Burglary": 12}
    report = QualityReport.from_read(read_policeuk(write_download(tmp_path / "d.zip", files)))
    assert report.missing.to_dict("records") == [
        {
            "force": "nottinghamshire",
            "month": pd.Timestamp("2024-03-01"),
            "reason": f"no {ASB} rows",
        }
    ]
    assert list(report.tables()) == ["rows", "files", "missing_months", "implausible_months"]


# ----------------------------------------------------------------------------- the report


def make_report(read=1000, rejected=(("police.uk ingest", "no_lsoa", 10),), **kwargs):
    table = pd.DataFrame(list(rejected), columns=["stage", "reason", "rows"])
    return QualityReport(read, table, **kwargs)


def test_report_composes_with_later_stages():
    report = make_report()
    assert report.rows_kept == 990
    later = report.add_rejections("LSOA outside the area", 600, stage="geography")
    later = later.add_rejections("no ward", pd.DataFrame({"x": range(5)}), stage="geography")
    assert (later.rows_kept, later.rows_rejected) == (385, 615)
    assert report.rows_kept == 990  # the original is unchanged
    table = later.to_frame()
    assert table["reason"].tolist() == [
        "read",
        "no_lsoa",
        "LSOA outside the area",
        "no ward",
        "kept",
    ]
    assert table["rows"].tolist() == [1000, 10, 600, 5, 385]
    assert table["rows"].iloc[0] == table["rows"].iloc[1:].sum()
    assert "rejected 615 (no LSOA 10, LSOA outside the area 600, no ward 5)" in later.summary()


def test_report_invariant_is_checked():
    with pytest.raises(ValueError, match="rows read \\(1,000\\) != kept \\(991\\)"):
        make_report(rows_kept=991)
    with pytest.raises(ValueError, match="1,010 rows rejected but only 1,000 read"):
        make_report(rejected=(("s", "r", 1010),))
    with pytest.raises(ValueError, match="cannot reject 991 rows: only 990 are kept"):
        make_report().add_rejections("r", 991, stage="s")
    with pytest.raises(ValueError, match="non-negative"):
        make_report().add_rejections("r", -1, stage="s")
    with pytest.raises(ValueError, match="non-empty strings"):
        make_report().add_rejections("", 1, stage="s")


def test_with_implausible_rechecks_other_counts(report_2024):
    city = series([47, 875, 1052], area="Nottingham")
    report = report_2024.with_implausible(city, by="area")
    assert report.implausible[["area", "count"]].values.tolist() == [["Nottingham", 47]]
    assert report.settings["by"] == "area"
    assert report.rows_kept == report_2024.rows_kept
