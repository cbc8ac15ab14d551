"""Partner crime extract: typed output, every rejection rule, reconciliation, file errors."""

from pathlib import Path

import pandas as pd
import pytest

from csplib.core.errors import DataError, ParamsError
from csplib.core.schema import PARTNER_COLUMNS, POLICE_UK_CATEGORIES
from csplib.ingest.geography import Geography
from csplib.ingest.partner import (
    HATE_STRANDS,
    OFFENCE_CODES_FILE,
    PARTNER_FILE_COLUMNS,
    load_offence_codes,
    read_partner_extract,
)

REPO = Path(__file__).resolve().parents[2]
REF = REPO / "data" / "reference"
HEADER = ",".join(PARTNER_FILE_COLUMNS)


@pytest.fixture(scope="module")
def codes():
    return load_offence_codes(REF / OFFENCE_CODES_FILE)


def write(tmp_path, *lines, header=HEADER, name="extract.csv"):
    path = tmp_path / name
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def read(tmp_path, *lines, **kwargs):
    kwargs.setdefault("reference_dir", REF)
    return read_partner_extract(write(tmp_path, *lines), **kwargs)


# ----------------------------------------------------------------------------- offence codes
def test_offence_code_table(codes):
    raw = pd.read_csv(REF / OFFENCE_CODES_FILE, dtype=str)
    # 132 codes, plus the four parts of the joined homicide code 1/4.1/4.10/4.2
    assert len(raw) == 132 and len(codes) == 136
    assert set(codes["category"]) <= set(POLICE_UK_CATEGORIES)
    assert codes.loc["1/4.1/4.10/4.2", "category"] == codes.loc["4.10", "category"]
    assert codes.loc["28A", "category"] == "Burglary"
    assert codes.loc["FFA UK", "category"] == "Other crime"
    assert codes.loc["10A", "category"] == "Possession of weapons"


def test_offence_code_table_with_a_foreign_category(tmp_path):
    path = tmp_path / "codes.csv"
    path.write_text(
        ",Offence_Group,Offence_Code,Offence_Description,Offence_Subgroup,Police.uk_Cat\n"
        "0,Fraud,ZZ,Made up,Fraud,Fraud and forgery\n"
    )
    with pytest.raises(DataError, match="'Fraud and forgery' is not a police.uk category"):
        load_offence_codes(path)


# ----------------------------------------------------------------------------- good rows
def test_valid_rows_are_typed(tmp_path):
    res = read(
        tmp_path,
        "C1,2019-04-03,8N,E01013810,V1,Y,race;Religion,no,0",
        "C2,2019-04-30T23:10:00,08n,,,false,,TRUE,1",
        "C3,2020-02-29,28a,e01035507,V2,yes,misogyny; sexual orientation ;race,N,No",
        "C4,2019-05-01,4.1,E01013810,,1,,0,y",
    )
    assert res.rejected.empty and res.rows_read == 4
    d = res.data
    assert list(d.columns) == [*PARTNER_COLUMNS, "crime_ref", "source", "source_file"]
    assert d.index.tolist() == [1, 2, 3, 4] and d.index.name == "row"
    assert d["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2019-04-03",
        "2019-04-30",
        "2020-02-29",
        "2019-05-01",
    ]
    assert d["month"].dt.strftime("%Y-%m-%d").tolist() == [
        "2019-04-01",
        "2019-04-01",
        "2020-02-01",
        "2019-05-01",
    ]
    assert d["offence_code"].tolist() == ["8N", "8N", "28A", "4.1"]
    assert d["category"].tolist() == [
        "Violence and sexual offences",
        "Violence and sexual offences",
        "Burglary",
        "Violence and sexual offences",
    ]
    assert d["lsoa"].tolist()[0] == "E01013810" and pd.isna(d.loc[2, "lsoa"])
    assert d.loc[3, "lsoa"] == "E01035507"
    assert pd.isna(d.loc[2, "victim_id"]) and d.loc[1, "victim_id"] == "V1"
    for flag in ("hate", "domestic", "weapon"):
        assert d[flag].dtype == bool
    assert d["hate"].tolist() == [True, False, True, True]
    assert d["domestic"].tolist() == [False, True, False, False]
    assert d["weapon"].tolist() == [False, True, False, True]
    assert d.loc[1, "hate_strand"] == "race;religion"
    assert d.loc[3, "hate_strand"] == "race;sexual orientation;sex/gender"
    assert pd.isna(d.loc[4, "hate_strand"])  # hate with no strand recorded is kept
    assert set(d["source"]) == {"partner"} and set(d["source_file"]) == {"extract.csv"}


@pytest.mark.parametrize("strand", HATE_STRANDS)
def test_every_canonical_strand(tmp_path, strand):
    res = read(tmp_path, f"C1,2019-04-03,8N,,V1,yes,{strand.upper()},no,no")
    assert res.data["hate_strand"].tolist() == [strand]


def test_header_is_matched_loosely_and_bom_and_blank_lines(tmp_path):
    header = " Crime_Ref,DATE,offence_code,lsoa,victim_id,hate,hate_strand,domestic,weapon"
    order = "weapon,domestic,hate_strand,hate,victim_id,lsoa,offence_code,date,crime_ref"
    path = tmp_path / "x.csv"
    path.write_bytes(
        (
            "\ufeff"
            + header
            + "\nC1,2019-04-03,46,,,n,,n,n,,\n\n,,,,,,,,\nC2,2019-04-04,46,,,n,,n,n\n"
        ).encode("utf-8")
    )
    res = read_partner_extract(path, reference_dir=REF)
    assert res.data["crime_ref"].tolist() == ["C1", "C2"]
    assert res.data.index.tolist() == [1, 4]  # blank lines keep their row numbers
    reordered = write(tmp_path, "n,n,,n,,,46,2019-04-03,C9", header=order, name="y.csv")
    assert read_partner_extract(reordered, reference_dir=REF).data["crime_ref"].tolist() == ["C9"]


# ----------------------------------------------------------------------------- rejections
@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("C1,2019-13-01,8N,,,n,,n,n", "bad date: '2019-13-01' is not a date YYYY-MM-DD"),
        ("C1,03/04/2019,8N,,,n,,n,n", "bad date: '03/04/2019' is not a date YYYY-MM-DD"),
        ("C1,2019-02-29,8N,,,n,,n,n", "bad date: '2019-02-29' is not a date YYYY-MM-DD"),
        (
            "C1,2019-04-03,ZZ9,,,n,,n,n",
            "unknown offence code: 'ZZ9' is not in the Home Office offence code list",
        ),
        ("C1,2019-04-03,8N,X01013810,,n,,n,n", "bad LSOA code: 'X01013810' is not like E01012345"),
        (
            "C1,2019-04-03,8N,,,maybe,,n,n",
            "bad flag value: hate = 'maybe' (expected true/false, 1/0, Y/N or yes/no)",
        ),
        (
            "C1,2019-04-03,8N,,,n,,n,2",
            "bad flag value: weapon = '2' (expected true/false, 1/0, Y/N or yes/no)",
        ),
        ("C1,2019-04-03,8N,,,n,,,n", "missing required field: domestic"),
        (",2019-04-03,8N,,,n,,n,n", "missing required field: crime_ref"),
        ("C1,,8N,,,n,,n,n", "missing required field: date"),
        ("C1,2019-04-03,,,,n,,n,n", "missing required field: offence_code"),
        (
            "C1,2019-04-03,8N,,,y,race;age,n,n",
            "unknown hate strand: 'age' (expected race, religion, sexual orientation, "
            "disability, transgender, sex/gender, other)",
        ),
        (
            "C1,2019-04-03,8N,,,n,race,n,n",
            "hate strand without hate flag: 'race' given but hate is false",
        ),
        ("C1,2019-04-03,8N,,,n,,n", "wrong number of fields: expected 9, found 8"),
        ("C1,2019-04-03,8N,,,n,,n,n,extra", "wrong number of fields: expected 9, found 10"),
    ],
)
def test_each_rule(tmp_path, line, reason):
    res = read(tmp_path, "OK,2019-04-03,46,,,n,,n,n", line)
    assert res.data["crime_ref"].tolist() == ["OK"]
    assert res.rejected.index.tolist() == [2]
    assert res.rejected.loc[2, "detail"] == reason
    assert res.rejected.loc[2, "reason"] == reason.split(":")[0]


def test_every_broken_rule_is_listed_and_summarised(tmp_path):
    res = read(
        tmp_path,
        "C1,2019-04-31,ZZ,,,n,race,n,n",
        "C2,2019-04-01,46,,,n,,n,n",
        "C2,2019-04-02,46,,,n,,n,n",
        "C3,2019-04-01,46,,,n,,n,n",
    )
    assert res.rejected.loc[1, "reason"] == "bad date"
    assert res.rejected.loc[1, "detail"].split("; ") == [
        "bad date: '2019-04-31' is not a date YYYY-MM-DD",
        "unknown offence code: 'ZZ' is not in the Home Office offence code list",
        "hate strand without hate flag: 'race' given but hate is false",
    ]
    assert res.rejected.loc[2, "detail"] == "duplicate crime_ref: 'C2' on rows 2, 3"
    assert res.rejected.index.tolist() == [1, 2, 3]
    assert res.data.index.tolist() == [4]
    summary = res.summary()
    assert summary.values.tolist() == [["duplicate crime_ref", 2], ["bad date", 1]]
    # rejected rows keep the text as written
    assert res.rejected.loc[1, "date"] == "2019-04-31"


def test_reconciliation_on_a_mixed_file(tmp_path):
    lines = []
    for i in range(200):
        date = "2019-04-31" if i % 17 == 0 else f"2019-{i % 12 + 1:02d}-01"
        flag = "perhaps" if i % 23 == 0 else "n"
        lines.append(f"C{i},{date},46,,,n,,{flag},n")
    res = read(tmp_path, *lines)
    bad = {i + 1 for i in range(200) if i % 17 == 0 or i % 23 == 0}
    assert res.rows_read == 200
    assert set(res.rejected.index) == bad
    assert set(res.data.index) | set(res.rejected.index) == set(range(1, 201))


def test_lsoa_codes_checked_against_the_geography(tmp_path):
    geo = Geography(REF, la_codes=["E06000018"])
    res = read(
        tmp_path,
        "C1,2019-04-03,46,E01033404,,n,,n,n",  # LSOA11 (split in 2021)
        "C2,2019-04-03,46,E01035501,,n,,n,n",  # LSOA21
        "C3,2019-04-03,46,E01999999,,n,,n,n",
        "C4,2019-04-03,46,E01019420,,n,,n,n",  # Amber Valley: known, outside the city
        reference_dir=None,
        geography=geo,
    )
    assert res.rejected["detail"].tolist() == [
        "unknown LSOA code: 'E01999999' is in neither vintage's list"
    ]
    area = geo.assign_area(res.data)
    assert area.kept["crime_ref"].tolist() == ["C1", "C2"]
    assert area.kept["lsoa"].tolist() == ["E01035501", "E01035501"]
    assert area.rejected["reason"].tolist() == ["outside the area"]


def test_offence_codes_can_be_passed(tmp_path, codes):
    small = codes.loc[["46"]]
    res = read(
        tmp_path,
        "C1,2019-04-03,46,,,n,,n,n",
        "C2,2019-04-03,8N,,,n,,n,n",
        reference_dir=None,
        offence_codes=small,
    )
    assert res.data["crime_ref"].tolist() == ["C1"]
    with pytest.raises(ParamsError, match="needs the offence codes"):
        read(tmp_path, "C1,2019-04-03,46,,,n,,n,n", reference_dir=None)


# ----------------------------------------------------------------------------- file errors
def test_file_errors_name_the_file(tmp_path):
    with pytest.raises(DataError, match=r"nope\.csv: partner extract not found"):
        read_partner_extract(tmp_path / "nope.csv", reference_dir=REF)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DataError, match=r"empty\.csv: the partner extract is empty"):
        read_partner_extract(empty, reference_dir=REF)
    header_only = write(tmp_path, name="header.csv")
    with pytest.raises(DataError, match=r"header\.csv: .*no data rows"):
        read_partner_extract(header_only, reference_dir=REF)
    latin = tmp_path / "latin.csv"
    latin.write_bytes((HEADER + "\nC1,2019-04-03,46,,Zoë,n,,n,n\n").encode("latin-1"))
    with pytest.raises(DataError, match=r"latin\.csv: not UTF-8 text \(byte 0xeb on line 2\)"):
        read_partner_extract(latin, reference_dir=REF)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (
            HEADER.replace("offence_code", "offence"),
            "missing column.s. offence_code; unexpected column.s. 'offence'",
        ),
        (HEADER + ",victim_name", "unexpected column.s. 'victim_name'"),
        (HEADER + ",hate", "repeated column.s. hate"),
    ],
)
def test_wrong_header(tmp_path, header, message):
    path = write(tmp_path, "C1,2019-04-03,46,,,n,,n,n", header=header, name="bad.csv")
    with pytest.raises(DataError, match=rf"bad\.csv: wrong header: {message}"):
        read_partner_extract(path, reference_dir=REF)


def test_documented_example_reads_cleanly(tmp_path):
    text = (REPO / "docs" / "data_formats.md").read_text(encoding="utf-8")
    example = text.split("```csv\n")[1].split("```")[0]
    path = tmp_path / "example.csv"
    path.write_text(example, encoding="utf-8")
    res = read_partner_extract(path, reference_dir=REF)
    assert res.rejected.empty and len(res.data) == 4
    assert pd.isna(res.data.loc[3, "victim_id"]) and res.data.loc[3, "category"] == "Drugs"
    assert res.data.loc[4, "hate_strand"] == "sex/gender"
