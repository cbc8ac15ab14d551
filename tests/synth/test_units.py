"""The generator's parts: sampling, calibration tables, expected counts, victims."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest
from scipy import stats

from csplib.core.schema import ASB, POLICE_UK_CATEGORIES, VICTIM_BASED_CATEGORIES
from csplib.synth import calibration as cal
from csplib.synth.effects import planted_multipliers
from csplib.synth.levels import base_levels, expected_counts, timeline
from csplib.synth.realdata import load_real_data
from csplib.synth.sampling import SegmentSampler, hex_ids, pseudonyms, stream
from csplib.synth.victims import _hate_victims, _top_k


@pytest.fixture(scope="module")
def real():
    return load_real_data("data")


@pytest.fixture(scope="module")
def levels(real):
    tl = timeline()
    return tl, expected_counts(real, planted_multipliers(tl.months, real.lsoa), tl)


# ------------------------------------------------------------------------- sampling
def test_segment_sampler_draws_in_proportion_to_weights():
    weights = np.array([1.0, 2.0, 7.0, 0.0, 5.0, 5.0])
    segment = np.array([0, 0, 0, 1, 2, 2])
    sampler = SegmentSampler(segment, weights, 3)
    rng = np.random.default_rng(1)
    draws = sampler.sample(rng, np.zeros(50_000, dtype=int))
    observed = np.bincount(draws, minlength=6)[:3]
    assert stats.chisquare(observed, 50_000 * weights[:3] / 10).pvalue > 0.001
    assert set(sampler.sample(rng, np.full(1_000, 2))) == {4, 5}
    with pytest.raises(ValueError, match="segment 1 has no entry with a positive weight"):
        sampler.sample(rng, np.array([1]))


def test_segment_sampler_handles_unsorted_segments_and_zero_weights():
    sampler = SegmentSampler(np.array([1, 0, 1, 0]), np.array([0.0, 1.0, 3.0, 0.0]), 2)
    rng = np.random.default_rng(0)
    assert set(sampler.sample(rng, np.zeros(500, dtype=int))) == {1}
    assert set(sampler.sample(rng, np.ones(500, dtype=int))) == {2}


def test_streams_are_independent_and_reproducible():
    a = stream(5, 2020, "rows").random(4)
    assert np.array_equal(a, stream(5, 2020, "rows").random(4))
    assert not np.array_equal(a, stream(5, 2021, "rows").random(4))
    assert not np.array_equal(a, stream(5, 2020, "victims").random(4))


def test_identifiers():
    ids = hex_ids(np.random.default_rng(3), 20_000)
    assert ids.str.contains(r"^[0-9a-f]{64}$").all() and ids.n_unique() == 20_000
    people = pseudonyms(9, 0, np.arange(300_000), "V")
    assert people.n_unique() == 300_000 and people.str.contains(r"^V[0-9A-F]{16}$").all()
    assert pseudonyms(9, 1, np.arange(5), "V").to_list() != people[:5].to_list()


def test_weighted_sample_without_replacement():
    rng = np.random.default_rng(0)
    weights = np.array([0.0, 1.0, 1.0, 100.0, 1.0])
    picks = [tuple(_top_k(rng, weights, 2)) for _ in range(2_000)]
    assert all(0 not in p and len(set(p)) == 2 for p in picks)
    assert np.mean([3 in p for p in picks]) > 0.95


# ------------------------------------------------------------------------- calibration
def test_tables_cover_every_category_and_year():
    assert set(cal.CATEGORY_DRIFT) == set(VICTIM_BASED_CATEGORIES)
    assert set(cal.CATEGORY_DRIFT) | set(cal.CATEGORY_INDEX) | {ASB} == set(POLICE_UK_CATEGORIES)
    for table in (cal.CATEGORY_DRIFT, cal.CATEGORY_INDEX):
        assert all(len(v) == len(cal.FINANCIAL_YEARS) for v in table.values())
    for path in (cal.VICTIM_BASED_PATH, cal.ASB_PATH, cal.HATE_CRIME_PATH, cal.HATE_REPEAT_PATH):
        assert tuple(path) == cal.FINANCIAL_YEARS
    for key, path in (
        ("victim_based_crime", cal.VICTIM_BASED_PATH),
        ("asb_incidents", cal.ASB_PATH),
        ("hate_repeat_victim_pct", cal.HATE_REPEAT_PATH),
    ):
        assert all(path[y] == v for y, v in cal.TARGETS[key].items())
    assert set(cal.SEASONALITY) == set(cal.COVID_ELASTICITY) == set(POLICE_UK_CATEGORIES)
    assert (
        set(cal.CATEGORY_INDEX["Other crime"]) == {1.0} and cal.COVID_ELASTICITY["Other crime"] == 0
    )


def test_seasonal_profiles():
    asb = cal.seasonal_profile(ASB)
    assert asb.mean() == pytest.approx(1.0)
    assert asb[5:8].mean() / asb[[11, 0, 1]].mean() > 1.3  # June-August vs December-February
    burglary = cal.seasonal_profile("Burglary")
    assert burglary[[10, 11, 0]].mean() > burglary[5:8].mean()
    shop = cal.seasonal_profile("Shoplifting")
    assert shop.argmax() == 11


def test_lockdown_dates():
    days = np.array(
        ["2020-03-22", "2020-03-23", "2020-11-05", "2021-01-06", "2021-07-19"],
        dtype="datetime64[D]",
    )
    assert cal.daily_stringency(days).tolist() == [0.0, 1.0, 0.85, 0.9, 0.0]
    assert cal.fy_label(2014) == "2014/15"


def test_timeline():
    tl = timeline()
    assert len(tl.months) == 132 and tl.labels[0] == "2014-04" and tl.labels[-1] == "2025-03"
    assert np.bincount(tl.fy - 2014).tolist() == [12] * 11
    assert tl.days[tl.index("2020-02")] == 29 and tl.days[tl.index("2019-02")] == 28


# ------------------------------------------------------------------------- levels
def test_base_levels_keep_the_real_mix_without_zeros(real):
    base = base_levels(real)
    city = real.lsoa["city"].to_numpy()
    assert (base > 0).all()
    r = np.corrcoef(base[city].ravel(), real.counts[city].ravel())[0, 1]
    assert r > 0.98
    # about five months of real rows, a little more once deseasonalised
    assert 0.95 < 5 * base[city].sum() / real.counts[city].sum() < 1.1


def test_expected_totals_equal_the_paths(real, levels):
    tl, lv = levels
    city = real.lsoa["city"].to_numpy()
    vb = list(cal.VB_INDEX)
    for year in cal.FINANCIAL_YEARS:
        months = tl.fy == year
        assert lv.mu[months][:, city][:, :, vb].sum() == pytest.approx(cal.VICTIM_BASED_PATH[year])
        assert lv.mu[months][:, city, 0].sum() == pytest.approx(cal.ASB_PATH[year])
    # the fitted group level is smooth: no jump at a year boundary above 5%
    assert np.abs(np.diff(np.log(lv.g_vb))).max() < 0.05
    assert np.abs(np.diff(np.log(lv.g_asb))).max() < 0.05


def test_stable_category_expectation_is_flat_but_seasonal(real, levels):
    tl, lv = levels
    c = POLICE_UK_CATEGORIES.index("Other crime")
    yearly = np.array([lv.mu[tl.fy == y][:, :, c].sum() for y in cal.FINANCIAL_YEARS])
    assert yearly.max() / yearly.min() < 1.005  # leap years only
    monthly = lv.mu[:12, :, c].sum(axis=1) / tl.days[:12]
    assert monthly.max() / monthly.min() > 1.05


def test_covid_profile_of_expected_counts(real, levels):
    tl, lv = levels
    asb = ASB and 0
    burglary = POLICE_UK_CATEGORIES.index("Burglary")
    april = tl.index("2020-04")
    assert lv.covid[april, asb] == pytest.approx(1.6)
    assert lv.covid[april, burglary] == pytest.approx(0.65)
    march = tl.index("2020-03")
    assert lv.covid[march, asb] == pytest.approx(1 + 0.6 * 9 / 31)  # from 23 March
    assert (lv.covid[tl.index("2021-08") :] == 1).all()


def test_planted_multipliers(real):
    tl = timeline()
    m = planted_multipliers(tl.months, real.lsoa)
    ward = real.lsoa["ward"].to_numpy()
    weapons = POLICE_UK_CATEGORIES.index("Possession of weapons")
    bulwell = np.flatnonzero(ward == "Bulwell")[0]
    jan22 = tl.index("2022-01")
    assert m[jan22 - 1, bulwell, weapons] == 1.0
    assert m[jan22 + 12, bulwell, weapons] == pytest.approx(1.4)
    assert m[jan22 + 24, bulwell, weapons] == pytest.approx(1.96)
    untouched = m.copy()
    untouched[:, np.isin(ward, ["Bulwell", "St. Ann's"]), weapons] = 1
    untouched[:, np.isin(ward, ["Radford", "Hyson Green & Arboretum"]), 2] = 1
    untouched[:, (real.lsoa["code"] == "E01013836").to_numpy(), 0] = 1
    assert (untouched == 1).all()


# ------------------------------------------------------------------------- victims
@pytest.mark.parametrize("year", [2018, 2019, 2020, 2021, 2024])
def test_hate_victim_construction_hits_the_repeat_share(year):
    rng = np.random.default_rng(year)
    lsoa = rng.integers(0, 182, cal.HATE_CRIME_PATH[year])
    victim_of, strands, info = _hate_victims(rng, year, lsoa)
    counts = np.bincount(victim_of)
    assert len(counts) == info["victims"] == len(strands)
    assert (counts >= 1).all()
    share = 100 * (counts >= 2).mean()
    assert abs(share - cal.HATE_REPEAT_PATH[year]) < 0.1
    # most repeat victims have all their crimes in one LSOA (here ~7 crimes an LSOA)
    frame = pd.DataFrame({"victim": victim_of, "lsoa": lsoa})
    repeats = frame[frame["victim"].isin(np.flatnonzero(counts >= 2))]
    assert repeats.groupby("victim")["lsoa"].nunique().eq(1).mean() > 0.7
    assert pd.Series(strands).value_counts().index[0] == "race"


def test_no_misogyny_strand_before_2016():
    rng = np.random.default_rng(0)
    _, strands, _ = _hate_victims(rng, 2015, np.zeros(880, dtype=int))
    assert "sex/gender" not in set(strands)
    _, strands, _ = _hate_victims(rng, 2017, np.zeros(1180, dtype=int))
    assert "sex/gender" in set(strands)


def test_real_inputs(real):
    assert real.lsoa["code"].is_unique
    assert set(real.lsoa.loc[~real.lsoa["city"], "la_name"]) == {
        "Gedling",
        "Broxtowe",
        "Rushcliffe",
    }
    assert real.conversion.groupby("l")["weight"].sum().round(9).eq(1).all()
    city = real.conversion[real.lsoa["city"].to_numpy()[real.conversion["l"]]]
    assert city["code21"].nunique() == 179
    labels, table = real.outcomes["2024"]
    assert "Under investigation" in set(labels) and table[0].sum() == 0  # none for ASB
    mix = pl.from_pandas(real.offences)
    assert mix.filter(pl.col("code") == "46")["c"].item() == POLICE_UK_CATEGORIES.index(
        "Shoplifting"
    )
