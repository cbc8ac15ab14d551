"""Places: area counts and rates, Getis-Ord Gi* hotspots, emerging hotspots, ward profiles.

Gi* is checked on regular grids with a known hotspot, on random grids (no hotspot), and
against a hand computation of the Ord & Getis (1995) z-score with neighbourhoods built by
index arithmetic (not by libpysal). Real-geography checks use the project's reference data
(data/reference) for Nottingham.
"""

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from shapely.geometry import box

from csplib.core.errors import DataError, ParamsError
from csplib.core.schema import ASB, CRIME_CATEGORIES
from csplib.ingest.geography import Geography
from csplib.methods.places import (
    COLD,
    HOT,
    NO_NEIGHBOURS,
    NOT_SIGNIFICANT,
    GetisOrdHotspots,
    area_rates,
    emerging_hotspots,
    flagged_months,
    spatial_weights,
    ward_profiles,
)

REPO = Path(__file__).resolve().parents[2]
REF = REPO / "data" / "reference"
NEW_HOTSPOT = "E01013836"  # the synthetic data's new ASB hotspot (Nottingham 008E)


# ----------------------------------------------------------------------------- helpers
def grid(values, size=10):
    """A size x size grid of unit squares; cell (r, c) is row r * size + c."""
    cells = [box(c, r, c + 1, r + 1) for r in range(size) for c in range(size)]
    return gpd.GeoDataFrame({"value": np.asarray(values, dtype=float)}, geometry=cells)


def queen_sets(size):
    """Queen neighbourhoods of a grid from index arithmetic, the cell itself included."""
    hoods = []
    for r in range(size):
        for c in range(size):
            hoods.append(
                [
                    rr * size + cc
                    for rr in range(max(0, r - 1), min(size, r + 2))
                    for cc in range(max(0, c - 1), min(size, c + 2))
                ]
            )
    return hoods


def gi_star_z(x, hood):
    """Ord & Getis (1995), binary weights, self included."""
    x = np.asarray(x, dtype=float)
    n = len(x)
    xbar = x.mean()
    s = np.sqrt((x**2).mean() - xbar**2)
    w = len(hood)
    return (x[hood].sum() - xbar * w) / (s * np.sqrt((n * w - w**2) / (n - 1)))


def bh(p):
    """Benjamini-Hochberg q-values, written out."""
    p = np.asarray(p, dtype=float)
    n = len(p)
    order = np.argsort(p)
    ranked = p[order] * n / np.arange(1, n + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(n)
    out[order] = np.minimum(q, 1)
    return out


BLOCK = [r * 10 + c for r in range(3, 6) for c in range(3, 6)]


def far_from_block(size=10):
    """Cells at Chebyshev distance >= 2 from the 3 x 3 block (rows/cols 3-5)."""
    out = []
    for r in range(size):
        for c in range(size):
            dr = max(3 - r, r - 5, 0)
            dc = max(3 - c, c - 5, 0)
            if max(dr, dc) >= 2:
                out.append(r * size + c)
    return out


@pytest.fixture(scope="module")
def planted_grid():
    rng = np.random.default_rng(42)
    y = rng.poisson(5, 100).astype(float)
    y[BLOCK] = rng.poisson(30, len(BLOCK))
    return grid(y)


@pytest.fixture(scope="module")
def geo():
    return Geography(REF, la_codes=["E06000018"])


@pytest.fixture(scope="module")
def lsoas(geo):
    return geo.lsoas().set_index("lsoa")


def incidents_from_counts(counts: pd.Series, month: str, category: str = ASB) -> pd.DataFrame:
    """One row per incident from counts by LSOA."""
    codes = np.repeat(counts.index.to_numpy(), counts.to_numpy().astype(int))
    return pd.DataFrame(
        {"month": pd.Timestamp(month), "category": category, "lsoa": pd.array(codes, "str")}
    )


# ----------------------------------------------------------------------------- Gi* on grids
def test_planted_block_is_a_hot_spot_and_far_cells_are_not(planted_grid):
    res = GetisOrdHotspots(planted_grid, "value", permutations=99, seed=7).fit()
    t = res.table
    assert (t.loc[BLOCK, "classification"] == HOT).all()
    assert (t.loc[BLOCK, "q_value"] <= 0.05).all()
    far = far_from_block()
    assert not (t.loc[far, "classification"] == HOT).any()
    assert set(res.hot) >= set(BLOCK)
    # the centre of the block has the largest z
    assert t["z"].idxmax() == 44
    assert res.config["fdr"] == "Benjamini-Hochberg" and res.config["permutations"] == 99


def test_random_grids_give_almost_no_hot_spots():
    significant_fdr, significant_raw = 0, 0
    for seed in range(10):
        y = np.random.default_rng(seed).poisson(10, 100)
        fdr = GetisOrdHotspots(grid(y), "value", permutations=0).fit().table
        raw = GetisOrdHotspots(grid(y), "value", permutations=0, fdr=False).fit().table
        significant_fdr += int(fdr["significant"].sum())
        significant_raw += int(raw["significant"].sum())
    # 1,000 tests in all with no hotspot: FDR control leaves (almost) none
    assert significant_fdr <= 3
    assert significant_raw > significant_fdr


def test_z_scores_match_a_hand_computation(planted_grid):
    t = GetisOrdHotspots(planted_grid, "value", permutations=0).fit().table
    hoods = queen_sets(10)
    x = planted_grid["value"].to_numpy()
    for cell in (0, 9, 44, 37, 99, 50):
        assert t.loc[cell, "z"] == pytest.approx(gi_star_z(x, hoods[cell]), rel=1e-10)
        assert t.loc[cell, "neighbours"] == len(hoods[cell]) - 1
    assert np.allclose(t["p_norm"], 2 * stats.norm.sf(np.abs(t["z"])))
    assert np.allclose(t["q_value"], bh(t["p_norm"]))


def test_z_is_unchanged_by_a_shift_even_to_negative_values(planted_grid):
    base = GetisOrdHotspots(planted_grid, "value", permutations=0).fit().table
    moved = planted_grid.assign(value=planted_grid["value"] - 100)  # all negative
    res = GetisOrdHotspots(moved, "value", permutations=0).fit()
    assert np.allclose(res.table["z"], base["z"])
    assert (res.table.loc[BLOCK, "classification"] == HOT).all()
    assert res.config["shift"] > 0
    assert res.table["value"].max() < 0  # the values reported are the originals


def test_low_block_is_a_cold_spot():
    rng = np.random.default_rng(3)
    y = rng.poisson(30, 100).astype(float)
    y[BLOCK] = rng.poisson(3, len(BLOCK))
    t = GetisOrdHotspots(grid(y), "value", permutations=0).fit().table
    assert (t.loc[44, "classification"]) == COLD
    assert not (t["classification"] == HOT).any()


def test_permutation_p_values_are_reported_and_can_be_used(planted_grid):
    res = GetisOrdHotspots(planted_grid, "value", permutations=99, seed=1).fit()
    p = res.table["p_sim"]
    assert ((p >= 2 / 100) & (p <= 1)).all()
    # the block's centre: every one of its neighbours is high
    assert p[44] == pytest.approx(2 / 100)
    perm = GetisOrdHotspots(
        planted_grid, "value", permutations=99, seed=1, p_value="permutation"
    ).fit()
    assert np.allclose(perm.table["p_value"], p)
    assert np.allclose(perm.table["q_value"], bh(p))
    # same seed, same p-values
    again = GetisOrdHotspots(planted_grid, "value", permutations=99, seed=1).fit()
    assert np.array_equal(again.table["p_sim"], p)


def test_conditional_permutation_misses_a_one_cell_spike():
    """Why the normal p-value is the default: esda's permutations hold the cell fixed."""
    y = np.full(400, 5.0) + np.random.default_rng(0).poisson(1, 400)
    spike = 10 * 20 + 10
    y[spike] = 300
    t = GetisOrdHotspots(grid(y, size=20), "value", permutations=999, seed=1).fit().table
    assert t.loc[spike, "p_norm"] < 1e-6
    assert t.loc[spike, "p_sim"] > 0.1  # its neighbours are ordinary
    assert t.loc[spike, "classification"] == HOT


def test_constant_values_test_nothing():
    res = GetisOrdHotspots(grid(np.full(100, 4.0)), "value", permutations=0).fit()
    assert (res.table["classification"] == NOT_SIGNIFICANT).all()
    assert res.table["z"].isna().all()
    assert "same value" in res.note


# ----------------------------------------------------------------------------- islands
def grid_with_islands():
    g = grid(np.arange(100) % 7 + 1.0)
    far = gpd.GeoDataFrame(
        {"value": [50.0, 60.0, 3.0]},
        geometry=[box(30, 30, 31, 31), box(32, 30, 33, 31), box(14, 0, 15, 1)],
        index=[100, 101, 102],
    )
    return pd.concat([g, far])


def test_islands_are_linked_to_the_nearest_area():
    areas = grid_with_islands()
    w, islands, _ = spatial_weights(areas)
    assert islands == [100, 101, 102]
    # 100 and 101 are each other's nearest: one link, not two
    assert w.neighbors[100] == [101] and w.neighbors[101] == [100]
    assert w.neighbors[102] == [9]  # nearest grid cell (row 0, column 9)
    assert 102 in w.neighbors[9]
    res = GetisOrdHotspots(areas, "value", permutations=0).fit()
    assert res.islands == [100, 101, 102]
    assert res.table.loc[[100, 101, 102], "neighbours"].tolist() == [1, 1, 1]
    assert res.table.loc[[100, 101, 102], "z"].notna().all()
    assert "3 area(s) had no neighbour" in res.note


def test_islands_can_be_left_untested():
    areas = grid_with_islands()
    res = GetisOrdHotspots(areas, "value", permutations=0, islands="exclude").fit()
    t = res.table
    assert (t.loc[[100, 101, 102], "classification"] == NO_NEIGHBOURS).all()
    assert t.loc[[100, 101, 102], ["z", "p_value", "q_value"]].isna().all().all()
    assert res.config["tested"] == 100
    # the FDR correction runs over the 100 tested cells only
    assert np.allclose(t["q_value"].iloc[:100], bh(t["p_value"].iloc[:100]))


# ----------------------------------------------------------------------------- other weights
def test_distance_band_and_knn_weights(planted_grid):
    w, islands, used = spatial_weights(planted_grid, "distance_band", threshold=1.0)
    assert islands == [] and used == {"threshold": 1.0}
    assert sorted(w.neighbors[44]) == [34, 43, 45, 54]  # rook-like at distance 1
    w, _, used = spatial_weights(planted_grid, "distance_band")
    assert used["threshold"] == pytest.approx(1.0)  # the smallest giving everyone a neighbour
    w, _, used = spatial_weights(planted_grid, "knn", k=3)
    assert all(len(v) == 3 for v in w.neighbors.values())
    t = GetisOrdHotspots(planted_grid, "value", weights="rook", permutations=0).fit().table
    assert t.loc[44, "neighbours"] == 4 and t.loc[44, "classification"] == HOT


def test_bad_options_are_refused_with_the_rule(planted_grid):
    with pytest.raises(ParamsError, match="weights must be one of queen, rook"):
        GetisOrdHotspots(planted_grid, "value", weights="king")
    with pytest.raises(ParamsError, match="alpha must be a number strictly between 0 and 1"):
        GetisOrdHotspots(planted_grid, "value", alpha=0)
    with pytest.raises(ParamsError, match="islands must be one of nearest, exclude"):
        GetisOrdHotspots(planted_grid, "value", islands="drop")
    with pytest.raises(ParamsError, match="p_value must be one of normal, permutation"):
        GetisOrdHotspots(planted_grid, "value", p_value="exact")
    with pytest.raises(ParamsError, match="permutations >= 99"):
        GetisOrdHotspots(planted_grid, "value", p_value="permutation", permutations=0)
    with pytest.raises(ParamsError, match="knn weights need k="):
        GetisOrdHotspots(planted_grid, "value", weights="knn")
    with pytest.raises(ParamsError, match="threshold= does not apply to queen weights"):
        GetisOrdHotspots(planted_grid, "value", threshold=500)
    with pytest.raises(ParamsError, match="threshold must be a positive distance"):
        spatial_weights(planted_grid, "distance_band", threshold=-1)
    with pytest.raises(DataError, match="no column 'rate'"):
        GetisOrdHotspots(planted_grid, "rate")
    bad = planted_grid.assign(value=planted_grid["value"].where(planted_grid.index != 5))
    with pytest.raises(DataError, match="missing or infinite value for area 5"):
        GetisOrdHotspots(bad, "value")
    points = gpd.GeoDataFrame(
        {"value": [1.0, 2.0, 3.0]}, geometry=gpd.points_from_xy([0, 1, 2], [0] * 3)
    )
    with pytest.raises(DataError, match="must be polygons"):
        GetisOrdHotspots(points, "value")
    lonlat = planted_grid.set_crs(4326)
    with pytest.raises(ParamsError, match="projected CRS"):
        spatial_weights(lonlat, "distance_band")


# ----------------------------------------------------------------------------- area rates
def test_area_rates_counts_zero_fills_and_rates(geo):
    inc = pd.DataFrame(
        {
            "month": pd.to_datetime(
                ["2019-01-01"] * 4 + ["2019-02-01", "2018-12-01", "2019-01-01", "2019-01-01"]
            ),
            "category": [ASB, ASB, "Burglary", ASB, ASB, ASB, ASB, ASB],
            "lsoa": [
                "E01013810",
                "E01013810",
                "E01013810",
                "E01013811",
                "E01013811",
                "E01013811",  # December 2018: outside the period
                "E01019420",  # another authority: outside the area
                None,
            ],
        }
    )
    r = area_rates(inc, geo, period=("2019-01", "2019-02"), population_year=2019, categories=[ASB])
    assert len(r) == 179 and r.crs.to_epsg() == 27700
    assert r.loc["E01013810", "count"] == 2  # burglary left out
    assert r.loc["E01013811", "count"] == 2  # January and February
    assert int(r["count"].sum()) == 4
    assert int((r["count"] == 0).sum()) == 177  # true zeros, every LSOA listed
    # 2019 mid-year population of E01013810 is 1,892 (ONS, LSOA11 = LSOA21 here)
    assert r.loc["E01013810", "population"] == 1892.0
    assert r.loc["E01013810", "rate_per_1000"] == pytest.approx(2 / 1892 * 1000)
    assert r.loc["E01013810", "imd_decile"] == 1
    assert r.loc["E01013810", "name"] == "Nottingham 018A"
    assert r.attrs["outside"] == 1.0 and r.attrs["no_area"] == 1.0
    assert r.attrs["period"] == "Jan 19 - Feb 19" and r.attrs["complete"]

    w = area_rates(
        inc,
        geo,
        level="ward",
        period=("2019-01", "2019-02"),
        population_year=2019,
        categories=ASB,
    )
    assert len(w) == 20 and int(w["count"].sum()) == 4
    ward = geo.lsoa_table.loc["E01013810", "ward"]
    members = geo.lsoa_table.index[geo.lsoa_table["ward"] == ward]
    ward_pop = geo.population(2019)["population"].loc[members].sum()
    assert w.loc[ward, "population"] == pytest.approx(ward_pop)
    assert w.loc[ward, "rate_per_1000"] == pytest.approx(w.loc[ward, "count"] / ward_pop * 1000)
    deciles = geo.deprivation()["imd_decile"].loc[members]
    assert w.loc[ward, "deprived_lsoa_share"] == pytest.approx(100 * (deciles <= 2).mean())
    assert w.loc[ward, "lsoa_count"] == len(members)


def test_area_rates_refuses_uncovered_periods_and_other_vintages(geo):
    inc = pd.DataFrame(
        {"month": pd.to_datetime(["2019-01-01", "2019-03-01"]), "lsoa": ["E01013810"] * 2}
    )
    with pytest.raises(DataError, match="no rows at all for Feb 2019"):
        area_rates(inc, geo, period=("2019-01", "2019-03"), population_year=2019)
    r = area_rates(
        inc, geo, period=("2019-01", "2019-03"), population_year=2019, allow_incomplete=True
    )
    assert not r.attrs["complete"] and "missing: Feb 2019" in r.attrs["coverage"]
    old = pd.DataFrame({"month": pd.to_datetime(["2019-01-01"]), "lsoa": ["E01033404"]})
    old_geo = Geography(REF, la_codes=["E06000018"], vintage="2011")
    area_rates(old, old_geo, population_year=2019)  # a 2011 code in a 2011 geography: fine
    with pytest.raises(DataError, match="assign_area first"):
        area_rates(pd.DataFrame({"lsoa": ["E01000001"]}), geo, population_year=2019)
    with pytest.raises(ParamsError, match="unknown category 'Burglery'"):
        area_rates(
            inc.assign(category="Burglary"), geo, population_year=2019, categories="Burglery"
        )
    with pytest.raises(ParamsError, match="level must be one of lsoa, ward"):
        area_rates(inc, geo, level="msoa", population_year=2019)


# ----------------------------------------------------------------------------- real geography
def test_planted_cluster_on_real_lsoas_is_found(geo, lsoas):
    focus = lsoas.geometry.loc[NEW_HOTSPOT]
    touching = lsoas.index[lsoas.geometry.intersects(focus)]  # the LSOA and its neighbours
    assert 4 <= len(touching) <= 10
    rng = np.random.default_rng(2024)
    counts = pd.Series(rng.poisson(8, len(lsoas)), index=lsoas.index)
    counts[touching] = rng.poisson(60, len(touching))
    inc = incidents_from_counts(counts, "2024-01-01")
    rates = area_rates(inc, geo, period="Jan 24", population_year=2020)
    assert rates["count"].equals(counts.rename("count"))
    res = GetisOrdHotspots(rates, "count", permutations=99, seed=3).fit()
    t = res.table
    assert t.loc[NEW_HOTSPOT, "classification"] == HOT
    assert (t.loc[touching, "classification"] == HOT).mean() >= 0.8
    centroids = lsoas.geometry.centroid
    far = centroids.distance(centroids.loc[NEW_HOTSPOT]) > 3000
    assert far.sum() > 90
    assert not (t.loc[far[far].index, "classification"] == HOT).any()
    assert t.loc[NEW_HOTSPOT, "name"] == "Nottingham 008E"


def test_emerging_hotspot_is_new_and_an_established_one_is_not(geo, lsoas):
    rng = np.random.default_rng(11)
    centre = lsoas.index[lsoas.geometry.intersects(lsoas.geometry.loc["E01033400"])]
    assert NEW_HOTSPOT not in centre
    mean = pd.Series(10.0, index=lsoas.index)
    mean[centre] = 80.0  # an established hotspot, the same in both years
    before = pd.Series(rng.poisson(mean), index=lsoas.index)
    grown = mean.copy()
    grown[NEW_HOTSPOT] = 80.0  # x8 from one year to the next
    after = pd.Series(rng.poisson(grown), index=lsoas.index)
    inc = pd.concat(
        [incidents_from_counts(before, "2023-01-01"), incidents_from_counts(after, "2024-01-01")]
    )
    res = emerging_hotspots(inc, geo, current="Jan 24", permutations=99, seed=1)
    t = res.table
    row = t.loc[NEW_HOTSPOT]
    assert row["classification"] == "emerging hot spot"
    assert row["previous_class"] == NOT_SIGNIFICANT
    assert row["lsoa_change"] == "increase" and row["new_hotspot"]
    assert row["change"] == after[NEW_HOTSPOT] - before[NEW_HOTSPOT]
    assert row["count_current"] == after[NEW_HOTSPOT]
    # the established centre was already a hot spot and did not grow
    assert (t.loc[centre, "previous_class"] == HOT).mean() >= 0.5
    assert not t.loc[centre, "new_hotspot"].any()
    assert res.config["previous"] == "Jan 23" and res.config["measure"] == "difference"
    assert res.screen is not None and res.screen.table.loc[NEW_HOTSPOT, "flagged"]
    assert res.summary()["emerging hot spot"] == len(res.hot)
    with pytest.raises(ParamsError, match="must end before"):
        emerging_hotspots(inc, geo, current="Jan 24", previous="Jan 24 - Feb 24")
    with pytest.raises(ParamsError, match="measure must be one of difference, log_ratio"):
        emerging_hotspots(inc, geo, current="Jan 24", measure="ratio")


def test_a_falling_lsoa_in_a_rising_cluster_is_not_a_new_hotspot(geo, lsoas):
    """Gi* averages an LSOA with its neighbours: one whose own count fell inside a cluster of
    rises is an emerging hot spot on the map, but no sentence may call it a new hotspot."""
    focus = lsoas.geometry.loc[NEW_HOTSPOT]
    ring = lsoas.index[lsoas.geometry.intersects(focus)].drop(NEW_HOTSPOT)
    rng = np.random.default_rng(5)
    before = pd.Series(rng.poisson(10, len(lsoas)), index=lsoas.index)
    after = pd.Series(rng.poisson(10, len(lsoas)), index=lsoas.index)
    before[NEW_HOTSPOT], after[NEW_HOTSPOT] = 20, 10  # the centre falls by 10
    after[ring] = before[ring] + 60  # every neighbour rises by 60
    inc = pd.concat(
        [incidents_from_counts(before, "2023-01-01"), incidents_from_counts(after, "2024-01-01")]
    )
    t = emerging_hotspots(inc, geo, current="Jan 24", permutations=0).table
    row = t.loc[NEW_HOTSPOT]
    assert row["classification"] == "emerging hot spot" and row["change"] == -10
    assert row["previous_class"] == NOT_SIGNIFICANT and not row["new_hotspot"]
    assert t.loc[ring, "new_hotspot"].mean() >= 0.8


def test_emerging_hotspots_compare_like_for_like_months(geo, lsoas):
    """A month missing from the previous year is left out of both years, not scaled."""
    ones = pd.Series(1, index=lsoas.index)
    parts = [incidents_from_counts(ones * k, f"2023-{m:02d}-01") for m, k in ((1, 2), (3, 2))]
    parts += [
        incidents_from_counts(ones * k, f"2024-{m:02d}-01") for m, k in ((1, 2), (2, 9), (3, 2))
    ]
    inc = pd.concat(parts, ignore_index=True)  # no data at all in Feb 2023
    res = emerging_hotspots(inc, geo, current="Q1 2024", allow_incomplete=True, permutations=0)
    t = res.table
    n = len(lsoas)
    assert (t["count_current"].sum(), t["count_previous"].sum()) == (13 * n, 4 * n)
    # Feb 2024 (9 a month) is not set against a scaled Feb 2023: Jan and Mar only
    assert (t["count_compared"].sum(), t["previous_compared"].sum()) == (4 * n, 4 * n)
    assert (t["change"] == 0).all() and not t["new_hotspot"].any()
    assert res.config["comparison"] == "like-for-like: Jan and Mar (2 of 3 months)"
    assert res.config["scale"] == 1 and not res.config["complete"]
    assert "Previous period: 2 of 3 months (missing: Feb 2023)" in res.note
    with pytest.raises(DataError, match="no change to measure: no data for Q1 2022"):
        emerging_hotspots(inc, geo, current="Q1 2024", previous="Q1 2022", allow_incomplete=True)


def test_synthetic_new_asb_hotspot_is_found(tmp_path, geo):
    """The generator plants a new ASB hotspot in Nottingham 008E from October 2023."""
    from csplib.ingest.policeuk import read_policeuk
    from csplib.synth import generate

    generate(seed=1, out_dir=tmp_path / "synth", start="2022-10", end="2024-09")
    incidents = geo.assign_area(read_policeuk(tmp_path / "synth" / "police_uk").incidents).kept
    res = emerging_hotspots(
        incidents, geo, current=("2023-10", "2024-09"), categories=ASB, permutations=0
    )
    t = res.table
    assert t.loc[NEW_HOTSPOT, "new_hotspot"]
    assert t.loc[NEW_HOTSPOT, "lsoa_change"] == "increase"
    assert t.loc[NEW_HOTSPOT, "rate_ratio"] > 3
    # the screen flags no other LSOA: ASB has no other planted change
    assert list(t.index[t["lsoa_change"] != "none"]) == [NEW_HOTSPOT]
    # Gi* of the change places 008E among the strongest rises
    assert (t["z"] > t.loc[NEW_HOTSPOT, "z"]).sum() < 10


# ----------------------------------------------------------------------------- ward profiles
def test_ward_profiles_on_a_hand_made_fixture(geo):
    table = geo.lsoa_table
    ward_a = table.loc["E01013810", "ward"]  # Hyson Green & Arboretum
    other = table.index[table["ward"] != ward_a][0]
    ward_b = table.loc[other, "ward"]
    rows = (
        [("2019-01-01", "Burglary", "E01013810")] * 30
        + [("2019-01-01", ASB, "E01013810")] * 5
        + [("2019-01-01", "Burglary", other)] * 10
        + [("2018-01-01", "Burglary", "E01013810")] * 10
        + [("2018-01-01", "Burglary", other)] * 9
        + [("2018-01-01", ASB, other)] * 2
    )
    inc = pd.DataFrame(rows, columns=["month", "category", "lsoa"])
    inc["month"] = pd.to_datetime(inc["month"])
    themes = {"acq": {"name": "Acquisitive crime", "categories": ["Burglary", "Robbery"]}}
    p = ward_profiles(inc, geo, period="Jan 19", population_year=2019, themes=themes)
    assert len(p) == 20 * 4  # total, ASB, Burglary, the theme
    assert p.groupby("ward").size().eq(4).all()
    assert p.loc[p["ward"] == ward_a, "measure"].tolist() == [
        "All crime and ASB",
        ASB,
        "Burglary",
        "Acquisitive crime",
    ]
    burg = p[p["measure"] == "Burglary"].set_index("ward")
    a, b = burg.loc[ward_a], burg.loc[ward_b]
    assert (a["count"], b["count"], a["previous"], b["previous"]) == (30, 10, 10.0, 9.0)
    pop = geo.population(2019)["population"]
    pop_a = pop[table.index[table["ward"] == ward_a]].sum()
    assert a["population"] == pytest.approx(pop_a)
    assert a["rate_per_1000"] == pytest.approx(30 / pop_a * 1000)
    assert a["share_of_area"] == pytest.approx(75.0)
    assert b["share_of_area"] == pytest.approx(25.0)
    rates = burg["rate_per_1000"]
    assert a["rank"] == 1 + int((rates > a["rate_per_1000"]).sum())
    assert burg["rank"].max() == 3  # the 18 wards with none tie at rank 3
    # change: exact conditional binomial test, written out
    assert a["p_value"] == pytest.approx(stats.binomtest(30, 40, 0.5).pvalue)
    assert a["significant"] and a["direction"] == "up" and a["volume_change"] == 20
    assert not b["significant"] and b["direction"] == "none"
    assert a["pct_change"] == pytest.approx(200.0)
    deciles = geo.deprivation()["imd_decile"][table.index[table["ward"] == ward_a]]
    assert a["deprived_lsoa_share"] == pytest.approx(100 * (deciles <= 2).mean())
    total = p[p["measure"] == "All crime and ASB"].set_index("ward")
    assert total.loc[ward_a, "count"] == 35 and total.loc[ward_b, "previous"] == 11
    theme = p[p["kind"] == "theme"].set_index("ward")
    assert theme["count"].equals(burg["count"])
    assert p["complete"].all()
    assert p.attrs["previous_period"] == "Jan 18"
    assert p.attrs["test"] == "exact Poisson (conditional binomial)"


def test_ward_profiles_without_a_previous_year(geo):
    inc = pd.DataFrame(
        {"month": pd.to_datetime(["2019-01-01"]), "category": [ASB], "lsoa": ["E01013810"]}
    )
    p = ward_profiles(inc, geo, period="Jan 19", population_year=2019, total=None)
    assert len(p) == 20
    assert p["previous"].isna().all() and not p["significant"].any()
    assert not p["complete"].any()
    with pytest.raises(DataError, match="runs past the end"):
        ward_profiles(inc, geo, period="Jan 19 - Feb 19", population_year=2019)
    with pytest.raises(ParamsError, match="alpha must be"):
        ward_profiles(inc, geo, period="Jan 19", population_year=2019, alpha=1.5)


def test_ward_profiles_compare_only_months_covered_in_both_years(geo):
    """A month missing from the previous year is left out of both years (like with like)."""
    ward_a = geo.lsoa_table.loc["E01013810", "ward"]
    rows = []
    for month, n in (("2019-01-01", 10), ("2019-02-01", 30), ("2019-03-01", 10)):
        rows += [(month, "Burglary", "E01013810")] * n
    for month, n in (("2018-01-01", 10), ("2018-03-01", 10)):  # no data at all in Feb 2018
        rows += [(month, "Burglary", "E01013810")] * n
    inc = pd.DataFrame(rows, columns=["month", "category", "lsoa"])
    inc["month"] = pd.to_datetime(inc["month"])
    p = ward_profiles(inc, geo, period="Jan 19 - Mar 19", population_year=2019, total=None)
    row = p[p["ward"] == ward_a].iloc[0]
    assert int(row["count"]) == 50  # the period's count is not changed
    assert int(row["months_compared"]) == 2
    assert (row["count_compared"], row["previous_compared"]) == (20.0, 20.0)  # not 50 vs 20
    assert row["previous"] == 20.0 and row["previous_months"] == "2 of 3 months"
    assert row["months"] == "all 3 months"
    assert row["comparison"] == "like-for-like: Jan and Mar (2 of 3 months)"
    assert row["volume_change"] == 0 and row["direction"] == "none"
    assert row["p_value"] == pytest.approx(stats.binomtest(20, 40, 0.5).pvalue)
    assert not row["complete"]


def test_ward_profiles_leave_flagged_months_out_of_the_measures_counting_them(geo):
    ward_a = geo.lsoa_table.loc["E01013810", "ward"]
    rows = []
    for year in ("2018", "2019"):
        for month in ("01", "02", "03"):
            asb = 2 if (year, month) == ("2018", "03") else 40  # a release that lost its ASB
            rows += [(f"{year}-{month}-01", ASB, "E01013810")] * asb
            rows += [(f"{year}-{month}-01", "Burglary", "E01013810")] * 5
    inc = pd.DataFrame(rows, columns=["month", "category", "lsoa"])
    inc["month"] = pd.to_datetime(inc["month"])
    flags = pd.DataFrame({"category": [ASB], "month": pd.to_datetime(["2018-03-01"])})
    kwargs = dict(period="Jan 19 - Mar 19", population_year=2019)
    p = ward_profiles(inc, geo, exclude=flags, **kwargs).set_index(["measure", "ward"])
    asb = p.loc[(ASB, ward_a)]
    assert int(asb["months_compared"]) == 2
    assert (asb["count_compared"], asb["previous_compared"]) == (80.0, 80.0)
    assert (asb["count"], asb["previous"]) == (120, 82.0)  # the totals keep every month
    assert asb["comparison"] == "like-for-like: Jan and Feb (2 of 3 months)"
    burglary = p.loc[("Burglary", ward_a)]
    assert int(burglary["months_compared"]) == 3 and burglary["previous_compared"] == 15.0
    assert burglary["comparison"] == "all 3 months" and burglary["complete"]
    total = p.loc[("All crime and ASB", ward_a)]  # counts ASB: the flagged month is left out
    assert int(total["months_compared"]) == 2 and total["previous_compared"] == 90.0
    # without the flag, the lost ASB reads as a significant rise
    plain = ward_profiles(inc, geo, **kwargs).set_index(["measure", "ward"]).loc[(ASB, ward_a)]
    assert plain["previous_compared"] == 82.0 and plain["direction"] == "up"
    assert asb["direction"] == "none"
    with pytest.raises(DataError, match="exclude have no column"):
        ward_profiles(inc, geo, exclude=flags[["month"]], **kwargs)


def test_flagged_months_selects_the_categories_and_checks_columns():
    flags = pd.DataFrame(
        {
            "category": [ASB, ASB, "Drugs"],
            "month": pd.to_datetime(["2023-06-01", "2023-06-01", "2020-04-01"]),
        }
    )
    assert flagged_months(flags, [ASB]) == [pd.Timestamp("2023-06-01")]
    assert flagged_months(flags, CRIME_CATEGORIES) == [pd.Timestamp("2020-04-01")]
    # every category: a measure counting every incident
    assert flagged_months(flags) == [pd.Timestamp("2020-04-01"), pd.Timestamp("2023-06-01")]
    assert flagged_months(flags, []) == []
    assert flagged_months(None, [ASB]) == [] and flagged_months(flags.iloc[:0], [ASB]) == []
    with pytest.raises(DataError, match="no 'month' column"):
        flagged_months(flags[["category"]], [ASB])


def test_area_rates_across_the_welsh_border_leave_welsh_deprivation_blank(geo):
    both = Geography(REF, la_codes=["E06000018", "W06000015"])
    inc = pd.DataFrame(
        {"month": pd.Timestamp("2019-01-01"), "lsoa": both.lsoa_table.index.to_numpy()}
    )
    lsoas = area_rates(inc, both, period="Jan 19", population_year=2019)
    welsh = lsoas.index.str.startswith("W")
    assert welsh.sum() == 218 and lsoas.loc[welsh, "imd_decile"].isna().all()
    english = geo.deprivation()["imd_decile"]
    assert (lsoas.loc[~welsh, "imd_decile"] == english.reindex(lsoas.index[~welsh])).all()
    assert "218 of the 397 LSOAs" in lsoas.attrs["deprivation_note"]
    wards = area_rates(inc, both, level="ward", period="Jan 19", population_year=2019)
    cardiff = wards.index.isin(both.lsoa_table.loc[lsoas.index[welsh], "ward"])
    assert wards.loc[cardiff, "deprived_lsoa_share"].isna().all()
    alone = area_rates(inc.iloc[:0], geo, level="ward", period=None, population_year=2019)
    shares = wards.loc[~cardiff, "deprived_lsoa_share"]
    assert shares.equals(alone["deprived_lsoa_share"].reindex(shares.index))
    assert int(wards["count"].sum()) == len(inc)
    assert (
        area_rates(inc, geo, period="Jan 19", population_year=2019).attrs["deprivation_note"]
        is None
    )


def test_a_drawn_ward_without_lsoas_of_the_vintage_counts_nothing():
    slough = Geography(REF, la_codes=["E06000039"], vintage="2011")
    codes = slough.lsoa_table.index.to_numpy()
    inc = pd.DataFrame({"month": pd.Timestamp("2019-01-01"), "lsoa": np.repeat(codes, 2)})
    w = area_rates(inc, slough, level="ward", period="Jan 19", population_year=2019)
    empty = w.loc["E05015542"]  # made only of minority pieces of split LSOA11s
    assert (empty["lsoa_count"], empty["count"], empty["population"]) == (0, 0, 0.0)
    assert np.isnan(empty["rate_per_1000"]) and empty.geometry.area > 0
    assert (
        int(w["count"].sum()) == 2 * len(codes) and w["rate_per_1000"].notna().sum() == len(w) - 1
    )
    assert w["population"].sum() == pytest.approx(slough.population(2019)["population"].sum())
