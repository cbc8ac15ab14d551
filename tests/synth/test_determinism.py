"""The generator is deterministic: same seed, same bytes; another seed, other data."""

from __future__ import annotations

import csv
import hashlib
import json

import pytest

from csplib.core.errors import DataError, ParamsError
from csplib.synth import OUTPUTS, generate

SPAN = {"start": "2019-11", "end": "2020-04"}


def _hashes(folder) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("determinism")
    first = generate(3, base / "a", **SPAN)
    again = generate(3, base / "b", **SPAN)
    other = generate(4, base / "c", **SPAN)
    return first, again, other


def test_same_seed_gives_identical_files(runs):
    first, again, _ = runs
    a, b = _hashes(first.out_dir), _hashes(again.out_dir)
    assert len(a) == 6 + 2 + 3  # 6 months, 2 partner files, indicators, truth, README
    assert a == b


def test_other_seed_gives_other_data(runs):
    first, _, other = runs
    a, c = _hashes(first.out_dir), _hashes(other.out_dir)
    assert a.keys() == c.keys()
    differing = {name for name in a if a[name] != c[name]}
    assert differing == set(a)  # every file, the README too (it names the seed)
    truth = json.loads(other.truth_file.read_text())
    assert truth["seed"] == 4


def test_a_month_does_not_depend_on_the_span(runs, tmp_path):
    """Whole financial years are drawn, so a month's file is the same in any span."""
    first, _, _ = runs
    alone = generate(3, tmp_path / "one", start="2020-01", end="2020-01")
    name = "2020-01/2020-01-nottinghamshire-street.csv"
    assert (alone.police_uk_dir / name).read_bytes() == (first.police_uk_dir / name).read_bytes()
    assert len(list(alone.police_uk_dir.glob("*/*.csv"))) == 1


def test_partial_year_is_flagged_in_the_truth_file(runs):
    truth = runs[0].truth
    assert truth["span"]["complete_financial_years"] == []
    assert truth["calibration"]["victim_based_crime"] == {}
    assert truth["partner"]["2019/20"]["complete_year"] is False
    months = {r["date"][:7] for r in _csv_rows(runs[0].partner_files[0])}
    assert months == {"2019-11", "2019-12", "2020-01", "2020-02", "2020-03"}


def _csv_rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"seed": -1}, "seed must be a whole number >= 0"),
        ({"seed": 1.5}, "seed must be a whole number >= 0"),
        ({"seed": True}, "seed must be a whole number >= 0"),
        ({"start": "2019-13"}, "start must be a month 'YYYY-MM'"),
        ({"end": "2019"}, "end must be a month 'YYYY-MM'"),
        ({"start": "2013-01"}, "outside the months the generator covers"),
        ({"start": "2020-02", "end": "2020-01"}, "start 2020-02 is after end 2020-01"),
    ],
)
def test_bad_arguments_are_refused(tmp_path, kwargs, message):
    args = {"seed": 1, "start": "2020-01", "end": "2020-01", **kwargs}
    with pytest.raises(ParamsError, match=message):
        generate(args.pop("seed"), tmp_path / "out", **args)
    assert not (tmp_path / "out").exists()


def test_existing_output_needs_overwrite(tmp_path):
    out = tmp_path / "out"
    generate(1, out, start="2020-01", end="2020-01")
    (out / "notes.txt").write_text("mine")
    with pytest.raises(ParamsError, match="already holds generated data"):
        generate(1, out, start="2020-02", end="2020-02")
    res = generate(1, out, start="2020-02", end="2020-02", overwrite=True)
    months = sorted(p.parent.name for p in res.police_uk_dir.glob("*/*.csv"))
    assert months == ["2020-02"]  # the old month is gone
    assert (out / "notes.txt").read_text() == "mine"  # other files are left alone
    assert set(OUTPUTS) <= {p.name for p in out.iterdir()}


def test_missing_data_folder_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="nottinghamshire_2018-10_2019-02.zip"):
        generate(1, tmp_path / "out", data_dir=tmp_path, start="2020-01", end="2020-01")
