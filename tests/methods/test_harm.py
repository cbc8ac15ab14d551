"""Harm: weights tables, the category roll-up, harm-weighted counts and the CSS."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csplib.core.errors import DataError, DefinitionError, ParamsError
from csplib.core.schema import ASB, CRIME_CATEGORIES
from csplib.ingest.harm_weights import (
    CSS_WEIGHTS_FILE,
    css_weights,
    load_offence_mix,
    load_weights,
    roll_up_weights,
)
from csplib.ingest.partner import OFFENCE_CODES_FILE, load_offence_codes
from csplib.methods import harm
from csplib.methods.harm import harm_series, harm_table, incident_weights, theme_harm
from csplib.methods.harm_severity import crime_severity_score

REF = Path(__file__).resolve().parents[2] / "data" / "reference"
MIX_FILE = REF / "home_office" / "recorded_crime_nottinghamshire_offence_2017-18.csv"


@pytest.fixture(scope="module")
def codes():
    return load_offence_codes(REF / OFFENCE_CODES_FILE)


@pytest.fixture(scope="module")
def notts():
    w = css_weights(REF)
    mix = load_offence_mix(MIX_FILE)
    return w, mix, roll_up_weights(w, mix)


def _write(tmp_path, text, name="weights.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


# ----------------------------------------------------------------------------- CSS
def test_crime_severity_score_hand_worked():
    # 3 burglaries x 100 + 2 shoplifting x 5 = 310 harm; the ASB row has no weight
    rows = pd.DataFrame({"category": ["Burglary"] * 3 + ["Shoplifting"] * 2 + [ASB]})
    w = {"Burglary": 100.0, "Shoplifting": 5.0, ASB: np.nan}
    assert crime_severity_score(rows, 1000, category_weights=w) == pytest.approx(0.31)
    assert crime_severity_score(rows, 1000, category_weights=w, per=1000) == pytest.approx(310)


def test_crime_severity_score_by_area_counts_empty_areas_as_zero():
    rows = pd.DataFrame(
        {"category": ["Burglary", "Burglary", "Shoplifting"], "lsoa": ["A", "A", "B"]}
    )
    pop = pd.Series({"A": 400.0, "B": 100.0, "C": 50.0})
    css = crime_severity_score(
        rows, pop, category_weights={"Burglary": 100.0, "Shoplifting": 5.0}, by="lsoa"
    )
    assert css.to_dict() == pytest.approx({"A": 0.5, "B": 0.05, "C": 0.0})
    with pytest.raises(DataError, match="no population"):
        crime_severity_score(rows, pop.drop("A"), category_weights={"Burglary": 1.0}, by="lsoa")


def test_code_level_weighting_beats_the_category_average():
    # a partner extract: rows with codes are weighted by their own code; a code the table
    # lacks stays unweighted (not its category average); a row without code uses the category
    rows = pd.DataFrame(
        {
            "category": ["Violence and sexual offences"] * 3 + ["Burglary"],
            "offence_code": ["105A", "5D", "999X", None],
        }
    )
    w = incident_weights(
        rows,
        code_weights={"105A": 13.5, "5D": 2034.7},
        category_weights={"Violence and sexual offences": 325.6, "Burglary": 381.7},
    )
    assert w.iloc[0] == 13.5 and w.iloc[1] == 2034.7
    assert np.isnan(w.iloc[2])
    assert w.iloc[3] == 381.7
    css = crime_severity_score(
        rows,
        10,
        code_weights={"105A": 13.5, "5D": 2034.7},
        category_weights={"Burglary": 381.7, "Violence and sexual offences": 325.6},
    )
    assert css == pytest.approx((13.5 + 2034.7 + 381.7) / 10)


def test_incident_weights_need_weights_and_known_categories():
    rows = pd.DataFrame({"category": ["Burglary"]})
    with pytest.raises(ParamsError, match="category_weights= or code_weights="):
        incident_weights(rows)
    with pytest.raises(DefinitionError, match="'Burglry' is not a police.uk category"):
        incident_weights(rows, category_weights={"Burglry": 1.0})


# ----------------------------------------------------------------------------- roll-up
def test_roll_up_on_a_small_offence_mix_hand_computed():
    mix = pd.DataFrame(
        {
            "category": [
                "Burglary",
                "Burglary",
                "Burglary",
                "Robbery",
                "Violence and sexual offences",
                "Violence and sexual offences",
            ],
            "offences": [30.0, 10.0, 5.0, 7.0, 8.0, 2.0],
        },
        index=["28E", "30C", "28F", "34B", "1/4.1/4.10/4.2", "105A"],
    )
    weights = {
        "28E": 100.0,
        "30C": 20.0,
        "1": 8000.0,
        "4.1": 8000.0,
        "4.10": 8000.0,
        "4.2": 8000.0,
        "105A": 10.0,
    }
    out = roll_up_weights(weights, mix)
    # Burglary: (30 x 100 + 10 x 20) / 40; 28F (5 offences) has no weight and is left out
    assert out.loc["Burglary", "weight"] == pytest.approx(80.0)
    assert out.loc["Burglary", "coverage"] == pytest.approx(100 * 40 / 45)
    assert out.loc["Burglary", "codes_without_weight"] == "28F (5)"
    # the joined homicide code takes its parts' common weight: (8 x 8000 + 2 x 10) / 10
    assert out.loc["Violence and sexual offences", "weight"] == pytest.approx(6402.0)
    # no weighted code: NaN, never 0
    assert np.isnan(out.loc["Robbery", "weight"])
    assert np.isnan(out.loc[ASB, "weight"]) and "not defined by the CSS" in out.loc[ASB, "note"]
    assert np.isnan(out.loc["Drugs", "weight"]) and "no offences" in out.loc["Drugs", "note"]
    assert list(out.index) == [ASB, *CRIME_CATEGORIES]


def test_roll_up_for_nottinghamshire(notts):
    w, mix, cat = notts
    # every crime category gets a positive weight from the force's mix; ASB does not
    for category in CRIME_CATEGORIES:
        assert cat.loc[category, "weight"] > 0, category
        assert cat.loc[category, "coverage"] == pytest.approx(100.0), category
    assert np.isnan(cat.loc[ASB, "weight"])
    assert "fraud" in cat.loc["Other crime", "note"]
    vso = cat.loc["Violence and sexual offences", "weight"]
    assert w.loc["105A", "weight"] < vso < w.loc["5D", "weight"]  # common assault < V&SO < GBH
    assert cat["offences"].sum() == 96327
    # an independent computation straight from the two files
    raw_w = pd.read_csv(REF / CSS_WEIGHTS_FILE, comment="#", dtype={"ho_offence_code": str})
    raw_m = pd.read_csv(MIX_FILE, dtype={"Offence_Code": str})
    merged = raw_m.merge(raw_w, left_on="Offence_Code", right_on="ho_offence_code")
    merged = merged[merged["Policeuk_Cat"].str.lower() == "violence and sexual offences"]
    expected = (merged["Number_of_Offences"] * merged["css_weight"]).sum() / merged[
        "Number_of_Offences"
    ].sum()
    assert vso == pytest.approx(expected)


def test_css_of_nottinghamshire_per_resident_is_in_the_ons_range(notts):
    # ONS: E&W 10.1 (2015/16), West Yorkshire 13.6: a force's score is around 10 per resident
    w, mix, _ = notts
    total = float((mix["offences"] * mix.index.map(w["weight"])).sum())
    assert 8 < total / 1_150_000 < 20


# ----------------------------------------------------------------------------- reading weights
def test_load_weights_reads_the_css_file(codes):
    w = load_weights(REF / CSS_WEIGHTS_FILE, offence_codes=codes)
    assert w.loc["4.10", "weight"] == w.loc["1", "weight"] == pytest.approx(7973.393423328133)
    assert w.loc["19J", "category"] == "Violence and sexual offences"  # category from the file
    assert (w["weight"] >= 0).all()
    assert w.loc["56A", "row"] == 1  # data rows are counted without the comment header


def test_a_cambridge_style_table_code_weight(tmp_path, codes):
    p = _write(tmp_path, "code,weight\n8N,365\n105A,2\n")
    w = load_weights(p, offence_codes=codes, scheme="Cambridge CHI")
    assert w["weight"].to_dict() == {"8N": 365.0, "105A": 2.0}
    assert w.loc["8N", "category"] == "Violence and sexual offences"
    assert w.attrs["scheme"] == "Cambridge CHI"


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("code,score\n8N,1\n", "no weight column"),
        ("offence,weight\n8N,1\n", "no offence code column"),
        ("code,weight\n8N,1\n105A,-3\n", "row 2: negative weight -3"),
        ("code,weight\n8N,1\n105A,lots\n", "row 2: weight 'lots' for offence code 105A is not"),
        ("code,weight\n8N,1\nZZ9,4\n", "row 2: unknown offence code 'ZZ9'"),
        ("code,weight\n8N,1\n8N,2\n", "row 2: offence code 8N has two weights: 1 \\(row 1\\)"),
        ("code,weight,category\n8N,1,Violent stuff\n", "row 1: category 'Violent stuff'"),
        ("code,weight\n,1\n", "row 1: missing offence code"),
    ],
)
def test_bad_weights_tables_name_file_and_row(tmp_path, codes, text, match):
    p = _write(tmp_path, text)
    with pytest.raises(DataError, match=match) as err:
        load_weights(p, offence_codes=codes)
    assert "weights.csv" in str(err.value)


def test_comment_lines_are_not_counted_as_rows(tmp_path):
    p = _write(tmp_path, "# source: somewhere\ncode,weight\n# note\n8N,1\n105A,-1\n")
    with pytest.raises(DataError, match="row 2: negative weight"):
        load_weights(p)


def test_missing_weights_file(tmp_path):
    with pytest.raises(DataError, match="weights table not found"):
        load_weights(tmp_path / "nope.csv")


# ----------------------------------------------------------------------------- offence mix
def test_offence_mix_sums_quarters_and_checks_rows(tmp_path):
    head = "Force_Name,Offence_Code,Number_of_Offences,Policeuk_Cat\n"
    p = _write(
        tmp_path,
        head + "A,28E,3,Burglary\nA,28E,4,Burglary\nA,8N,1,Violence and Sexual Offences\n",
        "mix.csv",
    )
    mix = load_offence_mix(p)
    assert mix.loc["28E", "offences"] == 7
    assert mix.loc["8N", "category"] == "Violence and sexual offences"
    two = _write(tmp_path, head + "A,28E,3,Burglary\nB,28E,4,Burglary\n", "two.csv")
    with pytest.raises(
        DataError,
        match="several Force_Name values \\(A, B\\): name one with the parameters' harm.force",
    ):
        load_offence_mix(two)
    assert load_offence_mix(two, force="B").loc["28E", "offences"] == 4
    # a quarter revised downwards is negative; the code's total is what must not be
    revised = _write(tmp_path, head + "A,28E,3,Burglary\nA,28E,-1,Burglary\n", "rev.csv")
    assert load_offence_mix(revised).loc["28E", "offences"] == 2
    bad = _write(tmp_path, head + "A,28E,3,Burglary\nA,8N,-1,Burglary\n", "bad.csv")
    with pytest.raises(DataError, match="bad.csv: offence code 8N has a negative total \\(-1\\)"):
        load_offence_mix(bad)
    odd = _write(tmp_path, head + "A,28E,3.5,Burglary\n", "odd.csv")
    with pytest.raises(DataError, match="odd.csv, row 1: Number_of_Offences '3.5' is not a whole"):
        load_offence_mix(odd)


# ----------------------------------------------------------------------------- tables
def test_harm_share_against_volume_share():
    rows = pd.DataFrame({"category": ["Burglary"] * 3 + ["Shoplifting"] * 2 + [ASB] * 4})
    t = harm_table(rows, category_weights={"Burglary": 100.0, "Shoplifting": 5.0})
    # shares over the 5 weighted crimes: burglary 60% of volume, 300/310 of harm
    assert t.loc["Burglary", "volume_share"] == pytest.approx(60.0)
    assert t.loc["Burglary", "harm_share"] == pytest.approx(100 * 300 / 310)
    assert t.loc["Burglary", "harm_volume_ratio"] == pytest.approx((300 / 310) / 0.6)
    assert np.isnan(t.loc[ASB, "harm"]) and t.loc[ASB, "unweighted"] == 4
    assert t.loc["All", "harm"] == 310 and t.loc["All", "count"] == 9


def test_theme_harm_shares_are_relative_to_all_crime():
    inc = pd.DataFrame({"category": ["Burglary"] * 3 + ["Robbery"] + ["Shoplifting"] * 2})
    w = {"Burglary": 100.0, "Robbery": 800.0, "Shoplifting": 5.0}
    themes = {
        "acq": {"name": "Acquisitive", "categories": ["Burglary", "Robbery"]},
        "shop": {"name": "Shoplifting", "categories": ["Shoplifting"]},
    }
    t = theme_harm(themes, inc, category_weights=w)
    assert t.loc["Acquisitive", "harm"] == 1100
    assert t.loc["Acquisitive", "harm_per_offence"] == 275
    assert t.loc["Acquisitive", "harm_share"] == pytest.approx(100 * 1100 / 1110)
    assert t.loc["Shoplifting", "volume_share"] == pytest.approx(100 * 2 / 6)
    assert t.loc["Shoplifting", "source"] == "incidents"


def test_harm_series_monthly_and_yearly():
    rows = pd.DataFrame(
        {
            "month": pd.to_datetime(["2019-02-01", "2019-02-01", "2019-04-01", "2019-05-01"]),
            "category": ["Burglary", ASB, "Shoplifting", ASB],
        }
    )
    w = {"Burglary": 100.0, "Shoplifting": 5.0}
    m = harm_series(rows, category_weights=w)
    assert m.index.tolist() == list(pd.date_range("2019-02-01", "2019-05-01", freq="MS"))
    assert np.isnan(m.loc["2019-03-01", "harm"])  # no data that month: not zero
    assert m.loc["2019-05-01", "harm"] == 0.0  # data (ASB only), no weighted crime
    assert m.loc["2019-02-01", "harm"] == 100.0
    wide = harm_series(rows, category_weights=w, by="category")
    assert wide[ASB].isna().all()  # harm for ASB is not defined
    assert wide.loc["2019-04-01", "Burglary"] == 0.0
    assert np.isnan(wide.loc["2019-03-01", "Burglary"])
    fy = harm_series(rows, category_weights=w, freq="financial_year")
    assert fy.loc["2018/19", "harm"] == 100.0 and fy.loc["2019/20", "harm"] == 5.0
    assert fy["months"].to_dict() == {"2018/19": 1, "2019/20": 2}
    assert fy.attrs["incomplete"] == ["2018/19", "2019/20"]


def test_reading_weights_is_still_importable_from_methods_harm():
    """The weight readers moved to csplib.ingest.harm_weights; csplib.methods.harm re-exports
    them for notebooks that read weights through it (theme_profile)."""
    assert harm.load_weights is load_weights and harm.roll_up_weights is roll_up_weights
    assert harm.load_offence_mix is load_offence_mix


ALL_FORCES = REF / "home_office" / "recorded_crime_by_force_offence_2017-18.csv.gz"


def test_the_offence_mix_of_any_force_from_the_all_forces_file():
    """The gzipped Home Office table of every force: one force's rows are chosen by name;
    without a name, or with one it does not hold, the message lists the forces."""
    from csplib.core.errors import DataError
    from csplib.ingest.harm_weights import load_harm_weights
    from csplib.ingest.offence_mix import load_offence_mix

    wy = load_offence_mix(ALL_FORCES, force="West Yorkshire")
    assert wy.attrs["force"] == "West Yorkshire" and int(wy["offences"].sum()) == 265520
    notts_file = REF / "home_office" / "recorded_crime_nottinghamshire_offence_2017-18.csv"
    notts = load_offence_mix(ALL_FORCES, force="Nottinghamshire")
    pd.testing.assert_series_equal(notts["offences"], load_offence_mix(notts_file)["offences"])
    with pytest.raises(DataError, match=r"several Force_Name values .*West Yorkshire.*harm\.force"):
        load_offence_mix(ALL_FORCES)
    with pytest.raises(DataError, match="no rows with Force_Name 'Narnia'"):
        load_offence_mix(ALL_FORCES, force="Narnia")
    css = REF / "harm" / "ons_css_weights_by_offence_code.csv"
    w_wy = load_harm_weights(css, ALL_FORCES, force="West Yorkshire").category_weights
    w_nt = load_harm_weights(css, notts_file).category_weights
    assert w_wy["Burglary"] != pytest.approx(w_nt["Burglary"])  # each force its own mix


def test_every_forces_offence_mix_loads_and_rolls_up():
    """Every police force area of the lookup has an offence mix in the all-forces file (some
    with quarters revised downwards), and every crime category gets a weight from it."""
    from csplib.ingest.geography import la_csp_table
    from csplib.ingest.harm_weights import load_harm_weights

    forces = sorted(set(la_csp_table(REF)["pfa_name"]))
    assert len(forces) == 43
    css = REF / "harm" / "ons_css_weights_by_offence_code.csv"
    for force in forces:
        weights = load_harm_weights(css, ALL_FORCES, force=force).category_weights
        crimes = weights.drop(["Anti-social behaviour"])
        assert crimes.notna().all() and (crimes > 0).all(), force


def test_parameters_choose_the_force(tmp_path):
    from csplib.ingest.harm_weights import harm_weights_of
    from csplib.params import load_params

    repo = REF.parents[1]
    params = load_params(repo / "tests" / "fixtures" / "params" / "small.yaml")
    chosen = params.model_copy(
        update={
            "harm": params.harm.model_copy(
                update={"offence_mix": ALL_FORCES, "force": "West Yorkshire"}
            )
        }
    )
    assert harm_weights_of(chosen).mix.attrs["force"] == "West Yorkshire"
    assert harm_weights_of(params).mix.attrs["force"] == "Nottinghamshire"
