"""The partner extract: one row per recorded crime in the city, with victims and flags.

The rows are the city's crimes of the street files (same month, LSOA and category; the
crimes published without a location have a blank LSOA here too), before the publication
defects: the extract holds the month missing from police.uk and no duplicate. Columns are
those of :data:`csplib.ingest.partner.PARTNER_FILE_COLUMNS`; one file per financial year,
``partner/synthetic_crimes_YYYY-YY.csv``.

* ``date``: a day of the month, weighted by weekday (violence, public order, robbery and
  theft from the person peak at weekends) and by the daily Covid-19 lockdown response.
* ``offence_code``: a Home Office code of the row's category, drawn from Nottinghamshire's
  recorded crime mix of 2017/18 (racially or religiously aggravated codes only for hate
  crimes of the race or religion strands).
* ``hate``: exactly :data:`~csplib.synth.calibration.HATE_CRIME_PATH` hate crimes a year
  (another area: its profile's path, Nottingham's scaled by its victim-based crime),
  spread over categories by :data:`HATE_CATEGORY_MIX`; ``hate_strand``: one per victim
  (:data:`HATE_STRANDS_MIX`, race most common; some race victims have two strands).
* ``victim_id``: hate crime victims are built so that the share of victims with two or more
  hate crimes in the year equals :data:`~csplib.synth.calibration.HATE_REPEAT_PATH`;
  domestic abuse victims come from a small pool per LSOA with heavy-tailed propensity;
  businesses (shoplifting, business robbery and burglary, making off without payment...)
  from a pool of businesses per LSOA (IDs starting ``B``); other victims from the residents
  of the LSOA or, for a share rising with the LSOA's crime per resident (the city centre),
  from anywhere in the city. Resident propensities are gamma-distributed and persist across
  years, so repeat victimisation arises as it does in real data.
* ``domestic``, ``weapon``: Bernoulli flags with rates by category and offence code.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import polars as pl

from csplib.synth.calibration import (
    CATEGORIES,
    COVID_ELASTICITY,
    HATE_REPEAT_PATH,
    daily_stringency,
)
from csplib.synth.levels import Timeline
from csplib.synth.realdata import RealData
from csplib.synth.sampling import SegmentSampler, pseudonyms, stream

__all__ = [
    "AGGRAVATED",
    "BUSINESS_CODES",
    "HATE_CATEGORY_MIX",
    "HATE_STRANDS_MIX",
    "DOMESTIC_SHARE",
    "VICTIM_SHARE",
    "WEAPON_SHARE",
    "VictimPools",
    "victim_pools",
    "partner_year",
    "partner_file_name",
]

#: Race/religion hate crimes take the aggravated code (with probability 0.9).
AGGRAVATED: dict[str, str] = {
    "8N": "8P",
    "105A": "105B",
    "8L": "8M",
    "9A": "9B",
    "58A": "58J",
    "58B": "58J",
    "58C": "58J",
    "58D": "58J",
}
_AGGRAVATED_CODES = frozenset(AGGRAVATED.values())
#: Offence codes whose victim is a business or organisation.
BUSINESS_CODES = frozenset({"34A", "30C", "30D", "31A", "46", "49A", "58B", "47", "41"})
#: Share of hate crimes in each category.
HATE_CATEGORY_MIX: dict[str, float] = {
    "Public order": 0.45,
    "Violence and sexual offences": 0.38,
    "Criminal damage and arson": 0.07,
    "Other theft": 0.03,
    "Robbery": 0.02,
    "Burglary": 0.02,
    "Other crime": 0.02,
    "Theft from the person": 0.01,
}
#: Strand of a hate crime victim. "sex/gender" (misogyny) from 2016/17 only: before, its
#: share goes to race. 5% of race victims also have the religion strand.
HATE_STRANDS_MIX: dict[str, float] = {
    "race": 0.70,
    "sexual orientation": 0.12,
    "religion": 0.06,
    "disability": 0.06,
    "transgender": 0.02,
    "sex/gender": 0.02,
    "other": 0.02,
}
#: Mean hate crimes per repeat victim (2 or more).
HATE_CRIMES_PER_REPEAT_VICTIM = 2.5
#: Share of a year's hate victims who were also hate victims the year before.
HATE_CARRYOVER = 0.08
#: Share of crimes flagged domestic abuse, by category (higher during lockdowns).
DOMESTIC_SHARE: dict[str, float] = {
    "Violence and sexual offences": 0.33,
    "Criminal damage and arson": 0.12,
    "Public order": 0.08,
    "Other theft": 0.05,
    "Other crime": 0.05,
    "Burglary": 0.04,
    "Robbery": 0.02,
    "Vehicle crime": 0.01,
}
DOMESTIC_LOCKDOWN = 0.25
#: Share of (non-hate, non-domestic) crimes with an identified victim, by category.
VICTIM_SHARE: dict[str, float] = {
    "Violence and sexual offences": 0.98,
    "Robbery": 1.0,
    "Burglary": 1.0,
    "Vehicle crime": 1.0,
    "Theft from the person": 1.0,
    "Bicycle theft": 1.0,
    "Shoplifting": 1.0,
    "Other theft": 0.95,
    "Criminal damage and arson": 0.95,
    "Public order": 0.6,
    "Other crime": 0.25,
}
#: Share of crimes flagged as involving a weapon, by offence code (then by category).
WEAPON_SHARE: dict[str, float] = {
    "2": 0.6,
    "5D": 0.4,
    "5E": 0.3,
    "3B": 0.1,
    "8N": 0.07,
    "8P": 0.07,
    "34A": 0.3,
    "34B": 0.25,
    "29A": 0.3,
    "31A": 0.3,
}
_WEAPON_BY_CATEGORY = {"Possession of weapons": 1.0, "Violence and sexual offences": 0.02}
_WEEKEND_HEAVY = (
    "Violence and sexual offences",
    "Public order",
    "Robbery",
    "Theft from the person",
)
_WEEKDAY = {
    "weekend": np.array([0.85, 0.85, 0.9, 0.95, 1.1, 1.3, 1.2]),
    "shops": np.array([1.02, 1.02, 1.02, 1.02, 1.05, 1.07, 0.8]),
    "flat": np.ones(7),
}
_VISITOR_MAX = 0.3  # share of victims from elsewhere in the city, at most the typical LSOA
_NS = {"resident": 0, "domestic": 1, "business": 2, "hate": 3}


def partner_file_name(year: int) -> str:
    """``2019 -> "synthetic_crimes_2019-20.csv"``.

    Examples
    --------
    >>> partner_file_name(2024)
    'synthetic_crimes_2024-25.csv'
    """
    return f"synthetic_crimes_{year}-{(year + 1) % 100:02d}.csv"


@dataclass(frozen=True)
class VictimPools:
    """Potential victims of each city LSOA (row ``l`` of the model LSOAs): residents,
    domestic abuse victims and businesses, each a :class:`SegmentSampler` over people with
    gamma-distributed propensity; ``local_share`` is the chance a victim of a crime in the
    LSOA lives there."""

    residents: SegmentSampler
    domestic: SegmentSampler
    businesses: SegmentSampler
    local_share: np.ndarray
    population: np.ndarray


def victim_pools(real: RealData, base: np.ndarray, seed: int) -> VictimPools:
    """Build the victim pools of the city (depend on the seed only).

    Parameters
    ----------
    real : RealData
    base : numpy.ndarray
        Base monthly level of each LSOA x category (:func:`~csplib.synth.levels.base_levels`).
    seed : int

    Returns
    -------
    VictimPools

    Examples
    --------
    >>> from csplib.synth.realdata import load_real_data
    >>> from csplib.synth.levels import base_levels
    >>> real = load_real_data("data")
    >>> pools = victim_pools(real, base_levels(real), seed=1)
    >>> int(pools.population.sum()), bool((pools.local_share[real.lsoa["city"]] > 0).all())
    (332900, True)
    """
    rng = stream(seed, 0, "pools")
    n_l = len(real.lsoa)
    city = real.lsoa["city"].to_numpy()
    pop = np.where(city, real.lsoa["population"].to_numpy(), 0)

    def pool(sizes, shape):
        seg = np.repeat(np.arange(n_l), sizes)
        return SegmentSampler(seg, rng.gamma(shape, 1.0, size=seg.size), n_l)

    residents = pool(pop, 0.25)
    domestic = pool(np.where(city, np.maximum(20, np.round(0.05 * pop)), 0).astype(int), 0.6)
    shop = CATEGORIES.index("Shoplifting")
    n_business = np.where(city, np.maximum(2, np.round(12 * base[:, shop] / 15)), 0)
    businesses = pool(n_business.astype(int), 1.0)
    crime_rate = base.sum(axis=1) / np.maximum(pop, 1)
    typical = np.median(crime_rate[city])
    local = np.where(city, (1 - _VISITOR_MAX) * np.minimum(1, typical / crime_rate), 0.0)
    return VictimPools(residents, domestic, businesses, local, pop)


def _offence_sampler(real: RealData) -> tuple[SegmentSampler, np.ndarray]:
    table = real.offences[~real.offences["code"].isin(_AGGRAVATED_CODES)]
    codes = table["code"].to_numpy().astype(str)
    return SegmentSampler(
        table["c"].to_numpy(), table["count"].to_numpy(float), len(CATEGORIES)
    ), codes


def _dates(rng, t_local, c, first_days, days_in_month) -> np.ndarray:
    """A date for each row: weekday and lockdown weighted day of its month."""
    n_m, n_c = len(first_days), len(CATEGORIES)
    d = np.arange(31)
    dates = first_days[:, None] + d[None, :]  # (months, 31)
    valid = d[None, :] < days_in_month[:, None]
    weekday = (dates - np.datetime64("1970-01-05")).astype(int) % 7
    level = daily_stringency(dates.ravel()).reshape(dates.shape)
    weights = np.zeros((n_m, n_c, 31))
    for k, name in enumerate(CATEGORIES):
        kind = "weekend" if name in _WEEKEND_HEAVY else "shops" if name == "Shoplifting" else "flat"
        w = _WEEKDAY[kind][weekday] * (1 + COVID_ELASTICITY[name] * level) * valid
        weights[:, k, :] = w
    seg = np.repeat(np.arange(n_m * n_c), 31)
    sampler = SegmentSampler(seg, weights.ravel(), n_m * n_c)
    day = sampler.sample(rng, t_local * n_c + c) % 31
    return first_days[t_local] + day


def _top_k(rng, weights: np.ndarray, k: int) -> np.ndarray:
    """Weighted sample of ``k`` distinct indices (Efraimidis-Spirakis keys)."""
    keys = np.full(weights.size, -np.inf)
    pos = weights > 0
    keys[pos] = np.log(rng.random(pos.sum())) / weights[pos]
    return np.sort(np.argsort(-keys, kind="stable")[:k])


def _hate_victims(rng, year: int, lsoa: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict]:
    """Victim number of each hate crime (in the given order) and each victim's strands."""
    h = len(lsoa)
    r = HATE_REPEAT_PATH[year] / 100
    n_victims = _hate_victim_count(year, h)
    n_repeat = int(round(r * n_victims))
    n_single = n_victims - n_repeat
    extra = h - n_single - 2 * n_repeat
    if extra < 0:  # pragma: no cover - impossible with m > 2
        raise AssertionError("too few hate crimes for the repeat victims")
    per_repeat = 2 + rng.multinomial(extra, rng.dirichlet(np.ones(n_repeat))) if n_repeat else []
    crimes_per_victim = np.concatenate([np.ones(n_single, int), np.asarray(per_repeat, int)])
    crimes_per_victim = crimes_per_victim[rng.permutation(n_victims)]
    order = np.lexsort((rng.random(h), lsoa))  # crimes grouped by LSOA, random within
    victim_of = np.empty(h, dtype=np.int64)
    victim_of[order] = np.repeat(np.arange(n_victims), crimes_per_victim)
    # strands, one draw per victim
    mix = dict(HATE_STRANDS_MIX)
    if year < 2016:
        mix["race"] += mix.pop("sex/gender")
    names = list(mix)
    strand = np.array(names, dtype=object)[
        rng.choice(len(names), size=n_victims, p=np.array(list(mix.values())) / sum(mix.values()))
    ]
    two = (strand == "race") & (rng.random(n_victims) < 0.05)
    strand[two] = "race;religion"
    info = {
        "hate_crimes": h,
        "victims": int(n_victims),
        "repeat_victims": n_repeat,
    }
    return victim_of, strand, info


def _hate_victim_count(year: int, crimes: int) -> int:
    r = HATE_REPEAT_PATH[year] / 100
    return int(round(crimes / (1 - r + r * HATE_CRIMES_PER_REPEAT_VICTIM)))


def partner_year(
    city_rows: pl.DataFrame,
    real: RealData,
    pools: VictimPools,
    tl: Timeline,
    seed: int,
    year: int,
) -> tuple[pl.DataFrame, dict]:
    """The partner extract of one financial year, and its figures for ``truth.json``.

    Parameters
    ----------
    city_rows : polars.DataFrame
        The year's city crime rows (not ASB) from :func:`csplib.synth.police.build_rows`.
    real, pools, tl, seed, year
        As elsewhere in the generator.

    Returns
    -------
    (frame, info)
        ``frame``: the file's columns, as text, sorted by date and ``crime_ref``.

    Examples
    --------
    >>> from csplib.synth.realdata import load_real_data
    >>> from csplib.synth.levels import base_levels, timeline
    >>> from csplib.synth.police import build_rows
    >>> real, tl = load_real_data("data"), timeline()
    >>> counts = np.zeros((12, len(real.lsoa), len(CATEGORIES)), dtype=np.int64)
    >>> counts[:, :182, CATEGORIES.index("Public order")] = 1
    >>> rows = build_rows(counts, real, tl, 1, 2019).rows.filter(pl.col("city"))
    >>> pools = victim_pools(real, base_levels(real), 1)
    >>> frame, info = partner_year(rows, real, pools, tl, seed=1, year=2019)
    >>> frame.columns[:3], info["hate_crimes"] == real.profile.hate_crime_path[2019]
    (['crime_ref', 'date', 'offence_code'], True)
    """
    rng = stream(seed, year, "partner")
    n = city_rows.height
    months = np.flatnonzero(tl.fy == year)
    t_local = city_rows["t"].to_numpy() - months[0]
    c = city_rows["c"].to_numpy()
    lsoa_idx = city_rows["l"].to_numpy()
    located = ~city_rows["no_location"].to_numpy()

    sampler, codes = _offence_sampler(real)
    code = codes[sampler.sample(rng, c)].astype(object)
    first_days = tl.months[months].astype("datetime64[D]")
    date = _dates(rng, t_local, c, first_days, tl.days[months])
    level = daily_stringency(date)

    # hate crimes: exactly the year's number, among located rows, by category mix
    hate_rng = stream(seed, year, "hate")
    mix = np.array([HATE_CATEGORY_MIX.get(name, 0.0) for name in CATEGORIES])
    per_category = np.bincount(c[located], minlength=len(CATEGORIES)).astype(float)
    weight = np.where(located, mix[c] / np.maximum(per_category[c], 1), 0.0)
    hate_path = real.profile.hate_crime_path
    n_hate = min(hate_path[year], int((weight > 0).sum()))
    hate_rows = _top_k(hate_rng, weight, n_hate)
    hate = np.zeros(n, dtype=bool)
    hate[hate_rows] = True
    victim_of, strand_of_victim, hate_info = _hate_victims(hate_rng, year, lsoa_idx[hate_rows])
    strand = np.full(n, None, dtype=object)
    strand[hate_rows] = strand_of_victim[victim_of]
    race_religion = hate & np.isin(strand, ["race", "religion", "race;religion"])
    remap = race_religion & np.isin(code, list(AGGRAVATED)) & (hate_rng.random(n) < 0.9)
    code[remap] = [AGGRAVATED[x] for x in code[remap]]

    domestic_p = np.array([DOMESTIC_SHARE.get(name, 0.0) for name in CATEGORIES])[c]
    domestic = ~hate & (rng.random(n) < domestic_p * (1 + DOMESTIC_LOCKDOWN * level))
    weapon_p = pd.Series(code).map(WEAPON_SHARE).to_numpy(dtype=float)
    by_cat = np.array([_WEAPON_BY_CATEGORY.get(name, 0.005) for name in CATEGORIES])[c]
    weapon_p = np.where(np.isnan(weapon_p), by_cat, weapon_p)
    weapon = rng.random(n) < weapon_p

    # victims
    vrng = stream(seed, year, "victims")
    victim = np.full(n, None, dtype=object)
    # hate: victim numbers of this year, some carried over from last year's victims
    n_victims = hate_info["victims"]
    index = year * 1_000_000 + np.arange(n_victims, dtype=np.int64)
    if year - 1 in HATE_REPEAT_PATH:
        prev = _hate_victim_count(year - 1, hate_path[year - 1])
        carried = np.flatnonzero(vrng.random(n_victims) < HATE_CARRYOVER)
        index[carried] = (year - 1) * 1_000_000 + vrng.choice(
            prev, size=carried.size, replace=False
        )
    victim[hate_rows] = pseudonyms(seed, _NS["hate"], index[victim_of], "V").to_numpy()

    business = ~hate & ~domestic & np.isin(code, list(BUSINESS_CODES))
    share = np.array([VICTIM_SHARE.get(name, 0.0) for name in CATEGORIES])[c]
    resident = ~hate & ~domestic & ~business & (vrng.random(n) < share)

    rows = np.flatnonzero(domestic)
    home = np.where(
        vrng.random(rows.size) < 0.9, lsoa_idx[rows], _random_city_lsoa(vrng, pools, rows.size)
    )
    victim[rows] = pseudonyms(
        seed, _NS["domestic"], pools.domestic.sample(vrng, home), "V"
    ).to_numpy()
    rows = np.flatnonzero(business)
    victim[rows] = pseudonyms(
        seed, _NS["business"], pools.businesses.sample(vrng, lsoa_idx[rows]), "B"
    ).to_numpy()
    rows = np.flatnonzero(resident)
    local = vrng.random(rows.size) < pools.local_share[lsoa_idx[rows]]
    home = np.where(local, lsoa_idx[rows], _random_city_lsoa(vrng, pools, rows.size))
    victim[rows] = pseudonyms(
        seed, _NS["resident"], pools.residents.sample(vrng, home), "V"
    ).to_numpy()

    order = np.lexsort((np.arange(n), date))
    flags = np.array(["N", "Y"])
    frame = pl.DataFrame(
        {
            "crime_ref": [f"CR{year}{i:06d}" for i in range(1, n + 1)],
            "date": pl.Series(date[order]).dt.strftime("%Y-%m-%d"),
            "offence_code": pl.Series(code[order].tolist(), dtype=pl.String),
            "lsoa": city_rows["lsoa_code"].gather(order),
            "victim_id": pl.Series(victim[order].tolist(), dtype=pl.String),
            "hate": flags[hate[order].astype(int)],
            "hate_strand": pl.Series(strand[order].tolist(), dtype=pl.String),
            "domestic": flags[domestic[order].astype(int)],
            "weapon": flags[weapon[order].astype(int)],
        }
    )
    info = _year_info(frame, hate_info, year)
    info["rows_without_lsoa"] = int((~located).sum())
    info["aggravated_codes"] = int(remap.sum())
    return frame, info


def _random_city_lsoa(rng, pools: VictimPools, size: int) -> np.ndarray:
    p = pools.population / pools.population.sum()
    return rng.choice(len(p), size=size, p=p)


def _repeat_share(victims: pl.Series) -> tuple[int, int, float]:
    counts = victims.drop_nulls().value_counts()["count"]
    n = counts.len()
    repeats = int((counts >= 2).sum())
    return n, repeats, (100 * repeats / n if n else float("nan"))


def _year_info(frame: pl.DataFrame, hate_info: dict, year: int) -> dict:
    hate = frame.filter(pl.col("hate") == "Y")
    n, repeats, pct = _repeat_share(hate["victim_id"])
    n_da, rep_da, pct_da = _repeat_share(frame.filter(pl.col("domestic") == "Y")["victim_id"])
    people = frame["victim_id"].filter(frame["victim_id"].str.starts_with("V"))
    n_all, rep_all, pct_all = _repeat_share(people)
    strands = hate["hate_strand"].value_counts().sort("hate_strand")
    return {
        "rows": frame.height,
        "hate_crimes": hate.height,
        "hate_victims": n,
        "hate_repeat_victims": repeats,
        "hate_repeat_victim_pct": round(pct, 3),
        "hate_repeat_victim_pct_target": HATE_REPEAT_PATH[year],
        "hate_strands": dict(
            zip(strands["hate_strand"].to_list(), strands["count"].to_list(), strict=True)
        ),
        "domestic_crimes": int((frame["domestic"] == "Y").sum()),
        "domestic_victims": n_da,
        "domestic_repeat_victim_pct": round(pct_da, 3),
        "weapon_flagged": int((frame["weapon"] == "Y").sum()),
        "person_victims": n_all,
        "person_repeat_victim_pct": round(pct_all, 3),
        "business_victim_crimes": int(frame["victim_id"].str.starts_with("B").sum()),
        "crimes_without_victim": int(frame["victim_id"].null_count()),
    }
