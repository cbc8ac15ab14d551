"""The generator's inputs for any partnership of England and Wales.

Nottingham's generator copies real rows (:mod:`csplib.synth.realdata`). For another
partnership nothing real is shipped, so :func:`area_inputs` builds the same
:class:`~csplib.synth.realdata.RealData` from national reference data:

* **LSOAs**: the area's LSOA11s (model units, as for Nottingham) with their 2024 ward,
  mid-2019 population and IMD 2019 decile, and a few LSOA11s of the same force's other
  authorities, the nearest to the area (:data:`NEIGHBOUR_KM`, at most
  :data:`NEIGHBOUR_SHARE` of the area's count), so that a reader must filter by LSOA ->
  local authority. Welsh LSOAs have no English IMD decile: they take decile
  :data:`UNKNOWN_DECILE` (the middle), as ``truth.json`` says.
* **Volumes**: :func:`csplib.synth.rates.modelled_base` (incidents per resident by decile,
  fitted to the Nottinghamshire force); the yearly paths are Nottingham's scaled by the
  area's modelled 2018/19 volume, so every area has Nottingham's trends, seasonality and
  Covid-19 shock.
* **Places**: :data:`CANDIDATE_PLACES` points per LSOA drawn uniformly inside its polygon
  (deterministic by seed and LSOA code), with gamma weights (a few busy places) and a
  Location such as ``On or near Leeds 011A street 3``; 2021-coded months use the LSOA21
  polygons. LSOA11 -> LSOA21 pieces come from the ONS lookup (a split LSOA's rows go to
  its pieces equally, as the population does).
* Outcomes and offence codes are Nottinghamshire's real distributions.

``csplib.synth`` sits beside ``csplib.ingest`` and may not import it, so the area comes in
as a :class:`csplib.ingest.geography.Geography` (or any object with its interface): its
``reference_dir``, ``la_codes``, ``csp_code``, ``name``, ``force_code`` and
``force_name``; the generator builds the force-wide geographies it needs with the same
class (``type(area)(reference_dir, la_codes=..., vintage=...)``) and uses only their
public ``lsoa_table``, ``population``, ``deprivation``, ``lsoas`` and ``lookup``.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from csplib.core.errors import ParamsError
from csplib.core.forces import force_label
from csplib.synth.calibration import (
    ASB_PATH,
    CATEGORIES,
    CITY_LA,
    HATE_CRIME_PATH,
    VB_INDEX,
    VICTIM_BASED_PATH,
    AreaProfile,
)
from csplib.synth.effects import choose_places
from csplib.synth.rates import fit_rate_model, modelled_base
from csplib.synth.realdata import REAL_FILES, Locations, RealData, load_real_data
from csplib.synth.sampling import STREAMS, SegmentSampler

__all__ = [
    "AREA_MODEL_VERSION",
    "CANDIDATE_PLACES",
    "PLACE_SHAPE",
    "NEIGHBOUR_KM",
    "NEIGHBOUR_SHARE",
    "UNKNOWN_DECILE",
    "MIN_HATE_CRIMES",
    "is_nottingham",
    "area_inputs",
]

#: Version of the model for areas other than Nottingham (recorded in ``truth.json``).
AREA_MODEL_VERSION = "1.0.0"
#: Candidate places drawn inside each LSOA polygon.
CANDIDATE_PLACES = 24
#: Gamma shape of the places' weights (below 1: a few places take most rows).
PLACE_SHAPE = 0.8
#: Neighbouring LSOAs: centroids within this distance (km) of the area.
NEIGHBOUR_KM = 3.0
#: ... and at most this share of the area's LSOA11 count (the nearest first; at least 3).
NEIGHBOUR_SHARE = 0.08
#: Decile given to an LSOA without an IMD decile (Welsh LSOAs: the English indices only).
UNKNOWN_DECILE = 5
#: Fewest hate crimes a year (so repeat victims can be built in a small area).
MIN_HATE_CRIMES = 30
_BNG_TO_WGS84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


def is_nottingham(area) -> bool:
    """Whether ``area`` (None, or an object with ``la_codes``) is the calibrated Nottingham.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> is_nottingham(None), is_nottingham(SimpleNamespace(la_codes=("E06000018",)))
    (True, True)
    >>> is_nottingham(SimpleNamespace(la_codes=("E08000035",)))
    False
    """
    return area is None or tuple(area.la_codes) == (CITY_LA,)


def _force_las(data_dir: Path, force_code: str) -> list[str]:
    table = pd.read_csv(data_dir / REAL_FILES["la_lookup"], dtype=str, keep_default_na=False)
    return sorted(set(table.loc[table["pfa24_code"] == force_code, "ltla24_code"]))


def _deciles(geo, codes: pd.Index) -> tuple[np.ndarray, np.ndarray, str]:
    """IMD decile of each code (unknown -> :data:`UNKNOWN_DECILE`), known flags, edition."""
    table = geo.deprivation()
    decile = pd.to_numeric(table["imd_decile"].reindex(codes), errors="coerce")
    known = decile.notna().to_numpy()
    editions = sorted({str(e) for e in table["edition"].dropna().unique()})
    edition = ", ".join(editions) or "none (the English indices cover England only)"
    return decile.fillna(UNKNOWN_DECILE).astype(int).to_numpy(), known, edition


def _neighbours(polys: pd.DataFrame, inside: np.ndarray) -> np.ndarray:
    """Positions of the nearest LSOAs outside the area (see :data:`NEIGHBOUR_KM`)."""
    outside = np.flatnonzero(~inside)
    if not len(outside) or not inside.any():
        return outside[:0]
    area = shapely.union_all(polys["geometry"].to_numpy()[inside])
    centres = shapely.centroid(polys["geometry"].to_numpy()[outside])
    distance = shapely.distance(centres, area)
    near = distance <= NEIGHBOUR_KM * 1000
    limit = max(3, int(round(NEIGHBOUR_SHARE * inside.sum())))
    order = np.lexsort((polys["lsoa"].to_numpy()[outside], distance))
    return np.sort(outside[[i for i in order if near[i]][:limit]])


def _points(code: str, geometry, seed: int, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``k`` points inside ``geometry`` (BNG metres) and their weights, fixed by seed and code."""
    rng = np.random.default_rng(
        [int(seed), ord(code[0]), int(code[1:3]), int(code[3:]), STREAMS["places"]]
    )
    minx, miny, maxx, maxy = geometry.bounds
    xs, ys = [], []
    for _ in range(50):
        x = rng.uniform(minx, maxx, 4 * k)
        y = rng.uniform(miny, maxy, 4 * k)
        ok = shapely.contains_xy(geometry, x, y)
        xs.append(x[ok])
        ys.append(y[ok])
        if sum(len(a) for a in xs) >= k:
            break
    x, y = np.concatenate(xs)[:k], np.concatenate(ys)[:k]
    if len(x) < k:  # a sliver: fill with its representative point
        point = geometry.representative_point()
        x = np.concatenate([x, np.full(k - len(x), point.x)])
        y = np.concatenate([y, np.full(k - len(y), point.y)])
    return x, y, rng.gamma(PLACE_SHAPE, 1.0, k)


def _locations(keys: list[tuple[str, str, object]], seed: int, fixed_decimals: bool) -> Locations:
    """:class:`Locations` of keys ``(code, name, polygon)``: the same places for every category.

    2011-coded months write coordinates as police.uk did then (up to six decimals, trailing
    zeros dropped); 2021-coded months with six decimals always, like the 2024 release.
    """
    k, n_c = CANDIDATE_PLACES, len(CATEGORIES)
    xs, ys, ws, texts = [], [], [], []
    for code, name, geometry in keys:
        x, y, w = _points(code, geometry, seed, k)
        xs.append(x)
        ys.append(y)
        ws.append(w)
        texts.extend(f"On or near {name} street {i + 1}" for i in range(k))
    lon, lat = _BNG_TO_WGS84.transform(np.concatenate(xs), np.concatenate(ys))
    fmt = np.char.mod("%.6f", np.stack([lon, lat]))
    if not fixed_decimals:
        fmt = np.char.rstrip(np.char.rstrip(fmt, "0"), ".")
    n = len(keys)
    place = np.tile(np.arange(n * k).reshape(n, 1, k), (1, n_c, 1)).ravel()  # key, c, place
    segment = np.repeat(np.arange(n * n_c), k)
    return Locations(
        location=np.array(texts, dtype=object)[place],
        longitude=fmt[0].astype(object)[place],
        latitude=fmt[1].astype(object)[place],
        sampler=SegmentSampler(segment, np.concatenate(ws)[place], n * n_c),
    )


def _profile(
    identity: dict, force_name: str, lsoa: pd.DataFrame, base: np.ndarray, places: dict
) -> AreaProfile:
    city = lsoa["city"].to_numpy()
    vb = 12 * base[city][:, list(VB_INDEX)].sum() / VICTIM_BASED_PATH[2018]
    asb = 12 * base[city, CATEGORIES.index("Anti-social behaviour")].sum() / ASB_PATH[2018]
    force, slug = force_label(force_name)
    names = lsoa.loc[city].drop_duplicates("la").set_index("la")["la_name"]
    return AreaProfile(
        name=identity["name"],
        csp_code=identity["csp_code"],
        la_codes=tuple(identity["la_codes"]),
        la_names=tuple(str(names.get(c, c)) for c in identity["la_codes"]),
        force_name=force,
        force_slug=slug,
        victim_based_path={y: int(round(v * vb)) for y, v in VICTIM_BASED_PATH.items()},
        asb_path={y: int(round(v * asb)) for y, v in ASB_PATH.items()},
        hate_crime_path={
            y: max(MIN_HATE_CRIMES, int(round(v * vb))) for y, v in HATE_CRIME_PATH.items()
        },
        population=int(round(lsoa.loc[city, "population"].sum())),
        places=places,
    )


def area_inputs(area, data_dir="data", seed: int = 0) -> RealData:
    """Build the generator's inputs for a partnership other than Nottingham.

    Parameters
    ----------
    area : csplib.ingest.geography.Geography
        The partnership (or any object with the interface described in the module
        docstring). Its authorities must lie in one police force area.
    data_dir : str or path-like
        The project's data folder (the Nottinghamshire files the rate model is fitted to,
        and the lookups).
    seed : int
        Seed of the candidate places.

    Returns
    -------
    RealData
        With ``profile``, ``base`` and ``notes`` set.

    Raises
    ------
    ParamsError
        The area's authorities span several police forces.

    Examples
    --------
    >>> from csplib.ingest.geography import Geography
    >>> inputs = area_inputs(Geography("data/reference", la_codes=["E07000174"]), "data", 1)
    >>> inputs.profile.name, inputs.profile.force_name, int(inputs.lsoa["city"].sum())
    ('Mansfield', 'Nottinghamshire Police', 67)
    """
    if not getattr(area, "force_code", None):
        raise ParamsError(
            f"area {area.name} ({', '.join(area.la_codes)}): its local authorities lie in "
            "several police force areas; synthetic data are drawn for one force"
        )
    key = (
        type(area),
        str(Path(area.reference_dir).resolve()),
        tuple(area.la_codes),
        str(area.name),
        area.csp_code,
        area.force_code,
        area.force_name,
        str(Path(data_dir).resolve()),
    )
    lsoa, keys11, conversion, keys21, base, profile, notes = _area_model(key)
    real = load_real_data(data_dir)
    return RealData(
        lsoa=lsoa,
        counts=np.zeros((len(lsoa), len(CATEGORIES)), dtype=np.int64),
        conversion=conversion,
        locations11=_locations(keys11, seed, fixed_decimals=False),
        locations21=_locations(keys21, seed, fixed_decimals=True),
        outcomes=real.outcomes,
        offences=real.offences,
        hashes=real.hashes,
        profile=profile,
        base=base,
        notes=notes,
    )


@functools.lru_cache(maxsize=2)
def _area_model(key: tuple) -> tuple:
    """Everything of :func:`area_inputs` that does not depend on the seed (cached per area).

    The result is shared: callers must not modify it in place.
    """
    make, reference_dir, la_codes, name, csp_code, force_code, force_name, data_dir = key
    data_dir = Path(data_dir)
    model = fit_rate_model(data_dir)
    force_las = _force_las(data_dir, force_code)
    geo11 = make(reference_dir, la_codes=force_las, vintage="2011")
    geo21 = make(reference_dir, la_codes=force_las, vintage="2021")

    polys11 = geo11.lsoas().sort_values("lsoa").reset_index(drop=True)
    inside = polys11["la"].isin(la_codes).to_numpy()
    keep = np.concatenate([np.flatnonzero(inside), _neighbours(polys11, inside)])
    polys11 = polys11.iloc[keep].reset_index(drop=True)
    codes = pd.Index(polys11["lsoa"])
    population = geo11.population(2019)["population"].reindex(codes)
    decile, known, edition = _deciles(geo11, codes)
    lsoa = pd.DataFrame(
        {
            "code": codes.to_numpy(),
            "name": polys11["lsoa_name"].to_numpy(),
            "city": polys11["la"].isin(la_codes).to_numpy(),
            "la": polys11["la"].to_numpy(),
            "la_name": geo11.lsoa_table["la_name"].reindex(codes).to_numpy(),
            "ward": polys11["ward_name"].to_numpy(),
            "ward_code": polys11["ward"].to_numpy(),
            "population": population.round().astype(int).to_numpy(),
            "imd_decile": decile,
        }
    )
    base = modelled_base(lsoa, model)
    conversion, keys21 = _conversion(lsoa, polys11, geo21)
    places = choose_places(lsoa, base)
    identity = {"name": name, "csp_code": csp_code, "la_codes": la_codes}
    profile = _profile(identity, force_name, lsoa, base, places)
    city = lsoa["city"].to_numpy()
    notes = {
        "model_version": AREA_MODEL_VERSION,
        "rate_model": model.summary(),
        "deprivation": {
            "edition": edition,
            "lsoas_without_decile": int((~known[city]).sum()),
            "note": f"LSOAs without an IMD decile (Welsh LSOAs: the English indices cover "
            f"England only) are given decile {UNKNOWN_DECILE}, the middle"
            if (~known[city]).any()
            else "every LSOA has an IMD decile",
        },
        "neighbours": {
            "lsoa11": int((~city).sum()),
            "local_authorities": sorted(set(lsoa.loc[~city, "la_name"])),
            "rule": f"LSOA11s of the force's other authorities with centroids within "
            f"{NEIGHBOUR_KM:g} km of the area, nearest first, at most "
            f"{NEIGHBOUR_SHARE:.0%} of the area's LSOA count",
        },
    }
    keys11 = list(zip(lsoa["code"], lsoa["name"], polys11["geometry"], strict=True))
    return lsoa, keys11, conversion, keys21, base, profile, notes


def _conversion(lsoa: pd.DataFrame, polys11: pd.DataFrame, geo21) -> tuple[pd.DataFrame, list]:
    """LSOA11 -> LSOA21 pieces (``l``, ``code21``, ``name21``, ``weight``) and their places.

    Pieces are kept on the model LSOA's side of the area boundary (an area LSOA11's pieces
    in the area, a neighbour's outside it) when it has any there; a split LSOA's rows go to
    its pieces equally. A piece without a 2021 polygon in the force takes its parent's.
    """
    lookup = geo21.lookup
    table21 = geo21.lsoa_table
    pieces = lookup[lookup["lsoa11"].isin(lsoa["code"])][["lsoa11", "lsoa21"]].drop_duplicates()
    pieces = pieces.sort_values(["lsoa11", "lsoa21"])
    row_of = dict(zip(lsoa["code"], lsoa.index, strict=True))
    pieces["l"] = pieces["lsoa11"].map(row_of)
    la21 = pieces["lsoa21"].map(table21["la"])
    area_las = set(lsoa.loc[lsoa["city"], "la"])
    same_side = la21.isin(area_las).to_numpy() == lsoa["city"].to_numpy()[pieces["l"]]
    has_same = pd.Series(same_side).groupby(pieces["l"].to_numpy()).transform("any").to_numpy()
    pieces = pieces[same_side | ~has_same].reset_index(drop=True)
    names11 = lsoa["name"].to_numpy()
    conversion = pd.DataFrame(
        {
            "l": pieces["l"].to_numpy(),
            "code21": pieces["lsoa21"].to_numpy(),
            "name21": pieces["lsoa21"]
            .map(table21["lsoa_name"])
            .fillna(pd.Series(names11[pieces["l"]]))
            .to_numpy(),
        }
    )
    conversion["weight"] = 1.0 / conversion.groupby("l")["l"].transform("size")
    wanted = sorted(set(conversion["code21"]) & set(table21.index))
    polys21 = {}
    if wanted:
        g21 = geo21.lsoas()
        g21 = g21[g21["lsoa"].isin(wanted)]
        polys21 = dict(zip(g21["lsoa"], g21["geometry"], strict=True))
    parent = polys11["geometry"].to_numpy()
    keys = [
        (code, name, polys21.get(code, parent[row]))
        for row, code, name in zip(
            conversion["l"], conversion["code21"], conversion["name21"], strict=True
        )
    ]
    return conversion, keys
