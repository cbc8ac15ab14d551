"""Indicators table: kinds, computed values, every rejection rule, reconciliation, file errors."""

from pathlib import Path

import numpy as np
import pytest

from csplib.core.errors import DataError
from csplib.core.schema import INDICATOR_COLUMNS
from csplib.ingest.indicators import INDICATOR_KINDS, read_indicators

HEADER = "indicator,area,period_start,period_end,numerator,denominator,value,source,kind"
PERIOD = "E06000018,2019-04-01,2020-03-31"


def read(tmp_path, *lines, header=HEADER, name="indicators.csv"):
    path = tmp_path / name
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return read_indicators(path)


def test_valid_rows_of_every_kind(tmp_path):
    res = read(
        tmp_path,
        f"feel_safe,{PERIOD},412,1000,0.412,Residents survey,survey",
        f"feel_safe_weighted,{PERIOD},,1000,0.43,Residents survey,survey",
        f"completions,{PERIOD},45,135,33.3,NDTMS,percentage",
        f"completions_p,{PERIOD},45,135,0.33,NDTMS,",
        f"marac,{PERIOD},,,850,MARAC,count",
        f'fires,{PERIOD},"1,204",,,Fire service,count',
        f'admissions,{PERIOD},"2,090","337,098",6.2,NHS,rate_per_1000',
        f"ksi,{PERIOD},30,337098,8.9,DfT,rate_per_100000",
        f"index_score,{PERIOD},,,-1.5,Made up index,other",
    )
    assert res.rejected.empty, res.rejected["detail"].tolist()
    d = res.data
    assert list(d.columns) == [*INDICATOR_COLUMNS, "kind", "notes"]
    assert d["kind"].tolist() == [
        "survey",
        "survey",
        "percentage",
        "proportion",
        "count",
        "count",
        "rate_per_1000",
        "rate_per_100000",
        "other",
    ]
    assert d["period_start"].dt.strftime("%Y-%m-%d").unique().tolist() == ["2019-04-01"]
    assert d["period_end"].dt.strftime("%Y-%m-%d").unique().tolist() == ["2020-03-31"]
    assert d.loc[6, "value"] == 1204.0 and d.loc[6, "numerator"] == 1204.0  # computed count
    assert d.loc[7, "denominator"] == 337_098.0
    assert np.isnan(d.loc[2, "numerator"]) and d.loc[2, "denominator"] == 1000
    assert d["notes"].isna().all()


def test_blank_value_is_computed(tmp_path):
    res = read(
        tmp_path,
        f"a,{PERIOD},1,3,,S,proportion",
        f"b,{PERIOD},1,4,,S,percentage",
        f"c,{PERIOD},5,20000,,S,rate_per_1000",
        f"d,{PERIOD},7,10,,S,",
    )
    assert res.data["value"].tolist() == pytest.approx([1 / 3, 25.0, 0.25, 0.7])


@pytest.mark.parametrize(
    ("value", "ok"),
    [("0.33", True), ("0.333", True), ("0.3", True), ("0.34", False), ("0.3334", False)],
)
def test_value_matches_within_rounding(tmp_path, value, ok):
    res = read(tmp_path, f"a,{PERIOD},1,3,{value},S,proportion")
    assert len(res.data) == int(ok)
    if not ok:
        assert res.rejected.loc[1, "detail"] == (
            f"value does not match numerator/denominator: {value} given, 0.3333 expected"
        )


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (
            f"a,{PERIOD},1,3,0.5,S,proportion",
            "value does not match numerator/denominator: 0.5 given, 0.3333 expected",
        ),
        (
            f"a,{PERIOD},1,4,0.25,S,percentage",
            "value does not match numerator/denominator: 0.25 given, 25 expected",
        ),
        (
            f"a,{PERIOD},,,1.2,S,proportion",
            "value out of range: value '1.2' for kind proportion (expected 0..1)",
        ),
        (
            f"a,{PERIOD},,,101,S,percentage",
            "value out of range: value '101' for kind percentage (expected 0..100)",
        ),
        (
            f"a,{PERIOD},,,-3,S,count",
            "value out of range: value '-3' for kind count (expected >= 0)",
        ),
        (
            f"a,{PERIOD},,,0.4,S,survey",
            "survey without sample size: give the sample size as denominator",
        ),
        (f"a,{PERIOD},5,3,,S,proportion", "numerator exceeds denominator: 5 > 3"),
        (f"a,{PERIOD},5,10,5,S,count", "count with a denominator: leave denominator blank"),
        (
            f"a,{PERIOD},5,,6,S,count",
            "value does not match numerator/denominator: "
            "a count's numerator 5 differs from value 6",
        ),
        (
            f"a,{PERIOD},,,,S,other",
            "missing value: no value, and none can be computed from numerator and denominator",
        ),
        (
            f"a,{PERIOD},,,4,S,ratio",
            "unknown kind: 'ratio' (expected one of " + ", ".join(INDICATOR_KINDS) + ")",
        ),
        (f"a,{PERIOD},x,,4,S,count", "bad number: numerator 'x' is not a number"),
        (f"a,{PERIOD},,,45%,S,percentage", "bad number: value '45%' is not a number"),
        (f"a,{PERIOD},1,0,,S,proportion", "bad number: denominator must be greater than 0"),
        (f"a,{PERIOD},-1,,,S,count", "bad number: numerator must not be negative"),
        (
            "a,E06000018,2019-04-01,2019-03-31,,,4,S,count",
            "period end before start: 2019-03-31 is before 2019-04-01",
        ),
        (
            "a,E06000018,2019-04-01,31/03/2020,,,4,S,count",
            "bad date: period_end '31/03/2020' is not a date YYYY-MM-DD",
        ),
        (
            "a,E06000018,2019-02-30,2020-03-31,,,4,S,count",
            "bad date: period_start '2019-02-30' is not a date YYYY-MM-DD",
        ),
        (",E06000018,2019-04-01,2020-03-31,,,4,S,count", "missing required field: indicator"),
        (f"a,{PERIOD},,,4,,count", "missing required field: source"),
        (f"a,{PERIOD},,,4,S", "wrong number of fields: expected 9, found 8"),
    ],
)
def test_each_rule(tmp_path, line, reason):
    res = read(tmp_path, f"ok,{PERIOD},,,3,S,count", line)
    assert res.data["indicator"].tolist() == ["ok"]
    assert res.rejected.index.tolist() == [2]
    assert res.rejected.loc[2, "detail"] == reason
    assert res.rejected.loc[2, "reason"] == reason.split(":")[0]


def test_duplicates_are_all_rejected(tmp_path):
    res = read(
        tmp_path,
        f"a,{PERIOD},,,3,S,count",
        "a,E06000018,2019-04-01,2019-09-30,,,3,S,count",
        f"a,{PERIOD},,,4,S,count",
        f"b,{PERIOD},,,4,S,count",
    )
    assert res.data["indicator"].tolist() == ["a", "b"]
    assert res.rejected["reason"].tolist() == ["duplicate indicator/area/period"] * 2
    assert res.rejected["detail"].tolist() == ["duplicate indicator/area/period: rows 1, 3"] * 2
    assert res.rejected.index.tolist() == [1, 3]
    assert res.rows_read == 4


def test_optional_columns_may_be_absent_and_notes_kept(tmp_path):
    header = ",".join(INDICATOR_COLUMNS)
    res = read(tmp_path, f"a,{PERIOD},1,2,0.5,S", f"b,{PERIOD},,,7,S", header=header)
    assert res.data["kind"].tolist() == ["proportion", "other"]
    with_notes = read(
        tmp_path, f"a,{PERIOD},1,2,0.5,S,proportion,provisional", header=HEADER + ",notes"
    )
    assert with_notes.data["notes"].tolist() == ["provisional"]


def test_reconciliation(tmp_path):
    rng = np.random.default_rng(3)
    lines, bad = [], set()
    for i in range(150):
        den = int(rng.integers(50, 500))
        num = int(rng.integers(0, den))
        value = round(num / den, 3)
        if i % 11 == 0:
            value += 0.05
            bad.add(i + 1)
        lines.append(f"ind{i},{PERIOD},{num},{den},{value},S,proportion")
    res = read(tmp_path, *lines)
    assert set(res.rejected.index) == bad
    assert len(res.data) + len(res.rejected) == 150
    assert sorted(res.data.index.union(res.rejected.index)) == list(range(1, 151))


def test_file_errors_name_the_file(tmp_path):
    with pytest.raises(DataError, match=r"gone\.csv: indicators table not found"):
        read_indicators(tmp_path / "gone.csv")
    (tmp_path / "empty.csv").write_text("   \n")
    with pytest.raises(DataError, match=r"empty\.csv: the indicators table is empty"):
        read_indicators(tmp_path / "empty.csv")
    with pytest.raises(DataError, match=r"head\.csv: .*no data rows"):
        read(tmp_path, name="head.csv")
    (tmp_path / "cp1252.csv").write_bytes(
        HEADER.encode() + b"\na,E,2019-04-01,2020-03-31,,,3,S \x96 x,count\n"
    )
    with pytest.raises(DataError, match=r"cp1252\.csv: not UTF-8"):
        read_indicators(tmp_path / "cp1252.csv")
    with pytest.raises(DataError, match=r"hdr\.csv: wrong header: missing column.s. value"):
        read(tmp_path, "a", header=HEADER.replace(",value", ""), name="hdr.csv")


def test_documented_example_reads_cleanly(tmp_path):
    text = (Path(__file__).resolve().parents[2] / "docs" / "data_formats.md").read_text()
    example = text.split("```csv\n")[2].split("```")[0]
    path = tmp_path / "example.csv"
    path.write_text(example, encoding="utf-8")
    res = read_indicators(path)
    assert res.rejected.empty, res.rejected["detail"].tolist()
    assert len(res.data) == 6
    assert res.data.loc[5, "value"] == 1204.0
