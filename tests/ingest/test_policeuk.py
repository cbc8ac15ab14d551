"""police.uk reader: real Nottinghamshire downloads, caching, harmonisation and bad input."""

from __future__ import annotations

import gc
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import polars as pl
import pytest

from csplib.core.errors import DataError
from csplib.core.schema import POLICE_UK_CATEGORIES
from csplib.ingest import (
    REJECTION_REASONS,
    STREET_COLUMNS,
    _csvparse,
    category_table,
    harmonise_category,
    lsoa_code_lists,
    policeuk_pipeline,
    policeuk_vintage,
    read_policeuk,
)

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "data" / "police_uk"
ZIP_2018 = DATA / "nottinghamshire_2018-10_2019-02.zip"
ZIP_2024 = DATA / "nottinghamshire_2024-01_2024-03.zip"
HEADER = ",".join(STREET_COLUMNS)
OUTCOME_HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
    "LSOA name,Outcome type"
)
LSOA = "E01013810"  # Nottingham 029D: unchanged between the 2011 and 2021 vintages


def row(
    crime_id="c1",
    month="2019-01",
    lon="-1.150000",
    lat="52.950000",
    location="On or near High Street",
    lsoa=LSOA,
    crime_type="Burglary",
    outcome="Under investigation",
):
    """One street-file line (12 fields)."""
    return ",".join(
        [
            crime_id,
            month,
            "Nottinghamshire Police",
            "Nottinghamshire Police",
            lon,
            lat,
            location,
            lsoa,
            "Nottingham 029D" if lsoa else "",
            crime_type,
            outcome,
            "",
        ]
    )


def write(folder: Path, name: str, lines: list[str], header: str = HEADER) -> Path:
    path = folder / name[:7] / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def check_accounting(read) -> None:
    """Rows read = kept + rejected, per file and in total, and the tables agree."""
    files = read.files
    assert (files["rows_read"] == files["rows_kept"] + files["rows_rejected"]).all()
    assert read.rows_read == read.rows_kept + read.rows_rejected
    assert len(read.incidents) == read.rows_kept
    street = read.rejected[read.rejected["kind"] == "street"]
    assert len(street) == read.rows_rejected
    per_file = street.groupby("source_file").size()
    for f in files.itertuples():
        assert per_file.get(f.source_file, 0) == f.rows_rejected


# ----------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def read_2018():
    return read_policeuk(ZIP_2018)


@pytest.fixture(scope="module")
def read_2024():
    return read_policeuk(ZIP_2024)


def test_real_2018_rows_and_accounting(read_2018):
    assert read_2018.rows_read == 56_032
    check_accounting(read_2018)
    assert read_2018.files["rows_read"].tolist() == [11900, 11808, 10492, 10918, 10914]
    assert read_2018.files["month"].dt.strftime("%Y-%m").tolist() == [
        "2018-10",
        "2018-11",
        "2018-12",
        "2019-01",
        "2019-02",
    ]
    assert set(read_2018.files["force"]) == {"nottinghamshire"}
    reasons = read_2018.rejected["reason"].value_counts().to_dict()
    # 616 rows with no location and no LSOA; 79 repeated Crime IDs (see the next test)
    assert reasons == {"no_lsoa": 616, "duplicate_crime_id": 79}
    assert read_2018.rows_kept == 56_032 - 616 - 79


def test_real_2018_duplicate_crime_ids(read_2018):
    # 87 rows repeat a Crime ID seen earlier in the same file (168 rows share 81 IDs, all
    # within one month). Duplicates are checked among rows passing every other check, so
    # the 8 repeats without an LSOA count as no_lsoa and 79 as duplicate_crime_id.
    assert read_2018.files["crime_id_repeats"].sum() == 87
    rej = read_2018.rejected
    dups = rej[rej["reason"] == "duplicate_crime_id"]
    assert len(dups) == 79
    inc = read_2018.incidents
    ids = inc["crime_id"].dropna()
    assert ids.is_unique
    # every duplicate's ID was kept, earlier in the same file
    first = inc.dropna(subset=["crime_id"]).set_index("crime_id")
    trios = zip(dups["Crime ID"], dups["source_file"], dups["row"], strict=True)
    for crime_id, source, dup_row in trios:
        kept = first.loc[crime_id]
        assert kept["source_file"] == source
        assert kept["source_row"] < dup_row
    no_lsoa_repeats = rej[
        (rej["reason"] == "no_lsoa") & rej["Crime ID"].isin(set(ids)) & rej["Crime ID"].notna()
    ]
    assert len(no_lsoa_repeats) == 8
    assert dups["detail"].str.match(r"Crime ID first kept at row \d+ of this file").all()


def test_real_vintages(read_2018, read_2024):
    assert (read_2018.files["lsoa_vintage"] == "2011").all()
    assert (read_2018.files["vintage_basis"] == "codes").all()
    assert (read_2018.files["only_2021"] == 0).all() and (read_2018.files["only_2011"] > 0).all()
    assert (read_2024.files["lsoa_vintage"] == "2021").all()
    assert (read_2024.files["only_2011"] == 0).all() and (read_2024.files["only_2021"] > 0).all()
    assert set(read_2018.incidents["lsoa_vintage"]) == {"2011"}
    assert set(read_2024.incidents["lsoa_vintage"]) == {"2021"}


def test_real_2024_rows(read_2024):
    assert read_2024.rows_read == 28_393
    check_accounting(read_2024)
    assert read_2024.rejected["reason"].value_counts().to_dict() == {
        "no_lsoa": 245,
        "duplicate_crime_id": 74,
    }
    assert read_2024.files["crime_id_repeats"].tolist() == [34, 11, 35]
    # the January 2024 release holds only 100 ASB rows (a real gap, see the quality tests)
    counts = read_2024.monthly_counts()
    asb = counts[counts["category"] == "Anti-social behaviour"].set_index("month")["count"]
    assert asb.tolist() == [100, 2006, 2316]


def test_incidents_schema(read_2024):
    inc = read_2024.incidents
    assert list(inc.columns[:11]) == [
        "month",
        "category",
        "lsoa",
        "lsoa_vintage",
        "crime_id",
        "outcome",
        "longitude",
        "latitude",
        "location",
        "falls_within",
        "force",
    ]
    assert pd.api.types.is_datetime64_any_dtype(inc["month"])
    assert (inc["month"].dt.day == 1).all()
    assert list(inc["category"].cat.categories) == list(POLICE_UK_CATEGORIES)
    assert pd.api.types.is_string_dtype(inc["lsoa"]) and inc["lsoa"].notna().all()
    asb = inc["category"] == "Anti-social behaviour"
    assert inc.loc[asb, "crime_id"].isna().all() and inc.loc[~asb, "crime_id"].notna().all()
    assert inc["crime_id"].dropna().str.fullmatch(r"[0-9a-f]{64}").all()
    # England and Wales (the force file holds some rows outside the force area)
    assert inc["longitude"].between(-6, 2).all() and inc["latitude"].between(49.8, 56).all()
    # the rows round-trip: row 1 of the January file
    first = inc.iloc[0]
    assert first["source_row"] == 1 and first["source_file"].endswith(
        "2024-01-nottinghamshire-street.csv"
    )


def test_monthly_counts_match_incidents(read_2018):
    inc = read_2018.incidents
    by_lsoa = read_2018.monthly_counts(by="lsoa")
    assert by_lsoa["count"].sum() == len(inc)
    expected = inc.groupby(["month", "category", "lsoa"], observed=True).size()
    got = by_lsoa.set_index(["month", "category", "lsoa"])["count"]
    assert got.sort_index().equals(expected[expected > 0].sort_index().astype("int64"))
    by_force = read_2018.monthly_counts(by="force")
    assert by_force["count"].sum() == len(inc)
    with pytest.raises(ValueError, match="cannot count by"):
        read_2018.monthly_counts(by="nonsense")


# ----------------------------------------------------------------------------- cache


@pytest.fixture
def parsed(monkeypatch):
    """The files parsed (a loose file's path, a zip member's name), in order, while the test
    runs. Every parse of a police.uk file goes through ``_csvparse.parse_body``."""
    calls = []
    real_parse = _csvparse.parse_body

    def counting_parse(data, offset, columns, source, path=None):
        calls.append(source if path is None else path)
        return real_parse(data, offset, columns, source, path)

    monkeypatch.setattr(_csvparse, "parse_body", counting_parse)
    return calls


def test_cache_key_is_stable(read_2024):
    """The key of a read depends only on CACHE_VERSION, the lookup and the inputs' names and
    bytes: a change to it makes every user's cache miss, so it must be deliberate."""
    assert read_2024.cache_key == (
        "b42f392d2806ebd9fa982878001813bb9671abef3cb72110ddf450affa2b261f"
    )


def test_cache_hit_skips_parsing_and_change_misses(tmp_path, parsed):
    src = tmp_path / "download"
    with zipfile.ZipFile(ZIP_2024) as z:
        z.extractall(src)
    cache = tmp_path / "cache"
    first = read_policeuk(src, cache_dir=cache)
    assert not first.from_cache and first.cache_path.parent == cache

    calls = parsed
    calls.clear()
    second = read_policeuk(src, cache_dir=cache)
    assert second.from_cache and calls == []
    assert second.cache_key == first.cache_key
    assert second.lazy().collect().equals(first.lazy().collect())
    assert list(second.incidents.columns) == list(first.incidents.columns)
    pd.testing.assert_frame_equal(second.rejected, first.rejected)
    pd.testing.assert_frame_equal(second.files, first.files)
    pd.testing.assert_frame_equal(second.monthly_counts(by="lsoa"), first.monthly_counts(by="lsoa"))

    # one changed byte in one file: a different key, and that file alone is parsed again
    # (the others come from the file cache)
    feb = src / "2024-02" / "2024-02-nottinghamshire-street.csv"
    text = feb.read_bytes()
    feb.write_bytes(text.replace(b"Burglary", b"burglary", 1))
    third = read_policeuk(src, cache_dir=cache)
    assert not third.from_cache and third.cache_key != first.cache_key
    assert calls == [feb]
    assert third.rows_read == first.rows_read  # the category match ignores case
    assert len(list(cache.glob("policeuk-*"))) == 2


def test_a_new_month_parses_only_the_new_file(tmp_path, parsed):
    calls = parsed
    cache = tmp_path / "cache"
    read_policeuk(ZIP_2024, cache_dir=cache)
    assert len(calls) == 3
    # a month added: a loose April file next to the zip
    april = write(
        tmp_path / "extra",
        "2024-04-nottinghamshire-street.csv",
        [row("a1", "2024-04", lsoa="E01033397"), row("a2", "2024-04", lsoa="")],
    )
    calls.clear()
    both = read_policeuk([ZIP_2024, april], cache_dir=cache)
    assert calls == [april]  # the zip's three files come from the file cache
    fresh = read_policeuk([ZIP_2024, april])
    assert both.lazy().collect().equals(fresh.lazy().collect())
    pd.testing.assert_frame_equal(both.rejected, fresh.rejected)
    pd.testing.assert_frame_equal(both.files, fresh.files)
    pd.testing.assert_frame_equal(both.monthly_counts(by="lsoa"), fresh.monthly_counts(by="lsoa"))
    assert both.files["rows_kept"].iloc[-1] == 1 and both.rejected["reason"].iloc[-1] == "no_lsoa"


def test_a_damaged_file_cache_entry_is_parsed_again(tmp_path):
    src = tmp_path / "in"
    write(src, "2019-01-nottinghamshire-street.csv", [row("x"), row("y", lsoa="")])
    cache = tmp_path / "cache"
    read_policeuk(src, cache_dir=cache)
    (entry,) = (cache / "policeuk_files").iterdir()
    (entry / "arrays.npz").unlink()
    write(src, "2019-02-nottinghamshire-street.csv", [row("z", "2019-02")])
    read = read_policeuk(src, cache_dir=cache)  # a miss: January from the broken entry
    fresh = read_policeuk(src)
    assert read.lazy().collect().equals(fresh.lazy().collect())
    pd.testing.assert_frame_equal(read.rejected, fresh.rejected)
    pd.testing.assert_frame_equal(read.monthly_counts(by="lsoa"), fresh.monthly_counts(by="lsoa"))
    assert (entry / "arrays.npz").exists()  # stored again, whole


def test_removing_a_repeat_across_files_leaves_the_file_cache_intact(tmp_path, monkeypatch):
    src = tmp_path / "in"
    jan = write(src, "2019-01-nottinghamshire-street.csv", [row("x"), row("y")])
    feb = write(
        src, "2019-02-nottinghamshire-street.csv", [row("x", "2019-02"), row("z", "2019-02")]
    )
    cache = tmp_path / "cache"
    both = read_policeuk(src, cache_dir=cache)
    assert both.incidents["crime_id"].tolist() == ["x", "y", "z"]  # February's x removed
    jan.unlink()
    # February alone, from the file cache: its own x is back, as it has no earlier copy now
    alone = read_policeuk(feb, cache_dir=cache)
    assert alone.incidents["crime_id"].tolist() == ["x", "z"]
    assert alone.rows_kept == 2 and alone.rows_rejected == 0
    # January back and a March added: January and February come from the cache, and the
    # repeat is found again from their stored Crime ID hashes
    write(src, "2019-01-nottinghamshire-street.csv", [row("x"), row("y")])
    march = write(src, "2019-03-nottinghamshire-street.csv", [row("m", "2019-03")])
    parsed = []
    real_process = policeuk_pipeline.process_street
    monkeypatch.setattr(
        policeuk_pipeline,
        "process_street",
        lambda data, entry, *a, **k: (
            parsed.append(entry.source_file) or real_process(data, entry, *a, **k)
        ),
    )
    three = read_policeuk(src, cache_dir=cache)
    assert len(parsed) == 1 and parsed[0].endswith(march.name)
    assert three.incidents["crime_id"].tolist() == ["x", "y", "z", "m"]
    assert three.rejected[["reason", "row"]].values.tolist() == [["duplicate_crime_id", 1]]
    assert three.monthly_counts()["count"].tolist() == [2, 1, 1]


def test_cached_and_in_memory_results_agree(tmp_path, read_2018):
    cached = read_policeuk(ZIP_2018, cache_dir=tmp_path)
    assert cached.lazy().collect().equals(read_2018.lazy().collect())
    assert (cached.incidents.dtypes == read_2018.incidents.dtypes).all()
    pd.testing.assert_frame_equal(cached.rejected, read_2018.rejected)
    assert cached.notes == read_2018.notes


def test_lookup_keeps_the_category_ids_of_a_read_stable():
    """polars frees its category mapping, and numbers categories from 0 again, once no
    categorical data refers to it; the per-file LSOA tallies of a read are keyed by those
    ids. The lookup, held for the whole read, keeps the mapping alive."""
    lookup = policeuk_vintage.load_lookup(None)
    gc.collect()
    codes = pl.Series(["E01013810", "E01000010", "E01033769", "not-an-lsoa"])
    ids = codes.cast(pl.Categorical).to_physical().to_list()
    # known codes keep the lookup's ids; a new text is numbered after them, not from 0
    known = dict(
        zip(
            lookup.codes.cast(pl.String).to_list(),
            lookup.codes.to_physical().to_list(),
            strict=True,
        )
    )
    assert ids[:3] == [known[c] for c in codes[:3]]
    assert ids[3] >= len(lookup.codes)
    # unchanged (both lists), 2011 only (split in 2021), 2021 only, neither
    assert lookup.flags(codes.cast(pl.Categorical)).tolist() == [3, 1, 2, 0]


# ----------------------------------------------------------------------------- categories


def test_category_table_covers_current_and_historic_names():
    table = category_table()
    assert set(table["category"]) == set(POLICE_UK_CATEGORIES)
    assert set(POLICE_UK_CATEGORIES) <= set(table["name"])
    mapped = table.set_index("name")["category"]
    assert mapped["Violent crime"] == "Violence and sexual offences"
    assert mapped["Public disorder and weapons"] == "Public order"
    notes = table.set_index("name")["note"]
    assert "cannot be split" in notes["Public disorder and weapons"]
    assert table.loc[table["name"] == "Violent crime", "last_month"].item() == "2013-04"


def test_harmonise_category():
    s = pd.Series(
        ["Violent crime", "  public DISORDER and   weapons ", "Bicycle theft", "Theft", None],
        index=[10, 11, 12, 13, 14],
    )
    out = harmonise_category(s)
    assert out.name == "category" and list(out.index) == [10, 11, 12, 13, 14]
    assert out.tolist()[:3] == ["Violence and sexual offences", "Public order", "Bicycle theft"]
    assert out.isna().tolist() == [False, False, False, True, True]
    with pytest.raises(DataError, match="unknown police.uk crime type.*'Theft'"):
        harmonise_category(s, errors="raise")
    with pytest.raises(ValueError, match="errors must be"):
        harmonise_category(s, errors="ignore")


def test_historic_categories_in_a_file(tmp_path):
    write(
        tmp_path,
        "2012-05-nottinghamshire-street.csv",
        [
            row("a", "2012-05", crime_type="Violent crime"),
            row("b", "2012-05", crime_type="Public disorder and weapons"),
            row("c", "2012-05", crime_type="Mystery crime"),
        ],
    )
    read = read_policeuk(tmp_path)
    assert read.incidents["category"].tolist() == ["Violence and sexual offences", "Public order"]
    bad = read.rejected.iloc[0]
    assert (bad["reason"], bad["row"]) == ("unknown_category", 3)
    assert "Mystery crime" in bad["detail"]


# ----------------------------------------------------------------------------- rows


def test_row_rejections_and_their_order(tmp_path):
    lines = [
        row("a"),  # 1 kept
        row("b", month="2019-13"),  # 2 malformed month
        row("c", lon="abc"),  # 3 malformed coordinate
        ",".join(row("d").split(",")[:11]),  # 4 eleven fields
        row("e") + ",extra",  # 5 thirteen fields
        "",  # 6 blank line
        row("f", month="2018-12"),  # 7 another month
        row("g", crime_type="Bicycle thefts"),  # 8 unknown category
        row("h", lsoa="", lon="", lat="", location="No Location"),  # 9 no LSOA
        row("a", location="On or near Elsewhere"),  # 10 repeats row 1
        row("", crime_type="Anti-social behaviour", outcome=""),  # 11 ASB, kept
        row("", crime_type="Anti-social behaviour", outcome=""),  # 12 ASB again: not a dup
        row("i", month="2018-12", crime_type="Nope", lsoa=""),  # 13 first reason wins
    ]
    write(tmp_path, "2019-01-nottinghamshire-street.csv", lines)
    read = read_policeuk(tmp_path)
    check_accounting(read)
    got = read.rejected.set_index("row")["reason"].to_dict()
    assert got == {
        2: "malformed",
        3: "malformed",
        4: "malformed",
        5: "malformed",
        6: "malformed",
        7: "month_outside_file",
        8: "unknown_category",
        9: "no_lsoa",
        10: "duplicate_crime_id",
        13: "month_outside_file",
    }
    detail = read.rejected.set_index("row")["detail"]
    assert detail[4] == "expected 12 fields, found 11"
    assert detail[5] == "expected 12 fields, found 13"
    assert detail[6] == "expected 12 fields, found 1"
    assert detail[2] == "Month '2019-13' is not YYYY-MM"
    assert "Longitude 'abc'" in detail[3]
    assert detail[7] == "Month 2018-12 in a file for 2019-01"
    assert detail[10] == "Crime ID first kept at row 1 of this file"
    # the raw fields of a rejected row are kept
    assert read.rejected.set_index("row").loc[3, "Longitude"] == "abc"
    assert read.incidents["source_row"].tolist() == [1, 11, 12]
    assert set(REJECTION_REASONS) == set(got.values())


def test_quoted_fields_and_line_breaks(tmp_path):
    lines = [
        row("a", location='"On or near The Drive, Park Lane"'),
        row("b", location='"On or near ""The"" Crescent"'),
        row("c", location='"On or near Two\nLines"'),
        row("d"),
    ]
    write(tmp_path, "2019-01-nottinghamshire-street.csv", lines)
    read = read_policeuk(tmp_path)
    assert read.rows_read == 4 and read.rows_rejected == 0
    assert read.incidents["location"].tolist() == [
        "On or near The Drive, Park Lane",
        'On or near "The" Crescent',
        "On or near Two\nLines",
        "On or near High Street",
    ]


def test_stray_quote_and_fully_quoted_files(tmp_path):
    # a quote inside an unquoted field is a literal character (as the csv module reads it)
    write(
        tmp_path / "a", "2019-01-notts-street.csv", [row("a", location='On or near O"Brien Road')]
    )
    read = read_policeuk(tmp_path / "a")
    assert read.incidents["location"].tolist() == ['On or near O"Brien Road']
    # every field quoted, as some spreadsheets save it
    lines = [",".join(f'"{v}"' for v in line.split(",")) for line in [HEADER, row("a"), row("b")]]
    path = tmp_path / "b" / "2019-01-notts-street.csv"
    path.parent.mkdir()
    path.write_text("\n".join(lines) + "\n")
    read = read_policeuk(path)
    assert read.rows_kept == 2 and read.incidents["crime_id"].tolist() == ["a", "b"]


def test_many_quoted_fields_and_a_short_row(tmp_path):
    # thousands of quotes: found with numpy rather than one by one, with the same result
    lines = [row(f"c{i}", location='"On or near A, B"') for i in range(3000)]
    lines[1500] = lines[1500].rsplit(",", 1)[0]  # 11 fields: the empty Context is cut off
    write(tmp_path, "2019-01-nottinghamshire-street.csv", lines)
    read = read_policeuk(tmp_path)
    assert (read.rows_read, read.rows_kept) == (3000, 2999)
    bad = read.rejected.iloc[0]
    assert (bad["reason"], bad["row"], bad["detail"]) == (
        "malformed",
        1501,
        "expected 12 fields, found 11",
    )
    assert set(read.incidents["location"]) == {"On or near A, B"}


def test_crlf_bom_and_commas_in_names(tmp_path):
    text = "\r\n".join([HEADER, row("a", location='"On or near A, B"'), row("b")]) + "\r\n"
    path = tmp_path / "2019-01-nottinghamshire-street.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    read = read_policeuk(path)
    assert read.rows_kept == 2
    assert read.incidents["location"].tolist() == ["On or near A, B", "On or near High Street"]
    assert read.incidents["crime_id"].tolist() == ["a", "b"]


@pytest.mark.parametrize("cached", [False, True])
def test_duplicate_crime_id_across_files(tmp_path, cached):
    src = tmp_path / "in"
    write(src, "2019-01-nottinghamshire-street.csv", [row("x"), row("y")])
    write(src, "2019-02-nottinghamshire-street.csv", [row("z", "2019-02"), row("x", "2019-02")])
    read = read_policeuk(src, cache_dir=tmp_path / "cache" if cached else None)
    check_accounting(read)
    rej = read.rejected
    assert rej[["reason", "row"]].values.tolist() == [["duplicate_crime_id", 2]]
    assert rej["source_file"].item().endswith("2019-02-nottinghamshire-street.csv")
    assert rej["detail"].item().endswith("of " + read.files["source_file"].iloc[0])
    assert rej["Month"].item() == "2019-02"
    assert read.incidents["crime_id"].tolist() == ["x", "y", "z"]
    assert read.files["rows_kept"].tolist() == [2, 1]
    assert read.monthly_counts()["count"].tolist() == [2, 1]
    assert read.monthly_counts(by="lsoa")["count"].tolist() == [2, 1]


def test_mixed_vintages_across_files_allowed(tmp_path):
    lsoa11, lsoa21 = lsoa_code_lists()
    only11, only21 = sorted(lsoa11 - lsoa21)[0], sorted(lsoa21 - lsoa11)[0]
    write(tmp_path, "2023-12-nottinghamshire-street.csv", [row("a", "2023-12", lsoa=only11)])
    write(tmp_path, "2024-01-nottinghamshire-street.csv", [row("b", "2024-01", lsoa=only21)])
    write(tmp_path, "2024-02-nottinghamshire-street.csv", [row("c", "2024-02")])
    read = read_policeuk(tmp_path)
    files = read.files.set_index(read.files["month"].dt.strftime("%Y-%m"))
    assert files["lsoa_vintage"].to_dict() == {
        "2023-12": "2011",
        "2024-01": "2021",
        "2024-02": "2021",
    }
    assert files["vintage_basis"].to_dict() == {
        "2023-12": "codes",
        "2024-01": "codes",
        "2024-02": "month",
    }
    assert read.incidents["lsoa_vintage"].tolist() == ["2011", "2021", "2021"]


def test_one_file_mixing_vintages_is_an_error(tmp_path):
    lsoa11, lsoa21 = lsoa_code_lists()
    only11, only21 = sorted(lsoa11 - lsoa21)[0], sorted(lsoa21 - lsoa11)[0]
    write(
        tmp_path,
        "2023-12-notts-street.csv",
        [row("a", "2023-12", lsoa=only11), row("b", "2023-12", lsoa=only21)],
    )
    with pytest.raises(DataError, match=r"2023-12-notts-street.csv: LSOA codes of both vintages"):
        read_policeuk(tmp_path)


def test_lookup_argument_and_unknown_codes(tmp_path):
    lookup = tmp_path / "lookup.csv"
    lookup.write_text("lsoa11_code,lsoa21_code,change_code\nA1,A1,U\nB1,B2,S\n")
    src = tmp_path / "src"
    write(src, "2019-01-notts-street.csv", [row("a", lsoa="B2"), row("b", lsoa="ZZ9")])
    read = read_policeuk(src, lookup=lookup)
    f = read.files.iloc[0]
    assert (f["lsoa_vintage"], f["only_2021"], f["unknown_codes"]) == ("2021", 1, 1)
    assert any("neither the 2011 nor the 2021 list" in n for n in read.notes)
    with pytest.raises(DataError, match="LSOA lookup not found"):
        read_policeuk(src, lookup=tmp_path / "nope.csv")


def test_outcomes_and_stop_and_search(tmp_path):
    write(tmp_path, "2019-01-notts-street.csv", [row("a"), row("b")])
    write(
        tmp_path,
        "2019-01-notts-outcomes.csv",
        [
            f"a,2019-01,Notts,Notts,-1.1,52.9,On or near X,{LSOA},N 029D,Under investigation",
            f",2019-01,Notts,Notts,-1.1,52.9,On or near X,{LSOA},N 029D,Local resolution",
        ],
        header=OUTCOME_HEADER,
    )
    write(
        tmp_path,
        "2019-02-notts-outcomes.csv",
        [f"a,2019-02,Notts,Notts,-1.1,52.9,On or near X,{LSOA},N 029D,Offender given a caution"],
        header=OUTCOME_HEADER,
    )
    (tmp_path / "2019-01" / "2019-01-notts-stop-and-search.csv").write_text("whatever\n")
    read = read_policeuk(tmp_path)
    assert read.rows_read == 2 and read.rows_kept == 2
    out = read.outcomes
    assert out[["crime_id", "outcome", "n_outcomes"]].values.tolist() == [
        ["a", "Offender given a caution", 2]
    ]
    assert out["month"].dt.strftime("%Y-%m").item() == "2019-02"
    rej = read.rejected
    assert rej[["kind", "reason"]].values.tolist() == [["outcomes", "no_crime_id"]]
    assert any("stop-and-search file ignored" in n for n in read.notes)


# ----------------------------------------------------------------------------- bad input


def test_truncated_zip(tmp_path):
    bad = tmp_path / "download.zip"
    bad.write_bytes(ZIP_2024.read_bytes()[:400_000])
    with pytest.raises(DataError, match=r"download.zip: not a readable zip archive"):
        read_policeuk(bad)


def test_corrupt_zip_member(tmp_path):
    bad = tmp_path / "download.zip"
    with zipfile.ZipFile(bad, "w", zipfile.ZIP_STORED) as z:
        z.writestr("2019-01/2019-01-notts-street.csv", "\n".join([HEADER, row("a")]) + "\n")
    data = bytearray(bad.read_bytes())
    at = data.index(b"Burglary")
    data[at : at + 8] = b"Burglarz"  # the stored CRC no longer matches
    bad.write_bytes(bytes(data))
    with pytest.raises(
        DataError, match=r"download.zip:2019-01/2019-01-notts-street.csv: .*corrupt"
    ):
        read_policeuk(bad)


def test_non_csv_files_are_skipped_with_a_note(tmp_path):
    write(tmp_path, "2019-01-notts-street.csv", [row("a")])
    (tmp_path / "README.txt").write_text("downloaded from police.uk")
    (tmp_path / ".DS_Store").write_bytes(b"\x00\x01")
    read = read_policeuk(tmp_path)
    assert read.rows_kept == 1
    assert any("README.txt: skipped (not a CSV or zip file)" in n for n in read.notes)
    assert any(".DS_Store: skipped (hidden file)" in n for n in read.notes)


def test_wrong_header(tmp_path):
    header = HEADER.replace("Crime type", "Offence")
    write(tmp_path, "2019-01-notts-street.csv", [row("a")], header=header)
    with pytest.raises(
        DataError,
        match=r"2019-01-notts-street.csv: wrong header "
        r"\(missing \['Crime type'\]; unexpected \['Offence'\]\)",
    ):
        read_policeuk(tmp_path)


def test_header_case_and_spacing_ignored(tmp_path):
    write(
        tmp_path, "2019-01-notts-street.csv", [row("a")], header=HEADER.upper().replace(",", " , ")
    )
    assert read_policeuk(tmp_path).rows_kept == 1


def test_non_utf8_file(tmp_path):
    path = tmp_path / "2019-01-notts-street.csv"
    lines = [HEADER, row("a"), row("b", location="On or near Caf\xe9 Road")]
    path.write_bytes("\n".join(lines).encode("cp1252") + b"\n")
    with pytest.raises(
        DataError, match=r"2019-01-notts-street.csv, row 2: not valid UTF-8 \(byte 0xe9"
    ):
        read_policeuk(path)


def test_empty_and_header_only_files(tmp_path):
    path = tmp_path / "2019-01-notts-street.csv"
    path.write_bytes(b"")
    with pytest.raises(DataError, match=r"2019-01-notts-street.csv: file is empty \(0 bytes\)"):
        read_policeuk(path)
    write(tmp_path / "b", "2019-01-notts-street.csv", [row("a")])
    write(tmp_path / "b", "2019-02-notts-street.csv", [])
    (tmp_path / "b" / "2019-03-notts-street.csv").write_text(HEADER)  # no line break
    read = read_policeuk(tmp_path / "b")
    assert read.files["rows_read"].tolist() == [1, 0, 0]
    assert any("header only, no rows" in n for n in read.notes)


def test_file_name_not_matching(tmp_path):
    (tmp_path / "crimes.csv").write_text("\n".join([HEADER, row("a")]) + "\n")
    with pytest.raises(
        DataError, match=r"crimes.csv: file name does not match the police.uk pattern"
    ):
        read_policeuk(tmp_path)
    (tmp_path / "crimes.csv").unlink()
    (tmp_path / "2019-13-notts-street.csv").write_text(HEADER + "\n")
    with pytest.raises(DataError, match="2019-13 is not a month"):
        read_policeuk(tmp_path)


def test_same_month_and_force_twice(tmp_path):
    a = write(tmp_path / "a", "2019-01-notts-street.csv", [row("a")])
    b = tmp_path / "b" / "2019-01" / "2019-01-notts-street.csv"
    b.parent.mkdir(parents=True)
    shutil.copy(a, b)
    read = read_policeuk([tmp_path / "a", tmp_path / "b"])
    assert read.rows_read == 1 and any("identical to" in n for n in read.notes)
    b.write_text("\n".join([HEADER, row("z")]) + "\n")
    with pytest.raises(DataError, match="given twice with different contents"):
        read_policeuk([tmp_path / "a", tmp_path / "b"])


def test_missing_sources(tmp_path):
    with pytest.raises(DataError, match="no such file or folder"):
        read_policeuk(tmp_path / "nothing-here")
    with pytest.raises(DataError, match="no police.uk street files"):
        read_policeuk(tmp_path)
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(DataError, match="expected a police.uk .zip, a .csv file or a folder"):
        read_policeuk(tmp_path / "notes.txt")
