"""Geography: LSOA tables, vintage conversion, area filter, population, deprivation, boundaries.

Real checks use the project's trimmed reference data (data/reference) and police.uk zips
(data/police_uk), read here with plain pandas so the tests do not depend on the police.uk
reader.
"""

import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from csplib.core.errors import DataError, ParamsError
from csplib.ingest.geography import (
    Geography,
    apportion,
    convert_lsoa_vintage,
    find_boundary_file,
    find_partnership,
    read_boundaries,
    read_reference_csv,
)

REPO = Path(__file__).resolve().parents[2]
REF = REPO / "data" / "reference"
NOTTINGHAM = "E06000018"
NOTTS_LOOKUP = REF / "lookups" / "nottingham_lsoa11_lsoa21_ward24_lookup.csv"


@pytest.fixture(scope="module")
def geo():
    return Geography(REF, la_codes=[NOTTINGHAM])


@pytest.fixture(scope="module")
def geo11():
    return Geography(REF, la_codes=[NOTTINGHAM], vintage="2011")


@pytest.fixture(scope="module")
def notts_lookup():
    return pd.read_csv(NOTTS_LOOKUP, dtype=str)


@pytest.fixture(scope="module")
def national_lookup():
    return pd.read_csv(REF / "lookups" / "lookup_lsoa11_lsoa21_ltla22.csv.gz", dtype=str)


def read_police_zip(path):
    with zipfile.ZipFile(path) as zf:
        frames = [
            pd.read_csv(zf.open(name), dtype={"LSOA code": str})
            for name in sorted(zf.namelist())
            if name.endswith(".csv")
        ]
    frame = pd.concat(frames, ignore_index=True)
    return frame.rename(
        columns={
            "LSOA code": "lsoa",
            "Longitude": "longitude",
            "Latitude": "latitude",
            "Falls within": "falls_within",
        }
    )


def inside_point(gdf, code):
    """A WGS84 (lon, lat) inside the polygon of ``code`` in a 27700 GeoDataFrame."""
    poly = gdf.loc[gdf["lsoa"] == code, "geometry"].iloc[0]
    point = gpd.GeoSeries([poly.representative_point()], crs=27700).to_crs(4326).iloc[0]
    return point.x, point.y


# ----------------------------------------------------------------------------- LSOA tables
def test_nottingham_tables_2021(geo):
    t = geo.lsoa_table
    assert len(t) == 179
    assert t.index.name == "lsoa"
    assert list(t.columns) == ["lsoa_name", "ward", "ward_name", "la", "la_name"]
    assert set(t["la"]) == {NOTTINGHAM}
    assert t["ward"].nunique() == 20
    assert (geo.csp_code, geo.csp_name, geo.name) == ("E22000257", "Nottingham", "Nottingham")
    assert (geo.force_code, geo.force_name) == ("E23000019", "Nottinghamshire")
    assert t.loc["E01035507", "ward_name"] == "Lenton & Wollaton East"
    w = geo.ward_table
    assert len(w) == 20 and w["lsoa_count"].sum() == 179


def test_lsoa11_wards_agree_with_nottingham_lookup(geo, geo11, notts_lookup):
    t11 = geo11.lsoa_table
    assert len(t11) == 182
    expected11 = notts_lookup.drop_duplicates("lsoa11_code").set_index("lsoa11_code")
    pd.testing.assert_series_equal(
        t11["ward"].sort_index(),
        expected11["ward24_code"].sort_index().rename("ward"),
        check_names=False,
        check_index_type=False,
        check_dtype=False,
    )
    expected21 = notts_lookup.drop_duplicates("lsoa21_code").set_index("lsoa21_code")
    assert set(expected21.index) == set(geo.lsoa_table.index)
    assert (geo.lsoa_table["ward"] == expected21["ward24_code"].reindex(geo.lsoa_table.index)).all()


def test_csp_code_gives_its_authorities():
    g = Geography(REF, csp_code="E22000257")
    assert g.la_codes == (NOTTINGHAM,) and len(g.lsoa_table) == 179
    # a CSP of three districts (South Worcester)
    sw = Geography(REF, csp_code="E22000332")
    assert sw.la_codes == ("E07000235", "E07000237", "E07000238")
    wards = pd.read_csv(REF / "lookups" / "lookup_lsoa21_ward24_ltla24.csv.gz", dtype=str)
    assert len(sw.lsoa_table) == wards["ltla24_code"].isin(sw.la_codes).sum()
    assert sw.name == "South Worcester"
    # the same authorities given as codes find the CSP
    assert Geography(REF, la_codes=list(sw.la_codes)).csp_code == "E22000332"
    # one of them alone is not a CSP
    part = Geography(REF, la_codes=["E07000237"])
    assert part.csp_code is None and part.name == "Worcester"
    # a legacy CSP sharing its authority: usable only with the authority given explicitly
    bcp = Geography(REF, csp_code="E22000063", la_codes=["E06000058"], name="BCP")
    assert bcp.la_codes == ("E06000058",) and bcp.csp_name == "Bournemouth"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"la_codes": ["E06999999"]}, "unknown local authority code"),
        ({"csp_code": "E22999999"}, "unknown CSP code"),
        ({"csp_code": "E22000063"}, "shares local authority E06000058"),
        ({"csp_code": "E22000257", "la_codes": ["E07000173"]}, "not the local authorities"),
        ({"la_codes": [NOTTINGHAM], "vintage": "2001"}, "vintage must be '2011' or '2021'"),
        ({}, "give the area as la_codes"),
        ({"la_codes": [NOTTINGHAM], "boundaries": {"msoa": "x"}}, "unknown layer"),
    ],
)
def test_bad_area_parameters(kwargs, message):
    with pytest.raises(ParamsError, match=message):
        Geography(REF, **kwargs)


def test_missing_reference_file_is_named(tmp_path):
    with pytest.raises(DataError, match="lookup_lsoa21_ward24_ltla24.csv.gz"):
        Geography(tmp_path, la_codes=[NOTTINGHAM])


def test_reference_file_without_a_column(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(DataError, match="lacks column"):
        read_reference_csv(path, {"a": "a", "c": "c"})


# ----------------------------------------------------------------------------- vintages
def test_pure_conversion_rule_and_counts():
    lookup = pd.DataFrame(
        {
            "lsoa11": ["A", "B", "C", "D", "D", "D"],
            "lsoa21": ["A", "M", "M", "S1", "S2", "S3"],
            "change": ["U", "M", "M", "S", "S", "S"],
        }
    )
    rows = pd.DataFrame(
        {
            "lsoa": ["D", "A", "D", "B", "D", "D", "Q", None, "S2", "M"],
            "lsoa_vintage": ["2011"] * 8 + ["2021", "2021"],
        },
        index=list("abcdefghij"),
    )
    res = convert_lsoa_vintage(rows, "2021", lookup, method_column="how")
    assert res.frame.index.tolist() == list("abcdefghij")
    # the i-th row of a split code goes to piece i mod 3, in code order
    assert res.frame.loc[["a", "c", "e", "f"], "lsoa"].tolist() == ["S1", "S2", "S3", "S1"]
    assert res.frame.loc[["b", "d", "i", "j"], "lsoa"].tolist() == ["A", "M", "S2", "M"]
    assert res.frame.loc["g", "lsoa"] == "Q" and pd.isna(res.frame.loc["h", "lsoa"])
    counts = res.counts.set_index(["change", "method"])["rows"]
    assert counts.to_dict() == {
        ("same vintage", "kept"): 2,
        ("unchanged", "same code"): 1,
        ("merged", "exact"): 1,
        ("split", "split-by-rule"): 4,
        ("no LSOA code", "not converted"): 1,
        ("unknown LSOA code", "not converted"): 1,
    }
    assert res.counts["rows"].sum() == len(rows)
    # and back: a merged LSOA21 is split among its LSOA11s, a split piece is exact
    back = convert_lsoa_vintage(res.frame, "2011", lookup, method_column="how")
    assert back.frame.loc[["a", "c", "e", "f"], "lsoa"].tolist() == ["D"] * 4
    assert back.frame.loc[["d", "j"], "lsoa"].tolist() == ["B", "C"]
    assert back.counts["rows"].sum() == len(rows)


def test_declared_vintage_must_be_known():
    lookup = pd.DataFrame({"lsoa11": ["A"], "lsoa21": ["A"], "change": ["U"]})
    with pytest.raises(DataError, match="lsoa_vintage"):
        convert_lsoa_vintage(
            pd.DataFrame({"lsoa": ["A"], "lsoa_vintage": ["2001"]}), "2021", lookup
        )
    with pytest.raises(ParamsError, match="vintage"):
        convert_lsoa_vintage(pd.DataFrame({"lsoa": ["A"]}), "2031", lookup)


def test_split_by_location_and_nearest(geo):
    pieces = geo.lsoas()
    lon1, lat1 = inside_point(pieces, "E01035501")
    lon2, lat2 = inside_point(pieces, "E01035502")
    # a point in a neighbouring LSOA that is not one of the candidate pieces
    candidates = pieces[pieces["lsoa"].isin(["E01035501", "E01035502"])]
    others = pieces[~pieces["lsoa"].isin(candidates["lsoa"])]
    near = others[others.touches(candidates.union_all())].iloc[0]
    outside = gpd.GeoSeries([near.geometry.representative_point()], crs=27700)
    distances = candidates.geometry.distance(outside.iloc[0])
    nearest = candidates["lsoa"].iloc[int(np.argmin(distances.to_numpy()))]
    lon3, lat3 = outside.to_crs(4326).iloc[0].coords[0]
    rows = pd.DataFrame(
        {
            "lsoa": ["E01033404"] * 4 + ["E01013974", "E01013810"],
            "lsoa_vintage": "2011",
            "longitude": [lon1, lon2, lon3, np.nan, -1.19, -1.16],
            "latitude": [lat1, lat2, lat3, np.nan, 52.94, 52.97],
        }
    )
    res = geo.to_vintage(rows, method_column="how")
    assert res.frame["lsoa"].tolist() == [
        "E01035501",
        "E01035502",
        nearest,
        "E01035501",  # no coordinates: the rule (first piece in code order)
        "E01035507",
        "E01013810",
    ]
    assert res.frame["how"].tolist() == [
        "split-by-location",
        "split-by-location",
        "split-by-nearest",
        "split-by-rule",
        "exact",
        "same code",
    ]
    assert (res.frame["lsoa_vintage"] == "2021").all()


def test_2021_to_2011_mirror(geo11):
    pieces = geo11.lsoas()
    lon, lat = inside_point(pieces, "E01013975")
    rows = pd.DataFrame(
        {
            "lsoa": ["E01035507", "E01035501", "E01035502", "E01013810"],
            "lsoa_vintage": "2021",
            "longitude": [lon, np.nan, np.nan, np.nan],
            "latitude": [lat, np.nan, np.nan, np.nan],
        }
    )
    res = geo11.to_vintage(rows, method_column="how")
    assert res.frame["lsoa"].tolist() == ["E01013975", "E01033404", "E01033404", "E01013810"]
    assert res.frame["how"].tolist() == ["split-by-location", "exact", "exact", "same code"]
    assert res.counts.set_index("method").loc["exact", "rows"] == 2


def test_vintage_inferred_from_code_when_column_absent(geo):
    rows = pd.DataFrame({"lsoa": ["E01013974", "E01035507", " E01013810 "]})
    res = geo.to_vintage(rows, method_column="how")
    assert res.frame["lsoa"].tolist() == ["E01035507", "E01035507", "E01013810"]
    assert res.frame["how"].tolist() == ["exact", "kept", "kept"]


def test_conversion_agrees_with_nottingham_lookup(geo, notts_lookup):
    one_to_one = notts_lookup[notts_lookup["change_code"].isin(["U", "M"])]
    rows = pd.DataFrame({"lsoa": one_to_one["lsoa11_code"], "lsoa_vintage": "2011"})
    res = geo.to_vintage(rows)
    assert res.frame["lsoa"].tolist() == one_to_one["lsoa21_code"].tolist()


# ----------------------------------------------------------------------------- area filter
def test_assign_area_reasons_and_falls_within(geo):
    rows = pd.DataFrame(
        {
            "lsoa": ["E01013810", "E01019420", "E01999999", None, "E01013974", ""],
            "lsoa_vintage": ["2021", "2021", "2021", "2021", "2011", "2011"],
            "falls_within": ["Derbyshire Police", "Nottinghamshire Police"] + ["x"] * 4,
        },
        index=[10, 11, 12, 13, 14, 15],
    )
    res = geo.assign_area(rows)
    assert res.kept.index.tolist() == [10, 14]
    assert res.kept[["lsoa", "ward", "la"]].values.tolist() == [
        ["E01013810", "E05012281", NOTTINGHAM],
        ["E01035507", "E05012283", NOTTINGHAM],
    ]
    assert res.kept["ward_name"].tolist() == ["Hyson Green & Arboretum", "Lenton & Wollaton East"]
    assert res.rejected["reason"].to_dict() == {
        11: "outside the area",
        12: "unknown LSOA code",
        13: "no LSOA code",
        15: "no LSOA code",
    }
    assert res.summary()["rows"].sum() == len(rows)


@pytest.mark.parametrize(
    ("name", "vintage", "city_rows"),
    [
        ("nottinghamshire_2018-10_2019-02.zip", "2011", 24_123),
        ("nottinghamshire_2024-01_2024-03.zip", "2021", 11_671),
    ],
)
def test_real_police_uk_rows_in_nottingham(geo, geo11, name, vintage, city_rows):
    frame = read_police_zip(REPO / "data" / "police_uk" / name)
    frame["lsoa_vintage"] = vintage
    city = (geo11 if vintage == "2011" else geo).lsoa_table.index
    assert frame["lsoa"].isin(city).sum() == city_rows

    res = geo.assign_area(frame)
    assert len(res.kept) + len(res.rejected) == len(frame)
    assert res.conversion["rows"].sum() == len(frame)
    assert len(res.kept) == city_rows
    assert res.kept["ward"].notna().all() and set(res.kept["la"]) == {NOTTINGHAM}
    assert res.kept["lsoa"].isin(geo.lsoa_table.index).all()
    assert res.kept.index.equals(frame.index[frame["lsoa"].isin(city)])
    assert set(res.rejected["reason"]) <= {"outside the area", "no LSOA code"}
    # rows falling within Nottinghamshire Police are not all in the city
    assert (frame["falls_within"] == "Nottinghamshire Police").sum() > city_rows

    if vintage == "2011":
        conv = geo.to_vintage(frame.loc[res.kept.index], method_column="how").frame
        split = frame.loc[res.kept.index, "lsoa"].isin(["E01033404", "E01033408"])
        assert split.sum() == 626
        assert set(conv.loc[split, "how"]) == {"split-by-location", "split-by-nearest"}
        located = conv[conv["how"] == "split-by-location"]
        polygons = geo.lsoas().set_index("lsoa").geometry
        points = gpd.GeoSeries(
            gpd.points_from_xy(located["longitude"], located["latitude"]), crs=4326
        ).to_crs(27700)
        assert shapely.within(points.to_numpy(), polygons.loc[located["lsoa"]].to_numpy()).all()


# ----------------------------------------------------------------------------- population
def test_population_2019_total_and_year_used(geo, geo11):
    pop11 = geo11.population(2019)
    assert pop11["population"].sum() == 332_900
    assert len(pop11) == 182 and pop11.index.name == "lsoa"
    pop21 = geo.population(2019)
    assert len(pop21) == 179
    assert pop21["population"].sum() == pytest.approx(332_900, abs=1e-6)
    assert pop21.attrs["year"] == 2019 and "shared equally" in pop21.attrs["method"]
    for asked, used in [(2018, 2019), (2016, 2017), (2017, 2017), (2030, 2020), ("2020", 2020)]:
        p = geo.population(asked)
        assert (p["year"] == used).all() and p.attrs["requested_year"] == int(asked)
    with pytest.raises(ParamsError, match="whole year"):
        geo.population("last year")


def test_population_conversion_sums_merges_and_halves_splits(geo):
    raw = pd.read_csv(REF / "population" / "population19_lsoa11.csv.gz", dtype={"lsoa11_code": str})
    raw = raw.set_index("lsoa11_code")["total_population"]
    pop = geo.population(2019)["population"]
    assert pop["E01035507"] == raw["E01013974"] + raw["E01013975"]
    assert pop["E01035501"] == pop["E01035502"] == raw["E01033404"] / 2
    assert pop["E01013810"] == raw["E01013810"]


def test_apportion_preserves_totals(national_lookup):
    lookup = national_lookup.rename(columns={"lsoa11_code": "lsoa11", "lsoa21_code": "lsoa21"})
    values = pd.Series(1.0, index=lookup["lsoa11"].unique())
    moved = apportion(values, lookup, "2011", "2021")
    assert moved.sum() == pytest.approx(len(values))
    assert moved.index.nunique() == lookup["lsoa21"].nunique()


# ----------------------------------------------------------------------------- deprivation
def test_deprivation_editions(geo, geo11):
    d11 = geo11.deprivation()
    assert len(d11) == 182 and (d11["imd_decile"] == 1).sum() == 56
    assert set(d11["edition"]) == {"IMD2019"} and d11["imd_score"].isna().all()
    d21 = geo.deprivation()
    raw = pd.read_csv(REF / "deprivation" / "iod2025_england_lsoa21.csv.gz").set_index(
        "lsoa21_code"
    )
    raw = raw.loc[d21.index]
    assert d21.attrs["edition"] == "IoD2025" and len(d21) == 179
    assert (d21["imd_decile"] == raw["IMD_decile"]).all()
    assert np.allclose(d21["imd_score"], raw["IMD_score"])
    assert (d21["imd_decile"] == 1).sum() == (raw["IMD_decile"] == 1).sum() > 0


def test_deprivation_of_a_welsh_partnership_is_missing_with_a_note():
    cardiff = Geography(REF, csp_code=find_partnership(REF, "Cardiff").csp_code)
    d = cardiff.deprivation()
    assert d.index.equals(cardiff.lsoa_table.index) and len(d) == 218
    assert d["imd_decile"].isna().all() and d["imd_rank"].isna().all()
    assert d["edition"].isna().all() and d.attrs["edition"] is None
    note = d.attrs["note"]
    assert "cover England only: all 218 LSOAs of Cardiff are in Wales" in note
    assert "Welsh Index of Multiple Deprivation is not shipped" in note
    # the population files cover Welsh LSOAs (2011 codes, converted to 2021)
    pop = cardiff.population(2019)
    assert len(pop) == 218 and pop["population"].gt(0).all()


def test_deprivation_of_an_area_in_both_countries_keeps_the_english_deciles(geo):
    mixed = Geography(REF, la_codes=[NOTTINGHAM, "W06000015"])
    d = mixed.deprivation()
    english = d.loc[geo.lsoa_table.index]
    assert english["imd_decile"].notna().all() and (english["edition"] == "IoD2025").all()
    assert (english["imd_decile"] == geo.deprivation()["imd_decile"]).all()
    assert d["imd_decile"].isna().sum() == 218 and d.index.str.startswith("W").sum() == 218
    assert d.attrs["edition"] == "IoD2025"
    assert "218 of the 397 LSOAs of Nottingham, Cardiff are in Wales" in d.attrs["note"]
    assert "note" not in geo.deprivation().attrs


def test_an_english_lsoa_missing_from_the_indices_is_an_error(tmp_path):
    from csplib.ingest.geography.measures import lsoa_deprivation

    folder = tmp_path / "deprivation"
    folder.mkdir()
    pd.DataFrame({"lsoa21_code": ["E01013810"], "IMD_decile": [1], "IMD_rank": [10]}).to_csv(
        folder / "iod2025_england_lsoa21.csv.gz", index=False
    )
    with pytest.raises(DataError, match=r"no IoD2025 row for 1 LSOA\(s\) of X, e.g. E01013811"):
        lsoa_deprivation(tmp_path, ["E01013810", "E01013811"], vintage="2021", area="X")


# ----------------------------------------------------------------------------- boundaries
def test_boundaries_for_nottingham(geo, geo11):
    wards = geo.wards()
    assert len(wards) == 20 and wards.crs.to_epsg() == 27700
    assert wards["ward"].tolist() == geo.ward_table.index.tolist()
    assert list(wards.columns) == ["ward", "ward_name", "la", "lsoa_count", "geometry"]
    assert (wards.set_index("ward")["lsoa_count"] == geo.ward_table["lsoa_count"]).all()
    lsoas = geo.lsoas()
    assert len(lsoas) == 179 and lsoas.crs.to_epsg() == 27700
    assert lsoas["geometry"].notna().all()
    assert len(geo11.lsoas()) == 182
    # the wards are their LSOAs: the same area, to the square metre
    assert wards.area.sum() == pytest.approx(lsoas.area.sum(), abs=1.0)


def test_wards_of_a_2011_geography_are_drawn_from_the_2021_lsoas(geo, geo11):
    w11, w21 = geo11.wards(), geo.wards()
    assert w11["ward"].tolist() == w21["ward"].tolist()
    assert shapely.equals(w11.geometry.to_numpy(), w21.geometry.to_numpy()).all()
    # lsoa_count is the geography's own vintage: 182 LSOA11s, 179 LSOA21s
    assert w11["lsoa_count"].sum() == 182 and w21["lsoa_count"].sum() == 179
    counts11 = geo11.lsoa_table.groupby("ward").size()
    assert (w11.set_index("ward")["lsoa_count"] == counts11).all()


def test_a_ward_with_no_lsoa11_of_its_own_is_drawn_with_a_zero_count():
    # Slough's ward E05015542 is made of pieces of two split LSOA11s whose other pieces
    # (the majority) lie in other wards, so in 2011 codes it holds no LSOA
    slough = Geography(REF, la_codes=["E06000039"], vintage="2011")
    wards = slough.wards().set_index("ward")
    assert "E05015542" not in slough.ward_table.index
    assert wards.loc["E05015542", "lsoa_count"] == 0 and wards.loc["E05015542"].geometry.area > 0
    assert wards["lsoa_count"].sum() == len(slough.lsoa_table)
    assert len(wards) == len(slough.ward_table) + 1


def test_boundaries_missing_are_named(tmp_path, national_lookup):
    for folder in ("lookups", "population", "deprivation"):
        (tmp_path / folder).symlink_to(REF / folder)
    (tmp_path / "boundaries").mkdir()
    gedling = Geography(tmp_path, la_codes=["E07000173"])
    with pytest.raises(DataError, match=r"no lsoa21 boundary file .* covers Gedling.*Add"):
        gedling.lsoas()
    with pytest.raises(DataError, match=r"lsoa21_england_wales"):
        gedling.wards()
    # without boundaries, split LSOAs fall back to the rule
    split = national_lookup[national_lookup["change_code"] == "S"]
    code = split["lsoa11_code"].iloc[0]
    res = gedling.to_vintage(
        pd.DataFrame({"lsoa": [code], "lsoa_vintage": "2011", "longitude": -1.1, "latitude": 53.0}),
        method_column="how",
    )
    assert res.frame["how"].tolist() == ["split-by-rule"]
    assert (
        res.frame["lsoa"].iloc[0]
        == sorted(split.loc[split["lsoa11_code"] == code, "lsoa21_code"])[0]
    )


def test_a_ward_file_given_overrides_the_drawn_wards(tmp_path, geo):
    drawn = geo.wards()
    squares = gpd.GeoDataFrame(
        {"WD24CD": drawn["ward"], "WD24NM": drawn["ward_name"]},
        geometry=[shapely.box(0, 0, 10 * (i + 1), 10) for i in range(len(drawn))],
        crs=27700,
    )
    squares.to_file(tmp_path / "wards.gpkg")
    g = Geography(REF, la_codes=[NOTTINGHAM], boundaries={"ward": tmp_path / "wards.gpkg"})
    given = g.wards()
    assert given["ward"].tolist() == drawn["ward"].tolist()
    assert given.area.tolist() == [100.0 * (i + 1) for i in range(20)]
    assert given["lsoa_count"].tolist() == drawn["lsoa_count"].tolist()
    short = tmp_path / "short_wards.gpkg"
    squares.iloc[1:].to_file(short)
    with pytest.raises(DataError, match="boundary file lacks 1 ward code"):
        Geography(REF, la_codes=[NOTTINGHAM], boundaries={"ward": short}).wards()
    assert (
        find_boundary_file(REF, "lsoa11", ["E01033404"]).name == "lsoa11_england_wales.geojson.gz"
    )


PARTNERSHIPS = ["Leeds", "Bradford", "Mansfield", "South Nottinghamshire", "Cardiff"]


@pytest.fixture(scope="module")
def ward_lookup():
    return pd.read_csv(REF / "lookups" / "lookup_lsoa21_ward24_ltla24.csv.gz", dtype=str)


@pytest.mark.parametrize("name", PARTNERSHIPS)
def test_drawn_wards_tile_the_partnership(name, ward_lookup):
    p = find_partnership(REF, name)
    geo = Geography(REF, csp_code=p.csp_code)
    rows = ward_lookup[ward_lookup["ltla24_code"].isin(p.la_codes)]
    wards, lsoas = geo.wards(), geo.lsoas()
    # one polygon per ward of the lookup, each holding that ward's LSOAs
    assert sorted(wards["ward"]) == sorted(set(rows["ward24_code"]))
    expected = rows.groupby("ward24_code").size()
    assert (wards.set_index("ward")["lsoa_count"] == expected.reindex(wards["ward"])).all()
    assert wards.geometry.notna().all() and wards.is_valid.all()
    # the same ground as the LSOAs, and no overlap between wards
    lsoa_area = lsoas.union_all().area
    assert wards.union_all().area == pytest.approx(lsoa_area, rel=1e-3)
    assert wards.area.sum() == pytest.approx(lsoa_area, rel=1e-3)
    # each LSOA lies in exactly one ward polygon: its own ward's
    points = lsoas.representative_point().to_numpy()
    inside = shapely.contains(wards.geometry.to_numpy()[:, None], points[None, :])
    assert (inside.sum(axis=0) == 1).all()
    assert (wards["ward"].to_numpy()[inside.argmax(axis=0)] == lsoas["ward"].to_numpy()).all()


def test_national_boundaries_are_read_once_per_process(tmp_path, monkeypatch, geo):
    import pyogrio

    folder = tmp_path / "boundaries"
    folder.mkdir()
    polygons = geo.lsoas().head(3)
    path = folder / "x_lsoa21.geojson"
    gpd.GeoDataFrame(
        {"lsoa21_code": polygons["lsoa"]}, geometry=polygons.geometry.to_numpy(), crs=27700
    ).to_file(path)
    calls = []
    real = pyogrio.read_dataframe
    monkeypatch.setattr(pyogrio, "read_dataframe", lambda *a, **k: calls.append(a) or real(*a, **k))
    found = find_boundary_file(tmp_path, "lsoa21", polygons["lsoa"])
    first = read_boundaries(found, "lsoa21", polygons["lsoa"])
    first["geometry"] = None  # a caller's change does not reach the cached read
    again = read_boundaries(found, "lsoa21", polygons["lsoa"].iloc[:1])
    assert len(calls) == 1 and again.geometry.notna().all() and len(again) == 1
    # a changed file (size and modification time) is read again
    gpd.GeoDataFrame(
        {"lsoa21_code": polygons["lsoa"].iloc[:2]},
        geometry=polygons.geometry.to_numpy()[:2],
        crs=27700,
    ).to_file(path)
    assert len(read_boundaries(path, "lsoa21")) == 2 and len(calls) == 2


# ----------------------------------------------------------------------------- ward profiles
def test_ward_profile_counts_and_population(geo):
    table = geo.lsoa_table
    rng = np.random.default_rng(7)
    codes = rng.choice(table.index.to_numpy(), size=500)
    cats = rng.choice(["Burglary", "Drugs"], size=500)
    incidents = pd.DataFrame({"lsoa": codes, "category": cats})
    profile = geo.ward_profile(incidents, by="category", population=2019)
    expected = incidents.assign(ward=table.loc[codes, "ward"].to_numpy())
    expected = expected.groupby(["ward", "category"]).size().unstack(fill_value=0)
    expected = expected.reindex(geo.ward_table.index, fill_value=0)
    assert (profile[["Burglary", "Drugs"]] == expected[["Burglary", "Drugs"]]).all().all()
    assert profile["population"].sum() == pytest.approx(332_900)
    assert profile.index.name == "ward" and len(profile) == 20
    by_lsoa = incidents.groupby("lsoa").size().rename("n")
    assert (geo.ward_profile(by_lsoa)["n"] == profile[["Burglary", "Drugs"]].sum(axis=1)).all()
    with pytest.raises(DataError, match="not 2021 LSOAs of Nottingham"):
        geo.ward_profile(pd.DataFrame({"lsoa": ["E01019420"]}))


def test_boundary_discovery_reads_ons_names_and_skips_points(tmp_path):
    folder = tmp_path / "boundaries"
    folder.mkdir()
    polygons = Geography(REF, la_codes=[NOTTINGHAM]).lsoas().head(3)
    ons = gpd.GeoDataFrame(
        {"LSOA21CD": polygons["lsoa"], "LSOA21NM": polygons["lsoa_name"]},
        geometry=polygons.geometry.to_crs(4326).to_numpy(),
        crs=4326,
    )
    points = ons.set_geometry(polygons.centroid.to_crs(4326).to_numpy())
    points.to_file(folder / "a_lsoa21_centroids.geojson")
    codes = polygons["lsoa"].tolist()
    with pytest.raises(DataError, match=r"a_lsoa21_centroids.geojson \(not polygons: Point\)"):
        find_boundary_file(tmp_path, "lsoa21", codes)
    ons.to_file(folder / "b_lsoa21_boundaries.geojson")
    found = find_boundary_file(tmp_path, "lsoa21", codes)
    assert found.name == "b_lsoa21_boundaries.geojson"
    gdf = read_boundaries(found, "lsoa21")
    assert list(gdf.columns) == ["code", "name", "geometry"] and gdf.crs.to_epsg() == 27700
    assert gdf["code"].tolist() == sorted(codes)
    assert gdf.area.sum() == pytest.approx(polygons.area.sum(), rel=1e-6)


def test_ward_boundaries_with_plain_code_columns_are_read(tmp_path):
    """A ward file whose columns are ``ward_code``/``ward_name`` (no year) is accepted, and a
    file with no code column is refused with the pattern expected and the columns found."""
    import geopandas as gpd
    from shapely.geometry import box

    from csplib.core.errors import DataError
    from csplib.ingest.geography.reference import _boundary_columns

    plain = tmp_path / "wards.geojson"
    gpd.GeoDataFrame(
        {"ward_code": ["E05000001"], "ward_name": ["A"]}, geometry=[box(0, 0, 1, 1)], crs=4326
    ).to_file(plain)
    assert _boundary_columns(plain, "ward") == ("ward_code", "ward_name")
    bad = tmp_path / "bad_wards.geojson"
    gpd.GeoDataFrame({"label": ["A"]}, geometry=[box(0, 0, 1, 1)], crs=4326).to_file(bad)
    with pytest.raises(DataError, match=r"no ward code column .*such as 'ward_code'.*found label"):
        _boundary_columns(bad, "ward")
