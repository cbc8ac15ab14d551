"""The data annex workbook: a hand-made run folder written as annex.xlsx and read back with
openpyxl (cover, contents, notes, one sheet per table, values equal to the CSVs, [c] kept),
and the same bytes twice."""

import datetime as dt
import json
import zipfile

import openpyxl
import pandas as pd
import pytest

from csplib.chapters.findings import Finding
from csplib.chapters.result import ChapterResult, Table
from csplib.core.errors import CspError
from csplib.params import load_params
from csplib.present.annex import (
    MISSING_MARKER,
    AnnexInfo,
    cell_value,
    column_label,
    write_annex,
)
from csplib.present.disclosure import DEFAULT_MARKER as C
from csplib.present.labels import label

CREATED = dt.datetime(2025, 5, 1, 8, 30, tzinfo=dt.UTC)
CHAPTERS = {
    "01_volume": "Volume: how much",
    "02_threat": "Threat: what is changing",
    "pack_hate": "Theme pack: Hate crime (for the Hate board)",
}

MONTHLY = "month,Drugs,Shoplifting\n2024-04-01,12.0,30.0\n2024-05-01,,41.0\n"
BY_WARD = "ward,count,rate_per_1000,direction\nAbbey,[c],[c],↔\nBridge,17.0,2.5,↑\nAll,[c],3.25,↓\n"
HATE = ",incidents,repeat_victims\nrepeat_victimisation,130.0,[c]\n"


def _result(chapter, tables, notes=None):
    result = ChapterResult(
        chapter,
        tables={
            name: Table(name, pd.DataFrame(), caption=caption) for name, caption in tables.items()
        },
        findings=[Finding("Something rose.", "01_volume")],
        notes=notes or {},
    )
    return result


@pytest.fixture
def run(tmp_path):
    """A run folder as csp assess leaves it: results/*.json and the suppressed CSVs."""
    (tmp_path / "tables").mkdir()
    _result(
        "01_volume",
        {"monthly": "Monthly counts by category", "by_ward": "Counts by ward"},
        notes={
            "quality": ["Data are missing for 1 month (Aug 2016: no file)."],
            "data_used": ["Data used: counts by 2021 LSOA."],
        },
    ).save(tmp_path)
    _result("02_threat", {"screen": "The screen"}).save(tmp_path)  # shown, CSV not written
    _result("pack_hate", {"repeat_victims": "Repeat victims of hate crime"}).save(tmp_path)
    for name, text in {
        "01_volume__monthly": MONTHLY,
        "01_volume__by_ward": BY_WARD,
        "pack_hate__repeat_victims": HATE,
    }.items():
        (tmp_path / "tables" / f"{name}.csv").write_text(text, encoding="utf-8")
    return tmp_path


@pytest.fixture
def info():
    return AnnexInfo(
        area="Testshire",
        title="Community Safety Strategic Assessment 2025",
        period="2024/25 (April 2024 to March 2025)",
        created=CREATED,
        chapters=CHAPTERS,
        threshold=5,
        source=("Police-recorded crime: police.uk.",),
        provenance=("Produced by csplib 9.9, commit abcdef123456.",),
        synthetic=True,
    )


@pytest.fixture
def book(run, info):
    result = write_annex(run, info)
    return result, openpyxl.load_workbook(result.path)


def _column(ws, col=1):
    return [row[0] for row in ws.iter_rows(min_col=col, max_col=col, values_only=True)]


def _table_rows(ws):
    """The sheet's one Excel table (header row first) as lists of values."""
    (ref,) = [t.ref for t in ws.tables.values()]
    return [[c.value for c in row] for row in ws[ref]]


# ----------------------------------------------------------------------------- the sheets
def test_cover_contents_notes_then_one_sheet_per_table_in_reading_order(book, run):
    result, wb = book
    assert result.path == run / "annex.xlsx"
    assert wb.sheetnames == ["Cover", "Contents", "Notes", "Table_1", "Table_2", "Table_3"]
    assert [(t.chapter, t.name) for t in result.sheets.values()] == [
        ("01_volume", "monthly"),
        ("01_volume", "by_ward"),
        ("pack_hate", "repeat_victims"),
    ]
    assert result.skipped == ["02_threat__screen: no tables/02_threat__screen.csv"]


def test_cover_states_title_area_period_source_provenance_and_contact(book):
    lines = [v for v in _column(book[1]["Cover"]) if v]
    assert lines[0] == "Testshire Community Safety Strategic Assessment 2025: data annex"
    assert "Area: Testshire" in lines
    assert "Assessed period: 2024/25 (April 2024 to March 2025)" in lines
    assert "Police-recorded crime: police.uk." in lines
    assert "Produced by csplib 9.9, commit abcdef123456." in lines
    assert "Data used: counts by 2021 LSOA." in lines  # the run's own Data used line, once
    assert "Synthetic data: these are not real crime statistics." in lines
    assert lines.index("Contact") < len(lines) - 1
    assert any("3 in all" in line for line in lines)


def test_contents_lists_each_table_with_sheet_link_caption_chapter_and_file(book):
    ws = book[1]["Contents"]
    rows = _table_rows(ws)
    assert rows[0] == ["Sheet name", "Table title", "Chapter", "Data file"]
    assert rows[1:] == [
        [
            "Table_1",
            "Monthly counts by category",
            "Volume: how much",
            "tables/01_volume__monthly.csv",
        ],
        ["Table_2", "Counts by ward", "Volume: how much", "tables/01_volume__by_ward.csv"],
        [
            "Table_3",
            "Repeat victims of hate crime",
            "Theme pack: Hate crime (for the Hate board)",
            "tables/pack_hate__repeat_victims.csv",
        ],
    ]
    links = {c.value: c.hyperlink.location for c in ws["A"] if c.hyperlink is not None}
    assert links == {
        "Table_1": "'Table_1'!A1",
        "Table_2": "'Table_2'!A1",
        "Table_3": "'Table_3'!A1",
    }


def test_notes_explain_the_shorthand_with_the_run_threshold_and_the_chapter_notes(book):
    rows = _table_rows(book[1]["Notes"])
    assert rows[0] == ["Note number", "Note text", "Applies to"]
    numbers = [r[0] for r in rows[1:]]
    assert numbers == [1, 2, 3, 4]
    texts = [r[1] for r in rows[1:]]
    assert texts[0].startswith("[c] (confidential): a count of 1 to 4 people or events hidden")
    assert texts[1].startswith("[x] (no value)")
    assert "simulated dataset" in texts[2]
    assert (
        texts[3] == "Data are missing for 1 month (Aug 2016: no file)."
    )  # data_used is not a note
    assert rows[4][2] == "Tables of Volume: how much"


def test_table_values_equal_the_csv_with_c_kept_as_text_and_notes_on_its_columns(book, run):
    wb = book[1]
    ward = _table_rows(wb["Table_2"])
    assert ward[0] == [
        label("ward"),
        f"{label('count')} [note 1]",
        f"{label('rate_per_1000')} [note 1]",
        label("direction"),
    ]
    assert ward[0][2] != "rate_per_1000 [note 1]"  # a reader label, not the code name
    assert ward[1:] == [
        ["Abbey", C, C, "↔ no significant change"],
        ["Bridge", 17, 2.5, "↑ up (significant)"],
        ["All", C, 3.25, "↓ down (significant)"],
    ]
    monthly = _table_rows(wb["Table_1"])
    assert monthly[0] == [label("month"), "Drugs [note 2]", "Shoplifting"]
    assert monthly[1:] == [["2024-04-01", 12, 30], ["2024-05-01", MISSING_MARKER, 41]]
    hate = _table_rows(wb["Table_3"])
    assert hate == [
        ["Item", label("incidents"), f"{label('repeat_victims')} [note 1]"],
        ["repeat_victimisation", 130, C],
    ]
    # every data cell equals its CSV cell, read independently of the annex's own parser
    words = {"": "[x]", "↔": "↔ no significant change", "↑": "↑ up (significant)"}
    words["↓"] = "↓ down (significant)"
    for sheet, name in [("Table_1", "01_volume__monthly"), ("Table_2", "01_volume__by_ward")]:
        csv = pd.read_csv(run / "tables" / f"{name}.csv", dtype=str, keep_default_na=False)
        shown = _table_rows(wb[sheet])[1:]
        for row, expected in zip(shown, csv.itertuples(index=False), strict=True):
            for got, text in zip(row, expected, strict=True):
                try:
                    assert got == float(text) and not isinstance(got, str)
                except ValueError:
                    assert got == words.get(text, text)


def test_table_sheet_names_its_chapter_file_and_chapter_note(book):
    ws = book[1]["Table_1"]
    top = [v for v in _column(ws)[:9] if v]
    assert top[0] == "Monthly counts by category [note 4]"
    assert "Chapter: Volume: how much" in top
    assert "Data file: tables/01_volume__monthly.csv" in top
    assert "See also [note 3]" in top
    assert "[x] = no value: not available or not applicable (note 2)" in top
    assert "Source: Police-recorded crime: police.uk." in top


# ----------------------------------------------------------------------------- same bytes
def test_same_run_gives_the_same_bytes_with_fixed_dates(run, info, tmp_path):
    a = write_annex(run, info, path=tmp_path / "a.xlsx").path
    b = write_annex(run, info, path=tmp_path / "b.xlsx").path
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = z.read("docProps/core.xml").decode()
    assert '<dcterms:created xsi:type="dcterms:W3CDTF">2025-05-01T08:30:00Z<' in core
    assert '<dcterms:modified xsi:type="dcterms:W3CDTF">2025-05-01T08:30:00Z<' in core
    assert "<dc:creator>csplib</dc:creator>" in core
    props = openpyxl.load_workbook(a).properties
    assert props.title == "Testshire Community Safety Strategic Assessment 2025: data annex"


def test_another_start_time_changes_only_the_dates(run, info, tmp_path):
    later = AnnexInfo(**{**info.__dict__, "created": dt.datetime(2026, 1, 2, 3, 4, 5)})
    path = write_annex(run, later, path=tmp_path / "later.xlsx").path
    with zipfile.ZipFile(path) as z:
        core = z.read("docProps/core.xml").decode()
    assert "2026-01-02T03:04:05Z" in core and "2025-05-01" not in core


# ----------------------------------------------------------------------------- edge cases
def test_a_table_without_rows_gets_a_sheet_that_says_so(run, info):
    (run / "tables" / "pack_hate__repeat_victims.csv").write_text("incidents,victims\n")
    wb = openpyxl.load_workbook(write_annex(run, info).path)
    assert _table_rows(wb["Table_3"]) == [["Item"], ["This table has no rows in this run."]]


def test_other_files_in_results_are_not_chapters(run, info):
    (run / "results" / "01_volume.disclosure.json").write_text('{"tables": {}}')
    result = write_annex(run, info)
    assert len(result.sheets) == 3
    assert not any("disclosure" in s for s in result.skipped)


def test_only_the_chapters_asked_for(run, info):
    result = write_annex(run, info, chapters=["pack_hate"])
    assert [t.name for t in result.sheets.values()] == ["repeat_victims"]
    assert openpyxl.load_workbook(result.path).sheetnames[-1] == "Table_1"


def test_a_run_folder_without_tables_is_an_error_naming_it(tmp_path, info):
    with pytest.raises(CspError, match="no tables for the data annex"):
        write_annex(tmp_path, info)


def test_an_unreadable_csv_is_an_error_naming_the_file(run, info):
    (run / "tables" / "01_volume__monthly.csv").write_bytes(b"month,count\n\xff\xfe,1\n")
    with pytest.raises(CspError, match="01_volume__monthly.csv: not a readable table"):
        write_annex(run, info)


def test_a_formula_like_cell_is_written_as_text(run, info):
    (run / "tables" / "pack_hate__repeat_victims.csv").write_text("ward,note\nA,=1+1\n")
    wb = openpyxl.load_workbook(write_annex(run, info).path)
    assert _table_rows(wb["Table_3"])[1] == ["A", "=1+1"]
    assert wb["Table_3"].cell(*_first_data_cell(wb["Table_3"])).data_type == "s"


def _first_data_cell(ws):
    (ref,) = [t.ref for t in ws.tables.values()]
    first = ws[ref][1][1]
    return first.row, first.column


# ----------------------------------------------------------------------------- the info
def test_info_from_params_names_area_period_packs_and_threshold():
    params = load_params("tests/fixtures/params/small.yaml")
    info = AnnexInfo.from_params(
        params,
        created=CREATED,
        version="1.2.3",
        commit={"commit": "0123456789abcdef", "dirty": True},
    )
    assert info.title_line == "Nottingham Test Assessment 2024: data annex"
    assert info.period == "Jan - Mar 2024 (January 2024 to March 2024)"
    assert info.created == dt.datetime(2025, 5, 1, 8, 30)
    assert (
        info.chapters["pack_asb"]
        == "Theme pack: Anti-social behaviour (for the ASB strategic group)"
    )
    assert list(info.chapters)[:2] == ["00_summary", "01_volume"]
    assert info.threshold == params.thresholds.suppress_below
    assert info.provenance[0] == (
        "Produced by csplib 1.2.3, commit 0123456789ab with uncommitted changes."
    )
    assert info.provenance[-1] == "Run started 01 May 2025 at 08:30 UTC."
    assert info.source[0].startswith("Police-recorded crime and anti-social behaviour")
    assert not info.synthetic


def test_info_from_manifest_reads_the_run_start(tmp_path):
    params = load_params("tests/fixtures/params/small.yaml").model_dump(mode="json")
    params["data"]["synthetic"] = {"seed": 7}
    params["thresholds"]["suppress_below"] = 10
    manifest = {
        "started": "2026-12-07T06:15:48+00:00",
        "csplib_version": "0.1.0",
        "git": {"commit": "506a685ff3997ea330c13d6ec5fb8ecbc09c65e4", "dirty": False},
        "parameters": params,
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    info = AnnexInfo.from_manifest(tmp_path)
    assert info.created == dt.datetime(2026, 12, 7, 6, 15, 48)
    assert info.threshold == 10
    assert info.synthetic and "fixed seed (7)" in info.source[0]
    assert info.provenance[0] == "Produced by csplib 0.1.0, commit 506a685ff399."


def test_info_from_a_folder_without_manifest_is_an_error(tmp_path):
    with pytest.raises(CspError, match="manifest.json: not a run's manifest"):
        AnnexInfo.from_manifest(tmp_path)


def test_info_rules():
    with pytest.raises(ValueError, match="threshold must be at least 1"):
        AnnexInfo("A", "T", "P", CREATED, threshold=0)
    with pytest.raises(TypeError, match="created must be a datetime"):
        AnnexInfo("A", "T", "P", "2025-05-01")
    east = dt.timezone(dt.timedelta(hours=2))
    assert AnnexInfo("A", "T", "P", dt.datetime(2025, 5, 1, 10, 30, tzinfo=east)).created == (
        dt.datetime(2025, 5, 1, 8, 30)
    )


# ----------------------------------------------------------------------------- cells, labels
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("rate_per_1000", label("rate_per_1000")),
        ("q_value", label("q_value")),
        ("Vol. Change", "Vol. Change"),
        ("Unnamed: 0", "Item"),
        ("", "Item"),
    ],
)
def test_column_label_is_the_pages_label_and_names_an_unnamed_column(name, expected):
    assert column_label(name) == expected


def test_two_columns_with_one_label_stay_apart(run, info):
    (run / "tables" / "pack_hate__repeat_victims.csv").write_text("p_value,p-value\n0.5,0.25\n")
    wb = openpyxl.load_workbook(write_annex(run, info).path)
    assert _table_rows(wb["Table_3"]) == [
        [label("p_value"), f"{label('p-value')} (p-value)"],
        [0.5, 0.25],
    ]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("7", 7.0),
        ("-0.5", -0.5),
        ("1e-05", 1e-05),
        ("nan", "nan"),  # text, not a float
        ("1_000", "1_000"),
        ("+6.5%", "+6.5%"),
        ("[c]", "[c]"),
        ("", "[x]"),
        ("%", "per cent"),
        ("—", "symbol —"),
    ],
)
def test_cell_value(text, value):
    assert cell_value(text) == value
