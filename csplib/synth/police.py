"""Draw the recorded incidents and write them as police.uk monthly street files.

For each financial year: the city's victim-based crimes and ASB incidents are a multinomial
draw of exactly the year's total (:data:`~csplib.synth.calibration.VICTIM_BASED_PATH`,
:data:`~csplib.synth.calibration.ASB_PATH`, or another area's paths) over its months x
LSOAs x categories, with probabilities proportional to the expected counts; the city's
other categories and every category of the ring LSOAs outside the city are Poisson. Rows
with no location (:data:`~csplib.synth.calibration.NO_LOCATION_SHARE`) come on top: copies
of the place and category of random rows of the month, published with a blank location and
LSOA.

Each row gets a real location of its LSOA and category (the names and snapped points of the
real files), its LSOA in the vintage of its month (2021 codes from
:data:`~csplib.synth.calibration.LSOA21_FROM`, split LSOAs going to a piece at random), a
last outcome drawn from the real outcomes of its category (the 2018/19 release before 2024,
the 2024 release after, with "Under investigation"), and a random 64-hex Crime ID (blank
for ASB, like the real files).

The published files then get the defects of real releases: a few crimes published twice
under one Crime ID with different outcomes, the missing month, the low month.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from csplib.core.schema import ASB, STREET_COLUMNS
from csplib.synth.calibration import (
    CATEGORIES,
    DUPLICATES_PER_MONTH,
    FORCE_NAME,
    FORCE_SLUG,
    LSOA21_FROM,
    NO_LOCATION_SHARE,
    VB_INDEX,
)
from csplib.synth.effects import LOW_MONTH, MISSING_MONTH
from csplib.synth.levels import Levels, Timeline
from csplib.synth.realdata import RealData
from csplib.synth.sampling import SegmentSampler, hex_ids, stream

__all__ = [
    "STREET_COLUMNS",
    "OUTCOME_SNAPSHOT_FROM",
    "DUPLICATE_OUTCOMES",
    "YearRows",
    "draw_counts",
    "build_rows",
    "publish_months",
    "street_file_path",
]

#: Months from this one draw outcomes from the real 2024 release, earlier ones from 2018/19.
OUTCOME_SNAPSHOT_FROM = "2024-01"
#: Outcome given to the second copy of a duplicated crime (the first if the original has it).
DUPLICATE_OUTCOMES: tuple[str, str] = ("Status update unavailable", "Court result unavailable")
_ASB = CATEGORIES.index(ASB)


def street_file_path(out_dir, month: str, force_slug: str = FORCE_SLUG) -> Path:
    """``out_dir/YYYY-MM/YYYY-MM-<force slug>-street.csv``.

    Examples
    --------
    >>> street_file_path("police_uk", "2019-04").as_posix()
    'police_uk/2019-04/2019-04-nottinghamshire-street.csv'
    >>> street_file_path("police_uk", "2019-04", "west-yorkshire").name
    '2019-04-west-yorkshire-street.csv'
    """
    return Path(out_dir) / month / f"{month}-{force_slug}-street.csv"


def draw_counts(levels: Levels, real: RealData, tl: Timeline, seed: int, year: int) -> np.ndarray:
    """Recorded incidents of one financial year: (12 months, LSOAs, categories) integers.

    The city's (the area's) victim-based and ASB totals equal the year's path of
    ``real.profile`` exactly; everything else is Poisson around the expected counts.

    Parameters
    ----------
    levels : Levels
        Expected counts (:func:`~csplib.synth.levels.expected_counts`).
    real : RealData
        The real inputs.
    tl : Timeline
        The timeline ``levels`` was built on.
    seed : int
        The user's seed.
    year : int
        Financial year (its first calendar year).

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> from csplib.synth.realdata import load_real_data
    >>> from csplib.synth.effects import planted_multipliers
    >>> from csplib.synth.levels import expected_counts, timeline
    >>> real, tl = load_real_data("data"), timeline()
    >>> lv = expected_counts(real, planted_multipliers(tl.months, real.lsoa), tl)
    >>> counts = draw_counts(lv, real, tl, seed=1, year=2019)
    >>> int(counts[:, real.lsoa["city"].to_numpy(), 0].sum())  # ASB, the 2019/20 target
    15182
    """
    months = np.flatnonzero(tl.fy == year)
    mu = levels.mu[months]
    city = real.lsoa["city"].to_numpy()
    counts = stream(seed, year, "poisson").poisson(mu)
    vb = np.zeros(mu.shape, dtype=bool)
    vb[:, city, :] = np.isin(np.arange(len(CATEGORIES)), VB_INDEX)[None, None, :]
    asb = np.zeros(mu.shape, dtype=bool)
    asb[:, city, _ASB] = True
    for mask, total, name in (
        (vb, real.profile.victim_based_path[year], "city_vb"),
        (asb, real.profile.asb_path[year], "city_asb"),
    ):
        p = mu[mask] / mu[mask].sum()
        counts[mask] = stream(seed, year, name).multinomial(total, p)
    return counts.astype(np.int64)


@dataclass
class YearRows:
    """The incidents of one financial year, one row each (before publication defects).

    ``rows`` columns: ``t`` (month index in the timeline), ``l`` (model LSOA), ``c``
    (category), ``no_location`` (published without place), ``city``, ``j`` (row of the
    LSOA 2011 -> 2021 conversion, -1 for 2011-coded months), ``lsoa_code``, ``lsoa_name``,
    ``location``, ``longitude``, ``latitude`` (as published: null where no location),
    ``outcome`` (null for ASB), ``crime_id`` (null for ASB).
    """

    year: int
    rows: pl.DataFrame


def build_rows(counts: np.ndarray, real: RealData, tl: Timeline, seed: int, year: int) -> YearRows:
    """Expand a year's counts into rows with places, LSOA codes, outcomes and Crime IDs.

    Parameters
    ----------
    counts : numpy.ndarray
        The year's counts (:func:`draw_counts`).
    real, tl, seed, year
        As for :func:`draw_counts`.

    Returns
    -------
    YearRows
        One row per incident, plus the rows to be published without a location.

    Examples
    --------
    >>> from csplib.synth.realdata import load_real_data
    >>> from csplib.synth.levels import timeline
    >>> real, tl = load_real_data("data"), timeline()
    >>> counts = np.zeros((12, len(real.lsoa), len(CATEGORIES)), dtype=np.int64)
    >>> counts[0, 0, CATEGORIES.index("Burglary")] = 3
    >>> rows = build_rows(counts, real, tl, seed=1, year=2024).rows
    >>> rows["lsoa_code"].to_list(), rows["crime_id"].str.len_chars().to_list()
    (['E01013810', 'E01013810', 'E01013810'], [64, 64, 64])
    """
    months = np.flatnonzero(tl.fy == year)
    n_t, n_l, n_c = counts.shape
    flat = counts.ravel()
    cell = np.repeat(np.arange(flat.size), flat)
    t = months[cell // (n_l * n_c)]
    li = (cell // n_c) % n_l
    c = cell % n_c

    # rows published without a location: extra rows copying random rows of the month
    rng = stream(seed, year, "no_location")
    month_total = counts.sum(axis=(1, 2))
    n_extra = rng.poisson(NO_LOCATION_SHARE * month_total)
    starts = np.concatenate([[0], np.cumsum(month_total)])
    picks = np.concatenate(
        [starts[i] + rng.integers(0, month_total[i], n_extra[i]) for i in range(n_t)]
    ).astype(np.int64)
    no_location = np.concatenate([np.zeros(len(t), bool), np.ones(len(picks), bool)])
    t, li, c = (np.concatenate([a, a[picks]]) for a in (t, li, c))

    rng = stream(seed, year, "rows")
    city = real.lsoa["city"].to_numpy()[li]
    vintage21 = t >= tl.index(LSOA21_FROM)
    conv = real.conversion
    j = np.full(len(t), -1, dtype=np.int64)
    pieces = SegmentSampler(conv["l"].to_numpy(), conv["weight"].to_numpy(), n_l)
    j[vintage21] = pieces.sample(rng, li[vintage21])

    loc11 = real.locations11.draw(rng, li, c)
    loc21 = real.locations21.draw(rng, np.maximum(j, 0), c)
    location = np.where(
        vintage21, real.locations21.location[loc21], real.locations11.location[loc11]
    )
    lon = np.where(vintage21, real.locations21.longitude[loc21], real.locations11.longitude[loc11])
    lat = np.where(vintage21, real.locations21.latitude[loc21], real.locations11.latitude[loc11])
    code = np.where(
        vintage21, conv["code21"].to_numpy()[np.maximum(j, 0)], real.lsoa["code"].to_numpy()[li]
    )
    name = np.where(
        vintage21, conv["name21"].to_numpy()[np.maximum(j, 0)], real.lsoa["name"].to_numpy()[li]
    )

    outcome = np.full(len(t), None, dtype=object)
    recent = t >= tl.index(OUTCOME_SNAPSHOT_FROM)
    crime = c != _ASB
    for snapshot, mask in (("2018", ~recent & crime), ("2024", recent & crime)):
        labels, table = real.outcomes[snapshot]
        seg = np.repeat(np.arange(n_c), len(labels))
        sampler = SegmentSampler(seg, table.ravel(), n_c)
        outcome[mask] = labels[sampler.sample(rng, c[mask]) % len(labels)]

    crime_id = np.full(len(t), None, dtype=object)
    crime_id[crime] = hex_ids(stream(seed, year, "crime_ids"), int(crime.sum())).to_numpy()

    rows = pl.DataFrame(
        {
            "t": t,
            "l": li,
            "c": c,
            "no_location": no_location,
            "city": city,
            "j": j,
            "lsoa_code": code.astype(str),
            "lsoa_name": name.astype(str),
            "location": location.astype(str),
            "longitude": lon.astype(str),
            "latitude": lat.astype(str),
            "outcome": pl.Series(outcome.tolist(), dtype=pl.String),
            "crime_id": pl.Series(crime_id.tolist(), dtype=pl.String),
        }
    )
    place = ["lsoa_code", "lsoa_name", "location", "longitude", "latitude"]
    rows = rows.with_columns(
        [pl.when(pl.col("no_location")).then(None).otherwise(pl.col(p)).alias(p) for p in place]
    )
    return YearRows(year, rows)


def publish_months(
    year_rows: YearRows, tl: Timeline, seed: int, force_name: str = FORCE_NAME
) -> tuple[dict, dict]:
    """The street files of a year as published, with their defects.

    Parameters
    ----------
    year_rows : YearRows
        The year's incidents (:func:`build_rows`).
    tl : Timeline
    seed : int
    force_name : str, default "Nottinghamshire Police"
        ``Reported by`` and ``Falls within`` of every row.

    Returns
    -------
    (frames, stats)
        ``frames``: ``{"YYYY-MM": polars frame with STREET_COLUMNS}`` (the missing month is
        absent). ``stats``: per month, rows written and the defects planted
        (``duplicate_rows``, ``duplicate_rows_city``, ``no_lsoa_rows``, ``rows_city`` and
        ``rows_outside`` (located rows, duplicate copies included), ``city_counts`` (located
        city rows by category, copies excluded), ``low_month_rows_removed``/``_kept``,
        ``missing_month_rows``).

    Examples
    --------
    >>> from csplib.synth.realdata import load_real_data
    >>> from csplib.synth.levels import timeline
    >>> real, tl = load_real_data("data"), timeline()
    >>> counts = np.ones((12, len(real.lsoa), len(CATEGORIES)), dtype=np.int64)
    >>> frames, stats = publish_months(build_rows(counts, real, tl, 1, 2016), tl, seed=1)
    >>> "2016-08" in frames, stats["2016-08"]["rows_written"], frames["2016-09"].columns[0]
    (False, 0, 'Crime ID')
    """
    year = year_rows.year
    rng = stream(seed, year, "duplicates")
    rng_low = stream(seed, year, "low_month")
    frames, stats = {}, {}
    rows = year_rows.rows.with_row_index("order")
    for t in np.flatnonzero(tl.fy == year):
        label = tl.labels[t]
        month = rows.filter(pl.col("t") == t)
        info = {"rows_generated": month.height}
        if label == MISSING_MONTH:
            stats[label] = {**info, "rows_written": 0, "missing_month_rows": month.height}
            continue
        if label == LOW_MONTH["month"]:
            target = month["c"].to_numpy() == CATEGORIES.index(LOW_MONTH["category"])
            drop = target & (rng_low.random(month.height) >= LOW_MONTH["share_kept"])
            info["low_month_rows_removed"] = int(drop.sum())
            info["low_month_rows_kept"] = int((target & ~drop).sum())
            month = month.filter(pl.Series(~drop))
        located_city = (month["city"] & ~month["no_location"]).to_numpy()
        info["city_counts"] = np.bincount(
            month["c"].to_numpy()[located_city], minlength=len(CATEGORIES)
        ).tolist()
        eligible = np.flatnonzero(
            (month["c"].to_numpy() != _ASB) & ~month["no_location"].to_numpy()
        )
        k = min(int(rng.poisson(DUPLICATES_PER_MONTH)), len(eligible))
        chosen = np.sort(rng.choice(eligible, size=k, replace=False)) if k else eligible[:0]
        dups = month[chosen].with_columns(
            outcome=pl.when(pl.col("outcome") == DUPLICATE_OUTCOMES[0])
            .then(pl.lit(DUPLICATE_OUTCOMES[1]))
            .otherwise(pl.lit(DUPLICATE_OUTCOMES[0]))
        )
        month = pl.concat([month, dups])
        info["duplicate_rows"] = int(k)
        info["duplicate_rows_city"] = int(dups["city"].sum())
        info["no_lsoa_rows"] = int(month["no_location"].sum())
        located = ~month["no_location"]
        info["rows_city"] = int((located & month["city"]).sum())
        info["rows_outside"] = int((located & ~month["city"]).sum())
        frames[label] = _street_frame(month, label, force_name)
        info["rows_written"] = frames[label].height
        stats[label] = info
    return frames, stats


def _street_frame(month: pl.DataFrame, label: str, force_name: str) -> pl.DataFrame:
    ordered = month.sort(["no_location", "lsoa_name", "c"], maintain_order=True, nulls_last=True)
    return ordered.select(
        pl.col("crime_id").alias("Crime ID"),
        pl.lit(label).alias("Month"),
        pl.lit(force_name).alias("Reported by"),
        pl.lit(force_name).alias("Falls within"),
        pl.col("longitude").alias("Longitude"),
        pl.col("latitude").alias("Latitude"),
        pl.col("location").fill_null("No Location").alias("Location"),
        pl.col("lsoa_code").alias("LSOA code"),
        pl.col("lsoa_name").alias("LSOA name"),
        pl.col("c")
        .replace_strict(list(range(len(CATEGORIES))), list(CATEGORIES), return_dtype=pl.String)
        .alias("Crime type"),
        pl.col("outcome").alias("Last outcome category"),
        pl.lit(None, dtype=pl.String).alias("Context"),
    )
