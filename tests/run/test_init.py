"""``csp init``: a parameters file for any partnership, from its name or code."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import yaml

from csplib.core.errors import ParamsError
from csplib.ingest.geography import find_partnership, list_partnerships
from csplib.ingest.harm_weights import area_force, harm_weights_of
from csplib.params import load_params
from csplib.run.cli import main
from csplib.run.init import choose_period, init_parameters

REPO = Path(__file__).resolve().parents[2]
REF = REPO / "data" / "reference"
NOTTS_2024 = REPO / "data" / "police_uk" / "nottinghamshire_2024-01_2024-03.zip"


@pytest.fixture
def project(tmp_path):
    """A project folder holding the shipped reference data (as a fresh clone has)."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "reference").symlink_to(REF)
    return tmp_path


# ----------------------------------------------------------------------------- names
@pytest.mark.parametrize(
    ("query", "name", "las"),
    [
        ("Leeds", "Leeds", ("E08000035",)),
        ("  bradford ", "Bradford", ("E08000032",)),
        ("E22000366", "South Nottinghamshire", ("E07000172", "E07000173", "E07000176")),
        ("Rushcliffe", "South Nottinghamshire", ("E07000172", "E07000173", "E07000176")),
        ("E07000174", "Mansfield", ("E07000174",)),
        ("Newcastle upon Tyne", "Newcastle upon Tyne", ("E08000021",)),
        ("Devon & Cornwall", None, None),
    ],
)
def test_find_partnership_by_name_or_code(query, name, las):
    if name is None:
        with pytest.raises(ParamsError, match="no partnership or local authority matches"):
            find_partnership(REF, query)
        return
    p = find_partnership(REF, query)
    assert (p.name, p.la_codes) == (name, las)


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("Bristol", "Bristol, City of"),
        ("Hull", "Kingston upon Hull, City of"),
        ("York", "City of York"),
    ],
)
def test_the_words_of_one_name_are_enough(query, name):
    assert find_partnership(REF, query).name == name


def test_words_of_several_names_list_them():
    with pytest.raises(
        ParamsError,
        match=r"'Newcastle' could be Newcastle upon Tyne \(E22000245\), "
        r"Newcastle-under-Lyme \(E22000266\): give the whole name or the code",
    ):
        find_partnership(REF, "Newcastle")


def test_unknown_name_suggests_close_matches():
    with pytest.raises(ParamsError) as err:
        find_partnership(REF, "Nottinghm")
    message = str(err.value)
    assert "close matches: Nottingham (E22000257)" in message
    assert "csp init --list" in message


def test_legacy_partnership_names_the_whole_authority():
    with pytest.raises(
        ParamsError,
        match=r"Poole \(E22000067\) is a legacy partnership.*"
        r"use 'Bournemouth, Christchurch and Poole'",
    ):
        find_partnership(REF, "Poole")
    whole = find_partnership(REF, "Bournemouth, Christchurch and Poole")
    assert whole.csp_code is None and whole.la_codes == ("E06000058",)


def test_every_authority_is_in_exactly_one_listed_partnership():
    table = list_partnerships(REF)
    las = table["la_codes"].str.split("; ").explode()
    lookup = pd.read_csv(REF / "lookups" / "lookup_ltla24_csp24_pfa24.csv")
    assert not las.duplicated().any()
    assert set(las) == set(lookup["ltla24_code"])
    assert table.loc["W14000015", "force_name"] == "South Wales"
    dorset = find_partnership(REF, "Dorset")  # listed over part of Bournemouth too
    assert (dorset.csp_code, dorset.la_codes) == (None, ("E06000059",))


# ----------------------------------------------------------------------------- periods
def test_period_is_the_latest_complete_financial_year():
    months = pd.date_range("2021-01-01", "2024-08-01", freq="MS")
    assert choose_period(months).label == "2023/24"
    gap = months.drop(pd.Timestamp("2023-06-01"))
    assert choose_period(gap).label == "2022/23"


def test_period_of_a_short_download_is_its_last_run_of_months():
    jul = pd.to_datetime(["2016-07-01", "2017-07-01", "2018-07-01"])
    period = choose_period(jul)
    assert (period.start, period.end) == (pd.Timestamp("2018-07-01"), pd.Timestamp("2018-07-01"))
    long_run = pd.date_range("2022-05-01", "2024-02-01", freq="MS")
    period = choose_period(long_run.drop(pd.Timestamp("2023-04-01")))
    assert (period.start, period.n_months) == (pd.Timestamp("2023-05-01"), 10)
    with pytest.raises(ParamsError, match="holds no months"):
        choose_period([])


# ----------------------------------------------------------------------------- the file
def test_init_writes_a_valid_file_for_a_multi_authority_partnership(project):
    out, area, period = init_parameters(
        "South Nottinghamshire", root=project, police_uk=[NOTTS_2024]
    )
    assert out == project / "parameters" / "south-nottinghamshire.yaml"
    assert period.label == "Jan 24 - Mar 24"
    params = load_params(out)
    assert params.area.la_codes == ["E07000172", "E07000173", "E07000176"]
    assert params.area.csp_code == "E22000366" and params.area.name == "South Nottinghamshire"
    assert params.data.police_uk == [NOTTS_2024]
    assert params.data.reference_dir == project / "data" / "reference"
    assert (params.assessment.period.start, params.assessment.period.end) == (
        dt.date(2024, 1, 1),
        dt.date(2024, 3, 1),
    )
    assert params.framework is None and params.harm.force == "Nottinghamshire"
    themes = {t.name for t in params.themes.values()}
    assert "Anti-social behaviour" in themes and "Acquisitive crime" in themes
    assert all(not t.flags for t in params.themes.values())  # no partner extract assumed
    assert "Nottingham " not in out.read_text().replace("South Nottinghamshire", "")


def test_init_without_a_download_names_the_folder_to_fill_in(project):
    out, area, period = init_parameters("Bradford", root=project, today=dt.date(2026, 12, 7))
    doc = yaml.safe_load(out.read_text())
    assert doc["data"]["police_uk"] == ["data/police_uk/west-yorkshire"]
    assert doc["assessment"]["period"] == "2025/26" and doc["assessment"]["year"] == 2026
    assert doc["harm"] == {"force": "West Yorkshire"} and period is None
    with pytest.raises(ParamsError, match=r"police_uk\[0\]: not found: .*police_uk/west-yorkshire"):
        load_params(out)


def test_init_synthetic_names_a_generated_source(project):
    out, _, _ = init_parameters("Mansfield", root=project, synthetic_seed=3)
    params = load_params(out)
    assert params.data.synthetic.seed == 3
    # the synthetic data end in March 2025: the last whole financial year they hold
    assert params.assessment.period.label == "2024/25" and params.assessment.year == 2025
    assert params.assessment.baseline.label == "2018/19"
    assert params.data.synthetic.dir == project / ".cache" / "synthetic" / "mansfield-seed-3"


def test_init_refuses_a_download_of_another_force(project):
    with pytest.raises(
        ParamsError,
        match=r"no street files of Leeds's force, West Yorkshire \(file names "
        r"YYYY-MM-west-yorkshire-street.csv\); its forces: nottinghamshire",
    ):
        init_parameters("Leeds", root=project, police_uk=[NOTTS_2024])
    assert not (project / "parameters" / "leeds.yaml").exists()


def test_init_refuses_to_overwrite_and_to_mix_sources(project):
    init_parameters("Leeds", root=project, synthetic_seed=1)
    with pytest.raises(ParamsError, match="already exists; choose another --out or pass --force"):
        init_parameters("Leeds", root=project, synthetic_seed=1)
    init_parameters("Leeds", root=project, synthetic_seed=2, overwrite=True)
    with pytest.raises(ParamsError, match="either --police-uk or --synthetic"):
        init_parameters(
            "Leeds", root=project, out=project / "x.yaml", police_uk=[NOTTS_2024], synthetic_seed=1
        )


def test_cli_init_and_list(project, monkeypatch, capsys):
    monkeypatch.chdir(project)
    assert main(["init", "--list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert (
        "E22000366  South Nottinghamshire  (Broxtowe; Gedling; Rushcliffe)  Nottinghamshire"
        in listed
    )
    assert main(["init", "Gedling", "--police-uk", str(NOTTS_2024)]) == 0
    said = capsys.readouterr().out
    assert (
        "South Nottinghamshire (E22000366: Broxtowe, Gedling, Rushcliffe; Nottinghamshire)" in said
    )
    assert "Assessed period Jan 24 - Mar 24" in said
    monkeypatch.chdir(project / "data")  # not a project folder
    assert main(["init", "--list"]) == 2
    assert "has no data/reference: run csp init in the project folder" in capsys.readouterr().err
    monkeypatch.chdir(project)
    assert main(["init", "Nowhere", "Town"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("csp: error: no partnership or local authority matches 'Nowhere Town'")
    assert "Traceback" not in err


# ----------------------------------------------------------------------------- harm
def test_harm_uses_the_areas_own_force(project):
    out, _, _ = init_parameters("Leeds", root=project, synthetic_seed=1)
    params = load_params(out)
    weights = harm_weights_of(
        params.model_copy(update={"harm": params.harm.model_copy(update={"force": None})})
    )
    assert weights.mix.attrs["force"] == "West Yorkshire"
    assert area_force(REF, ["E06000018"]) == "Nottinghamshire"
    assert area_force(REF, ["W06000015"]) == "South Wales"
    with pytest.raises(ParamsError, match="lie in 2 police force areas.*harm.force"):
        area_force(REF, ["E06000018", "E08000035"])
