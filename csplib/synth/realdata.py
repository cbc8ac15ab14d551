"""Read the real files the synthetic data is calibrated on.

Everything comes from the project's ``data`` folder (passed in; nothing is read at import):

* ``police_uk/nottinghamshire_2018-10_2019-02.zip``: the LSOA x category counts of the
  city (the base mix and level), the locations (names and snapped points) of each LSOA
  (2011 codes), the outcomes of each category;
* ``police_uk/nottinghamshire_2024-01_2024-03.zip``: locations of each LSOA in 2021 codes
  (for the months published in 2021 codes) and recent outcomes (with "Under investigation");
* ``reference/lookups``: city LSOAs and their 2024 wards, LSOA 2011 -> 2021, local
  authorities of the force;
* ``reference/population/population19_lsoa11.csv.gz``, ``reference/deprivation/
  imd2019_england_lsoa11.csv.gz``: population and deprivation decile of each LSOA;
* ``reference/home_office``: offence codes of each police.uk category and their mix in
  Nottinghamshire's recorded crime, 2017/18.
"""

from __future__ import annotations

import functools
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl

from csplib.core.errors import DataError
from csplib.core.provenance import sha256_file
from csplib.synth.calibration import (
    CATEGORIES,
    CITY_CENTRE,
    CITY_LA,
    NOTTINGHAM,
    OUTSIDE_RING_KM,
    AreaProfile,
)
from csplib.synth.sampling import SegmentSampler

__all__ = [
    "REAL_FILES",
    "BASE_MONTHS",
    "LOCATION_PSEUDOCOUNT",
    "Locations",
    "RealData",
    "read_street_zip",
    "load_real_data",
    "file_stamps",
]

#: The real files used, relative to the data folder.
REAL_FILES: dict[str, str] = {
    "base_zip": "police_uk/nottinghamshire_2018-10_2019-02.zip",
    "recent_zip": "police_uk/nottinghamshire_2024-01_2024-03.zip",
    "city_lookup": "reference/lookups/nottingham_lsoa11_lsoa21_ward24_lookup.csv",
    "lsoa_lookup": "reference/lookups/lookup_lsoa11_lsoa21_ltla22.csv.gz",
    "la_lookup": "reference/lookups/lookup_ltla24_csp24_pfa24.csv",
    "population": "reference/population/population19_lsoa11.csv.gz",
    "deprivation": "reference/deprivation/imd2019_england_lsoa11.csv.gz",
    "offence_codes": "reference/home_office/offence_code_to_policeuk_category.csv",
    "offence_mix": "reference/home_office/recorded_crime_nottinghamshire_offence_2017-18.csv",
}
#: Months of the base zip.
BASE_MONTHS: tuple[str, ...] = ("2018-10", "2018-11", "2018-12", "2019-01", "2019-02")
#: Pseudo-count spreading each LSOA x category's locations over all the LSOA's locations.
LOCATION_PSEUDOCOUNT = 2.0
_PLACE = ("Location", "Longitude", "Latitude")


@dataclass(frozen=True)
class Locations:
    """Real locations to draw from, by key (an LSOA) and category.

    Entry ``i`` is the place ``location[i]`` at (``longitude[i]``, ``latitude[i]``), the
    strings exactly as police.uk wrote them; segment ``key * n_categories + c`` holds the
    places of one key and category, weighted by how often the real rows used them.
    """

    location: np.ndarray
    longitude: np.ndarray
    latitude: np.ndarray
    sampler: SegmentSampler

    def draw(self, rng: np.random.Generator, key: np.ndarray, category: np.ndarray) -> np.ndarray:
        """Entry indices of one location for each (key, category) row."""
        return self.sampler.sample(rng, key * len(CATEGORIES) + category)


@dataclass(frozen=True)
class RealData:
    """The inputs of the generator: Nottingham's real data, or a modelled area's.

    For another partnership (:func:`csplib.synth.area.area_inputs`) the same fields hold
    the area's LSOAs (``city`` = in the area, the others are a few neighbours of the same
    force), zero ``counts`` (no real rows), places drawn inside the LSOA polygons, and the
    modelled ``base``; outcomes and offences are Nottinghamshire's.

    Attributes
    ----------
    lsoa : pandas.DataFrame
        One row per model LSOA (2011 codes), city first: ``code``, ``name``, ``city``
        (bool), ``la_name``, ``ward`` (2024 ward name, blank outside the city),
        ``ward_code``, ``population`` (mid-2019), ``imd_decile`` (IMD 2019).
    counts : numpy.ndarray
        Real rows of each LSOA x category (columns in :data:`CATEGORIES` order) over
        :data:`BASE_MONTHS`.
    conversion : pandas.DataFrame
        LSOA 2011 -> 2021: ``l`` (row of ``lsoa``), ``code21``, ``name21``, ``weight``
        (share of the LSOA11's rows going to that piece; 1 unless split).
    locations11, locations21 : Locations
        Places by LSOA11 (key = row of ``lsoa``) and by LSOA21 (key = row of ``conversion``).
    outcomes : dict
        ``{"2018": (labels, weights), "2024": ...}``: weights is (categories x labels).
    offences : pandas.DataFrame
        ``code``, ``c`` (category index), ``count`` (Nottinghamshire 2017/18).
    hashes : dict
        SHA-256 of every real file read, by its path relative to the data folder.
    profile : AreaProfile
        Whom the data are for and their yearly totals
        (:data:`~csplib.synth.calibration.NOTTINGHAM` by default).
    base : numpy.ndarray or None
        The modelled base level (LSOAs x categories) of an area; None for Nottingham, whose
        base comes from ``counts`` (:func:`~csplib.synth.levels.base_levels`).
    notes : dict
        What ``truth.json`` records about a modelled area (the model, neighbours, deprivation).
    """

    lsoa: pd.DataFrame
    counts: np.ndarray
    conversion: pd.DataFrame
    locations11: Locations
    locations21: Locations
    outcomes: dict
    offences: pd.DataFrame
    hashes: dict
    profile: AreaProfile = NOTTINGHAM
    base: np.ndarray | None = None
    notes: dict = field(default_factory=dict)


def read_street_zip(path) -> pl.DataFrame:
    """Every street CSV of a police.uk zip as one all-text polars frame (plus ``file``).

    Examples
    --------
    >>> frame = read_street_zip("data/police_uk/nottinghamshire_2024-01_2024-03.zip")
    >>> frame.height, frame.columns[:2]
    (28393, ['Crime ID', 'Month'])
    """
    path = Path(path)
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise DataError(f"cannot open the police.uk zip: {exc}", path=path) from None
    frames = []
    with archive:
        for name in sorted(archive.namelist()):
            if name.endswith("-street.csv"):
                frame = pl.read_csv(archive.read(name), infer_schema=False)
                frames.append(frame.with_columns(file=pl.lit(name)))
    if not frames:
        raise DataError("no -street.csv file in the zip", path=path)
    return pl.concat(frames)


def _category_index(frame: pl.DataFrame) -> pl.DataFrame:
    mapping = pl.DataFrame({"Crime type": list(CATEGORIES), "c": list(range(len(CATEGORIES)))})
    return frame.join(mapping, on="Crime type", how="inner")


def _locations(rows: pl.DataFrame, n_keys: int) -> Locations:
    """Build a :class:`Locations` from real rows with ``key``, ``c`` and the place columns."""
    place = ["key", "Location", "Longitude", "Latitude"]
    per_place = rows.group_by(place).agg(n_all=pl.len())
    per_cat = rows.group_by([*place, "c"]).agg(n=pl.len())
    per_key = rows.group_by("key").agg(n_key=pl.len())
    cats = pl.DataFrame({"c": list(range(len(CATEGORIES)))}, schema={"c": pl.Int64})
    grid = (
        per_place.join(cats, how="cross")
        .join(per_cat.with_columns(pl.col("c").cast(pl.Int64)), on=[*place, "c"], how="left")
        .join(per_key, on="key")
        .with_columns(
            weight=pl.col("n").fill_null(0)
            + LOCATION_PSEUDOCOUNT * pl.col("n_all") / pl.col("n_key")
        )
        .sort(["key", "c", "Location", "Longitude", "Latitude"])
    )
    missing = set(range(n_keys)) - set(grid["key"].unique().to_list())
    if missing:  # pragma: no cover - guarded by the caller's fallbacks
        raise DataError(f"{len(missing)} LSOAs have no real location to draw from")
    segment = grid["key"].to_numpy() * len(CATEGORIES) + grid["c"].to_numpy()
    return Locations(
        location=grid["Location"].to_numpy(),
        longitude=grid["Longitude"].to_numpy(),
        latitude=grid["Latitude"].to_numpy(),
        sampler=SegmentSampler(segment, grid["weight"].to_numpy(), n_keys * len(CATEGORIES)),
    )


def _outcomes(frame: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    crimes = _category_index(frame).filter(pl.col("Last outcome category").is_not_null())
    counts = crimes.group_by(["c", "Last outcome category"]).agg(n=pl.len())
    labels = np.array(sorted(counts["Last outcome category"].unique().to_list()), dtype=object)
    table = np.zeros((len(CATEGORIES), len(labels)))
    pos = {label: i for i, label in enumerate(labels)}
    for c, label, n in counts.iter_rows():
        table[c, pos[label]] = n
    return labels, table


def _read_csv(data_dir: Path, key: str, **kwargs) -> pd.DataFrame:
    path = data_dir / REAL_FILES[key]
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, **kwargs)
    except FileNotFoundError:
        raise DataError("reference file not found (the generator needs it)", path=path) from None


def load_real_data(data_dir="data") -> RealData:
    """Read and prepare every real input of the generator.

    Parameters
    ----------
    data_dir : str or path-like
        The project's data folder (holding ``police_uk/`` and ``reference/``).

    Returns
    -------
    RealData

    Raises
    ------
    DataError
        A file is missing or unreadable.

    Notes
    -----
    The result is cached in-process, keyed by the files' paths, sizes and modification
    times; it is shared, so callers must not modify it in place.

    Examples
    --------
    >>> real = load_real_data("data")
    >>> int(real.lsoa["city"].sum()), int(real.counts[real.lsoa["city"].to_numpy()].sum())
    (182, 24123)
    """
    data_dir = Path(data_dir)
    return _load_cached(str(data_dir.resolve()), file_stamps(data_dir, REAL_FILES))


def file_stamps(data_dir: Path, keys) -> tuple[tuple[str, int, int], ...]:
    """(path, size, modification time) of each of the :data:`REAL_FILES` named by ``keys``:
    the key of an in-process cache of what is read from them.

    Raises
    ------
    DataError
        A file is missing.
    """
    stamp = []
    for key in keys:
        path = Path(data_dir) / REAL_FILES[key]
        if not path.exists():
            raise DataError("file not found (the synthetic data generator needs it)", path=path)
        info = path.stat()
        stamp.append((str(path.resolve()), info.st_size, info.st_mtime_ns))
    return tuple(stamp)


@functools.lru_cache(maxsize=2)
def _load_cached(data_dir: str, stamp: tuple) -> RealData:
    """Read the real inputs once per process (keyed by the files' paths, sizes and times).

    The result is shared: callers must not modify its arrays or frames in place.
    """
    data_dir = Path(data_dir)
    hashes = {REAL_FILES[key]: sha256_file(data_dir / REAL_FILES[key]) for key in REAL_FILES}

    city = _read_csv(data_dir, "city_lookup").drop_duplicates("lsoa11_code")
    city = city[city["ltla22_code"] == CITY_LA].sort_values("lsoa11_code")
    national = _read_csv(data_dir, "lsoa_lookup")
    la_table = _read_csv(data_dir, "la_lookup")
    force_code = la_table.loc[la_table["ltla24_code"] == CITY_LA, "pfa24_code"].iloc[0]
    force_las = set(la_table.loc[la_table["pfa24_code"] == force_code, "ltla24_code"])
    la_of = national.drop_duplicates("lsoa11_code").set_index("lsoa11_code")

    base = _category_index(read_street_zip(data_dir / REAL_FILES["base_zip"]))
    recent = _category_index(read_street_zip(data_dir / REAL_FILES["recent_zip"]))

    # the outside ring: force LSOAs (not city) whose real points centre within the ring
    located = base.filter(pl.col("LSOA code").is_not_null()).with_columns(
        lon=pl.col("Longitude").cast(pl.Float64), lat=pl.col("Latitude").cast(pl.Float64)
    )
    centres = located.group_by("LSOA code").agg(pl.col("lon").mean(), pl.col("lat").mean())
    centres = centres.to_pandas().set_index("LSOA code")
    km = np.hypot(
        (centres["lon"] - CITY_CENTRE[0]) * 111.32 * np.cos(np.radians(CITY_CENTRE[1])),
        (centres["lat"] - CITY_CENTRE[1]) * 110.57,
    )
    la_code = centres.index.map(la_of["ltla22_code"]).fillna("")
    ring = centres.index[
        (km < OUTSIDE_RING_KM) & la_code.isin(force_las) & (la_code != CITY_LA)
    ].sort_values()

    lsoa = pd.DataFrame(
        {
            "code": list(city["lsoa11_code"]) + list(ring),
            "city": [True] * len(city) + [False] * len(ring),
        }
    )
    lsoa["name"] = lsoa["code"].map(la_of["lsoa11_name"])
    lsoa["la_name"] = lsoa["code"].map(la_of["ltla22_name"])
    ward = city.set_index("lsoa11_code")
    lsoa["ward"] = lsoa["code"].map(ward["ward24_name"]).fillna("")
    lsoa["ward_code"] = lsoa["code"].map(ward["ward24_code"]).fillna("")
    pop = _read_csv(data_dir, "population").set_index("lsoa11_code")["total_population"]
    imd = _read_csv(data_dir, "deprivation").set_index("lsoa11_code")["IMD_decile"]
    lsoa["population"] = lsoa["code"].map(pop).astype(int)
    lsoa["imd_decile"] = lsoa["code"].map(imd).astype(int)
    key_of = pl.DataFrame({"LSOA code": lsoa["code"].tolist(), "key": list(range(len(lsoa)))})

    rows11 = base.join(key_of, on="LSOA code", how="inner")
    counts = np.zeros((len(lsoa), len(CATEGORIES)), dtype=np.int64)
    agg = rows11.group_by(["key", "c"]).agg(n=pl.len())
    counts[agg["key"].to_numpy(), agg["c"].to_numpy()] = agg["n"].to_numpy()

    # LSOA 2011 -> 2021 pieces, weighted by the pieces' real rows in 2024
    pieces = national[national["lsoa11_code"].isin(lsoa["code"])][
        ["lsoa11_code", "lsoa21_code", "lsoa21_name"]
    ]
    pieces = pieces.drop_duplicates().sort_values(["lsoa11_code", "lsoa21_code"])
    recent_n = recent.group_by("LSOA code").agg(n=pl.len()).to_pandas().set_index("LSOA code")
    conversion = pd.DataFrame(
        {
            "l": pieces["lsoa11_code"]
            .map(dict(zip(lsoa["code"], lsoa.index, strict=True)))
            .to_numpy(),
            "code21": pieces["lsoa21_code"].to_numpy(),
            "name21": pieces["lsoa21_name"].to_numpy(),
        }
    )
    raw_w = conversion["code21"].map(recent_n["n"]).fillna(0).to_numpy() + 1.0
    conversion["weight"] = raw_w / pd.Series(raw_w).groupby(conversion["l"]).transform("sum")
    conversion = conversion.reset_index(drop=True)

    # locations: 2011 keys from the base zip; 2021 keys from the 2024 zip, falling back to
    # the parent LSOA11's places for a piece with no real row in the 2024 release
    locations11 = _locations(rows11.select("key", "c", *_PLACE), len(lsoa))
    key21 = pl.DataFrame(
        {"LSOA code": conversion["code21"].tolist(), "key": list(range(len(conversion)))}
    )
    rows21 = recent.join(key21, on="LSOA code", how="inner").select("key", "c", *_PLACE)
    covered = set(rows21["key"].unique().to_list())
    fallback = conversion[~conversion.index.isin(covered)]
    if len(fallback):
        parent = pl.DataFrame({"l": fallback["l"].tolist(), "key": fallback.index.tolist()})
        extra = rows11.rename({"key": "l"}).join(parent, on="l").select("key", "c", *_PLACE)
        rows21 = pl.concat([rows21, extra])
    locations21 = _locations(rows21, len(conversion))

    outcomes = {"2018": _outcomes(base), "2024": _outcomes(recent)}
    mix = _read_csv(data_dir, "offence_mix")
    mix["count"] = mix["Number_of_Offences"].astype(int)
    mix = mix.groupby(["Offence_Code", "Policeuk_Cat"], as_index=False)["count"].sum()
    by_name = {c.casefold(): i for i, c in enumerate(CATEGORIES)}
    mix["c"] = mix["Policeuk_Cat"].str.strip().str.casefold().map(by_name)
    if mix["c"].isna().any():
        raise DataError(
            f"unknown police.uk category {mix.loc[mix['c'].isna(), 'Policeuk_Cat'].iloc[0]!r}",
            path=data_dir / REAL_FILES["offence_mix"],
        )
    offences = (
        mix[mix["count"] > 0]
        .rename(columns={"Offence_Code": "code"})[["code", "c", "count"]]
        .astype({"c": int})
        .sort_values(["c", "code"])
        .reset_index(drop=True)
    )
    return RealData(
        lsoa=lsoa,
        counts=counts,
        conversion=conversion,
        locations11=locations11,
        locations21=locations21,
        outcomes=outcomes,
        offences=offences,
        hashes=hashes,
    )
