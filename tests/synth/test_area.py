"""Synthetic data for a partnership other than Nottingham (Mansfield: small and fast).

One full generation for Mansfield (about 8 s) is shared by the tests of this module; the
determinism and Wales tests write a two-month span.
"""

from __future__ import annotations

import hashlib
import json
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from csplib.core.errors import ParamsError
from csplib.core.schema import ASB, VICTIM_BASED_CATEGORIES
from csplib.ingest.geography import Geography, find_partnership, la_csp_table
from csplib.ingest.indicators import read_indicators
from csplib.ingest.partner import read_partner_extract
from csplib.ingest.policeuk import read_policeuk
from csplib.synth import ensure_generated, generate
from csplib.synth import generator as generator_module
from csplib.synth.area import AREA_MODEL_VERSION, UNKNOWN_DECILE, force_label
from csplib.synth.calibration import ASB_PATH, VICTIM_BASED_PATH
from csplib.synth.rates import SHAPE_BOUNDS, fit_rate_model, modelled_base

DATA = "data"
REF = "data/reference"
SEED = 5
MANSFIELD = "E07000174"
SPAN = {"start": "2023-12", "end": "2024-01"}  # both LSOA vintages


@pytest.fixture(scope="module")
def area():
    return Geography(REF, la_codes=[MANSFIELD], name="Mansfield")


@pytest.fixture(scope="module")
def synth(area, tmp_path_factory):
    return generate(SEED, tmp_path_factory.mktemp("mansfield"), data_dir=DATA, area=area)


@pytest.fixture(scope="module")
def truth(synth):
    return json.loads(synth.truth_file.read_text())


@pytest.fixture(scope="module")
def read(synth):
    return read_policeuk(synth.police_uk_dir)


@pytest.fixture(scope="module")
def incidents(read):
    inc = read.incidents[["month", "category", "lsoa"]].copy()
    inc["category"] = inc["category"].astype(str)
    inc["lsoa"] = inc["lsoa"].astype(str)
    inc["fy"] = inc["month"].dt.year - (inc["month"].dt.month < 4)
    return inc


@pytest.fixture(scope="module")
def codes():
    """LSOA codes of Mansfield and of its force, in both vintages."""
    table = la_csp_table(REF)
    force = table.loc[table["la"] == MANSFIELD, "pfa"].iloc[0]
    force_las = sorted(set(table.loc[table["pfa"] == force, "la"]))
    out = {}
    for vintage in ("2011", "2021"):
        out[f"area{vintage}"] = set(
            Geography(REF, la_codes=[MANSFIELD], vintage=vintage).lsoa_table.index
        )
        force_geo = Geography(REF, la_codes=force_las, vintage=vintage)
        out[f"force{vintage}"] = set(force_geo.lsoa_table.index)
        out[f"la{vintage}"] = force_geo.lsoa_table["la_name"].to_dict()
        out[f"polygons{vintage}"] = force_geo.lsoas()
    return out


def _hashes(folder) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# ------------------------------------------------------------------------- identity
def test_truth_records_the_area(synth, truth):
    area = truth["area"]
    assert area["name"] == "Mansfield"
    assert area["csp_code"] == "E22000255" and area["la_codes"] == [MANSFIELD]
    assert area["force"] == "Nottinghamshire Police"
    assert area["model_version"] == AREA_MODEL_VERSION
    assert area["lsoa11"] == 67 and area["lsoa21"] == 68
    assert area["residents_mid_2019"] == 109_313
    assert 3 <= area["outside_lsoa11"] <= 6  # 8% of 67, the nearest, at least 3
    assert area["deprivation"]["lsoas_without_decile"] == 0
    assert truth["generator_version"] == synth.generator_version
    assert "Mansfield" in synth.readme_file.read_text()


def test_same_seed_same_bytes_other_seed_other_data(synth, area, tmp_path):
    """A short span repeats the full run's months byte for byte; another seed differs."""
    again = generate(SEED, tmp_path / "again", data_dir=DATA, area=area, **SPAN)
    other = generate(SEED + 1, tmp_path / "other", data_dir=DATA, area=area, **SPAN)
    for month in ("2023-12", "2024-01"):
        name = f"{month}/{month}-nottinghamshire-street.csv"
        first = (synth.police_uk_dir / name).read_bytes()
        assert (again.police_uk_dir / name).read_bytes() == first
        assert (other.police_uk_dir / name).read_bytes() != first
    assert _hashes(again.out_dir).keys() == _hashes(other.out_dir).keys()


# ------------------------------------------------------------------------- rows
def test_street_files_name_the_force_and_place_rows_inside_their_lsoa(synth, codes):
    files = sorted(synth.police_uk_dir.glob("*/*.csv"))
    assert len(files) == 131 and not (synth.police_uk_dir / "2016-08").exists()
    assert all(p.name == f"{p.parent.name}-nottinghamshire-street.csv" for p in files)
    for month, vintage in (("2014-04", "2011"), ("2024-07", "2021")):
        path = synth.police_uk_dir / month / f"{month}-nottinghamshire-street.csv"
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        assert set(frame["Reported by"]) == set(frame["Falls within"]) == {"Nottinghamshire Police"}
        located = frame[frame["LSOA code"] != ""]
        parts = located["Location"].str.extract(r"^On or near (.+) street (\d+)$")
        assert (parts[0] == located["LSOA name"]).all()  # "On or near Mansfield 009E street 3"
        assert parts[1].astype(int).between(1, 24).all()
        polygons = codes[f"polygons{vintage}"].set_index("lsoa")["geometry"]
        points = gpd.GeoSeries(
            gpd.points_from_xy(
                located["Longitude"].astype(float), located["Latitude"].astype(float)
            ),
            crs="EPSG:4326",
        ).to_crs(polygons.crs)
        own = gpd.GeoSeries(polygons.reindex(located["LSOA code"]).to_numpy(), crs=polygons.crs)
        # inside the row's own LSOA (to the 6 decimals of the coordinates: about 10 cm)
        assert (own.distance(points, align=False) < 1.0).all()


def test_reader_rejects_only_what_was_planted(read, truth):
    expected = truth["publication"]["expected_rejections"]
    assert read.rejected["reason"].value_counts().to_dict() == expected
    assert 0.007 < expected["no_lsoa"] / read.rows_read < 0.013


def test_every_row_lies_in_the_force_and_the_area_bar_the_neighbours(incidents, codes, truth):
    old = incidents["month"] < pd.Timestamp("2024-01-01")
    for mask, vintage in ((old, "2011"), (~old, "2021")):
        lsoa = incidents.loc[mask, "lsoa"]
        assert lsoa.isin(codes[f"force{vintage}"]).all()  # nothing outside the force
        outside = lsoa[~lsoa.isin(codes[f"area{vintage}"])]
        names = {codes[f"la{vintage}"][c] for c in outside.unique()}
        assert names == set(truth["area"]["neighbours"]["local_authorities"])
        assert MANSFIELD not in names
        assert 0.01 < len(outside) / len(lsoa) < 0.15  # a few rows, for the area filter
    old_outside = incidents.loc[old, "lsoa"][~incidents.loc[old, "lsoa"].isin(codes["area2011"])]
    assert old_outside.nunique() == truth["area"]["outside_lsoa11"]


# ------------------------------------------------------------------------- volumes
def test_yearly_crime_per_1000_is_in_the_models_band(incidents, codes, truth):
    """2018/19 incidents per 1,000 residents lie between the model's decile 10 and decile 1
    rates (44 and 200 a year: the band any area can reach), within 5% of Mansfield's
    population-weighted expectation."""
    model = fit_rate_model(DATA)
    by_decile = model.per_1000_a_year().sum(axis=1)
    geo = Geography(REF, la_codes=[MANSFIELD], vintage="2011")
    pop = geo.population(2019)["population"]
    decile = geo.deprivation()["imd_decile"].astype(int)
    expected = float((pop * decile.map(by_decile)).sum() / pop.sum())
    year = incidents[(incidents["fy"] == 2018) & incidents["lsoa"].isin(codes["area2011"])]
    rate = 1000 * len(year) / pop.sum()
    assert by_decile.loc[10] < rate < by_decile.loc[1]
    assert 40 < by_decile.loc[10] and by_decile.loc[1] < 250
    assert abs(rate / expected - 1) < 0.05
    assert truth["calibration"]["deprivation_gradient"]["area_model_per_1000"] == round(expected, 1)


def test_yearly_totals_follow_nottinghams_path_scaled(incidents, codes, truth):
    area = incidents["lsoa"].isin(codes["area2011"] | codes["area2021"])
    vb = truth["calibration"]["victim_based_crime"]
    asb = truth["calibration"]["asb_incidents"]
    scale = vb["2018/19"]["value"] / VICTIM_BASED_PATH[2018]
    assert 0.15 < scale < 0.4  # Mansfield: a third of Nottingham's residents, less deprived
    for label in ("2015/16", "2019/20", "2020/21", "2024/25"):
        year = int(label[:4])
        assert abs(vb[label]["value"] - VICTIM_BASED_PATH[year] * scale) <= 1  # scale rounded
        assert vb[label]["achieved"] == vb[label]["value"]
        rows = incidents[area & (incidents["fy"] == year)]
        assert (
            rows["category"].isin(VICTIM_BASED_CATEGORIES).sum() == vb[label]["in_published_files"]
        )
        assert (rows["category"] == ASB).sum() == asb[label]["in_published_files"]
    asb_scale = asb["2018/19"]["value"] / ASB_PATH[2018]
    assert abs(asb["2020/21"]["value"] - ASB_PATH[2020] * asb_scale) <= 1


# ------------------------------------------------------------------------- effects
def _count(frame, lsoas, category, start, end, skip=()):
    sel = frame[
        frame["lsoa"].isin(lsoas)
        & (frame["category"] == category)
        & (frame["month"] >= pd.Timestamp(start))
        & (frame["month"] <= pd.Timestamp(end))
        & ~frame["month"].isin([pd.Timestamp(m) for m in skip])
    ]
    return len(sel)


def test_asb_hotspot_is_placed_by_the_rule_and_found_in_the_rows(incidents, truth):
    spot = truth["effects"]["asb_hotspot"]
    deciles = Geography(REF, la_codes=[MANSFIELD], vintage="2011").deprivation()["imd_decile"]
    assert deciles.loc[spot["lsoa11"]] == deciles.min()  # the most deprived decile present
    codes = [spot["lsoa11"], *spot["lsoa21"]]
    before = _count(incidents, codes, ASB, "2022-10-01", "2023-09-01", skip=["2023-06-01"]) / 11
    after = _count(incidents, codes, ASB, "2023-10-01", "2024-09-01") / 12
    assert after > 2.5 * before  # planted: x4 from October 2023, but the area's ASB
    # total is fixed by its path, so the rise is partly taken from the other LSOAs
    assert (
        spot["achieved"]["mean_per_month_12_months_after"]
        > 2.5 * spot["achieved"]["mean_per_month_12_months_before"]
    )


def test_burglary_scheme_and_weapons_rise_are_in_the_rows(incidents, truth):
    burglary = truth["effects"]["burglary_scheme"]
    weapons = truth["effects"]["weapons_rise"]
    assert len(burglary["ward_codes"]) >= 2 and len(weapons["ward_codes"]) >= 2
    assert not set(burglary["ward_codes"]) & set(weapons["ward_codes"])
    area = incidents[incidents["lsoa"].str.startswith("E01")]

    def share(spec, category, start, end):
        inside = _count(area, spec["lsoa11"] + spec["lsoa21"], category, start, end)
        return inside / len(
            area[
                (area["category"] == category)
                & area["month"].between(pd.Timestamp(start), pd.Timestamp(end))
            ]
        )

    change = (
        share(burglary, "Burglary", "2022-04-01", "2024-03-01")
        / share(burglary, "Burglary", "2018-04-01", "2020-03-01")
        - 1
    )
    assert -0.5 < change < -0.1  # planted: -30% from July 2021

    spots = weapons["lsoa11"] + weapons["lsoa21"]
    w = "Possession of weapons"
    growth = _count(area, spots, w, "2024-01-01", "2024-12-01") / _count(
        area, spots, w, "2021-01-01", "2021-12-01"
    )
    assert growth > 1.8  # planted: 1.4 a year from January 2022 (about x2.7)
    yearly = weapons["achieved"]["in_wards"]
    assert yearly["2024/25"] > 2 * yearly["2021/22"]


def test_missing_and_low_months(incidents, truth):
    assert truth["publication"]["missing_months"] == ["2016-08"]
    asb = incidents[incidents["category"] == ASB].groupby("month").size()
    low = asb.loc[pd.Timestamp("2023-06-01")]
    assert low < 0.1 * asb.loc[[pd.Timestamp("2023-05-01"), pd.Timestamp("2023-07-01")]].mean()


# ------------------------------------------------------------------------- partner, indicators
def test_partner_extract_lies_in_the_area_and_reads_cleanly(synth, truth):
    geo = Geography(REF, la_codes=[MANSFIELD])
    res = read_partner_extract(
        synth.out_dir / "partner" / "synthetic_crimes_2023-24.csv", geography=geo
    )
    assert len(res.rejected) == 0
    outcome = geo.assign_area(res.data).summary().set_index("outcome")["rows"]
    assert outcome["outside the area"] == outcome["unknown LSOA code"] == 0
    assert outcome["no LSOA code"] == truth["partner"]["2023/24"]["rows_without_lsoa"]
    hate = res.data["hate"].sum()
    assert hate == truth["partner"]["2023/24"]["hate_crimes"]
    vb = truth["calibration"]["victim_based_crime"]["2023/24"]["value"]
    assert 0.02 < hate / vb < 0.06  # Nottingham's rate: about 4 hate crimes per 100


def test_indicators_are_for_the_area_and_scaled(synth):
    res = read_indicators(synth.indicators_file)
    assert len(res.rejected) == 0
    assert set(res.data["area"]) == {MANSFIELD}
    marac = res.data[res.data["indicator"] == "marac_referrals"]["value"]
    # Nottingham's 120 a quarter (2014) to about 175, x 109,313 / 332,900 residents
    assert 30 < marac.mean() < 70
    survey = res.data[res.data["indicator"] == "survey_experience_asb"]
    assert survey["source"].str.contains("Mansfield").all()


# ------------------------------------------------------------------------- ensure_generated
def test_ensure_generated_reuses_the_same_area_and_regenerates_another(synth, area, monkeypatch):
    calls = []
    monkeypatch.setattr(
        generator_module, "generate", lambda seed, out, **kw: calls.append((seed, kw["area"]))
    )
    ensure_generated(SEED, synth.out_dir, data_dir=DATA, area=area)
    assert calls == []  # same seed, version, span and area: reused
    leeds = Geography(REF, csp_code="E22000345")
    ensure_generated(SEED, synth.out_dir, data_dir=DATA, area=leeds)
    ensure_generated(SEED, synth.out_dir, data_dir=DATA)  # Nottingham
    assert [a for _, a in calls] == [leeds, None]


def test_ensure_generated_knows_nottinghams_truth_file(tmp_path, area, monkeypatch):
    calls = []
    monkeypatch.setattr(generator_module, "generate", lambda *a, **kw: calls.append(kw["area"]))
    truth = {
        "seed": 1,
        "generator_version": generator_module.GENERATOR_VERSION,
        "span": {"first_month": "2014-04", "last_month": "2025-03"},
        "area": {"name": "Nottingham", "la_code": "E06000018"},
    }
    (tmp_path / "truth.json").write_text(json.dumps(truth))
    nottingham = Geography(REF, la_codes=["E06000018"])
    ensure_generated(1, tmp_path, area=nottingham)
    ensure_generated(1, tmp_path)
    assert calls == []
    ensure_generated(1, tmp_path, area=area)
    assert calls == [area]


# ------------------------------------------------------------------------- other areas
def test_a_welsh_area_takes_the_middle_decile_and_its_force(tmp_path):
    p = find_partnership(REF, "Merthyr Tydfil")
    geo = Geography(REF, la_codes=list(p.la_codes), name=p.name)
    res = generate(2, tmp_path / "wales", data_dir=DATA, area=geo, **SPAN)
    area = res.truth["area"]
    assert area["force"] == "South Wales Police"
    assert area["deprivation"]["lsoas_without_decile"] == area["lsoa11"] > 0
    assert f"decile {UNKNOWN_DECILE}" in area["deprivation"]["note"]
    files = sorted(p.name for p in res.police_uk_dir.glob("*/*.csv"))
    assert files == ["2023-12-south-wales-street.csv", "2024-01-south-wales-street.csv"]
    assert set(res.truth["calibration"]["deprivation_gradient"]) == set()  # 2018/19 not drawn


def test_an_area_across_forces_is_refused(tmp_path):
    geo = Geography(REF, la_codes=[MANSFIELD, "E08000035"])  # Nottinghamshire and West Yorkshire
    with pytest.raises(ParamsError, match="several police force areas"):
        generate(1, tmp_path / "x", data_dir=DATA, area=geo, **SPAN)


def test_force_labels():
    assert force_label("West Yorkshire") == ("West Yorkshire Police", "west-yorkshire")
    assert force_label("Avon and Somerset") == ("Avon and Somerset Police", "avon-and-somerset")
    assert force_label("London, City of") == ("City of London Police", "city-of-london")


# ------------------------------------------------------------------------- the rate model
def test_rate_model_keeps_the_deprivation_gradient():
    model = fit_rate_model(DATA)
    table = model.per_1000_a_year()
    total = table.sum(axis=1)
    assert total.loc[1] > 3 * total.loc[10]
    # the log-linear line falls with decile for the categories tied to deprivation
    for category in ("Violence and sexual offences", ASB, "Drugs", "Robbery"):
        c = table.columns.get_loc(category)
        assert (np.diff(model.line[:, c]) < 0).all()
    assert SHAPE_BOUNDS[0] <= model.lsoa_shape <= SHAPE_BOUNDS[1]
    shop = table.columns.get_loc("Shoplifting")
    violence = table.columns.get_loc("Violence and sexual offences")
    assert model.category_shape[shop] < model.category_shape[violence]  # shops concentrate
    # 55,167 real rows in five months: the fit reproduces the force's total
    assert model.rows == 55_167 and model.lsoas == 679


def test_modelled_base_keeps_the_area_total_and_varies_by_lsoa():
    model = fit_rate_model(DATA)
    lsoa = pd.DataFrame(
        {
            "code": [f"E0100{i:04d}" for i in range(200)],
            "population": 1_500,
            "imd_decile": np.repeat(np.arange(1, 11), 20),
            "city": True,
        }
    )
    base = modelled_base(lsoa, model)
    expected = 1_500 * model.rates[lsoa["imd_decile"] - 1]
    assert np.allclose(base.sum(axis=0), expected.sum(axis=0))
    spread = base.sum(axis=1) / expected.sum(axis=1)
    assert spread.std() > 0.3  # LSOAs differ from their decile's rate (gamma levels)


# ------------------------------------------------------------------------- callers
def test_csp_synth_area_resolves_the_name(monkeypatch, capsys, tmp_path):
    import csplib.synth
    from csplib.run.cli import main

    seen = {}

    def fake_generate(seed, out, **kw):
        seen.update(seed=seed, area=kw["area"], data_dir=kw["data_dir"])
        area = {"name": "Mansfield", "csp_code": "E22000255", "la_codes": [MANSFIELD]}
        area |= {"force": "Nottinghamshire Police", "model_version": AREA_MODEL_VERSION}
        return SimpleNamespace(
            truth={"area": area},
            rows={"police_uk": 10},
            seed=seed,
            out_dir=out,
            seconds=1.0,
            truth_file=out / "truth.json",
        )

    monkeypatch.setattr(csplib.synth, "generate", fake_generate)
    assert main(["synth", "--seed", "3", "--out", str(tmp_path), "--area", "mansfield"]) == 0
    assert seen["seed"] == 3 and tuple(seen["area"].la_codes) == (MANSFIELD,)
    assert seen["area"].name == "Mansfield" and seen["area"].force_name == "Nottinghamshire"
    out = capsys.readouterr().out
    assert "Area: Mansfield (E22000255: E07000174), Nottinghamshire Police" in out
    main(["synth", "--seed", "3", "--out", str(tmp_path)])
    assert seen["area"] is None  # no --area: Nottingham, the calibrated dataset


def test_ensure_data_generates_for_the_parameters_area(monkeypatch, tmp_path):
    import csplib.synth
    from csplib.params import load_params
    from csplib.run.context import ensure_data

    calls = []
    monkeypatch.setattr(
        csplib.synth, "ensure_generated", lambda seed, out, **kw: calls.append((seed, out, kw))
    )
    synthetic = {"seed": 1, "dir": str(tmp_path / "leeds")}
    area = {"name": "Leeds", "csp_code": "E22000345", "la_codes": ["E08000035"]}
    params = load_params(
        "parameters/default.yaml", overrides={"area": area, "data": {"synthetic": synthetic}}
    )
    ensure_data(params)
    ((seed, out, kw),) = calls
    assert seed == 1 and out == tmp_path / "leeds"
    assert tuple(kw["area"].la_codes) == ("E08000035",) and kw["area"].name == "Leeds"
    assert kw["area"].csp_code == "E22000345"
