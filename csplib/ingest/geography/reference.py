"""The reference files a geography is built from, and cached readers for them.

Every path here is relative to a *reference directory* passed in by the caller (the
``data.reference_dir`` of the parameters file); nothing is read at import.

=================  ==========================================================  =============
key                file (relative to the reference directory)                  source
=================  ==========================================================  =============
``lsoa11_lsoa21``  ``lookups/lookup_lsoa11_lsoa21_ltla22.csv.gz``              ONS lookup
``lsoa21_ward``    ``lookups/lookup_lsoa21_ward24_ltla24.csv.gz``              ONS lookup
``la_csp``         ``lookups/lookup_ltla24_csp24_pfa24.csv``                   ONS lookup
population         ``population/population<YY>_lsoa<11|21>.csv[.gz]``         ONS mid-year
deprivation        ``deprivation/imd2019_england_lsoa11.csv.gz`` (2011 codes),  MHCLG
                   ``deprivation/iod2025_england_lsoa21.csv.gz`` (2021 codes)
boundaries         ``boundaries/*lsoa11*``, ``*lsoa21*`` (``.geojson``,          ONS (OGL)
                   ``.geojson.gz``, ``.gpkg`` or ``.shp``); shipped: the national
                   ``lsoa11_england_wales.geojson.gz`` and
                   ``lsoa21_england_wales.geojson.gz``
=================  ==========================================================  =============

No ward boundary file is needed: :meth:`~csplib.ingest.geography.Geography.wards` draws each
ward as the union of its LSOAs (see ``docs/geography.md``). A ward file (``*ward*``) is read
only when given explicitly.

Parsed tables and boundary files are cached in-process, keyed by the file's path, size and
modification time, so a second :class:`~csplib.ingest.geography.Geography` on the same files
is cheap (the national LSOA boundaries take about a second to read, once). The cached frames
are shared: callers must not modify them in place.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from csplib.core.errors import DataError

__all__ = [
    "REFERENCE_FILES",
    "DEPRIVATION_FILES",
    "BOUNDARY_LAYERS",
    "read_reference_csv",
    "population_files",
    "find_boundary_file",
    "read_boundaries",
]

#: National lookups, relative to the reference directory.
REFERENCE_FILES: dict[str, str] = {
    "lsoa11_lsoa21": "lookups/lookup_lsoa11_lsoa21_ltla22.csv.gz",
    "lsoa21_ward": "lookups/lookup_lsoa21_ward24_ltla24.csv.gz",
    "la_csp": "lookups/lookup_ltla24_csp24_pfa24.csv",
}

#: Deprivation file and edition used for each LSOA vintage.
DEPRIVATION_FILES: dict[str, tuple[str, str]] = {
    "2011": ("deprivation/imd2019_england_lsoa11.csv.gz", "IMD2019"),
    "2021": ("deprivation/iod2025_england_lsoa21.csv.gz", "IoD2025"),
}

#: Boundary layers: (file-name pattern, code-column pattern, name-column pattern,
#: what to ask the user for when no file covers the area).
BOUNDARY_LAYERS: dict[str, tuple[str, str, str, str]] = {
    "lsoa11": (
        r"lsoa11",
        r"^lsoa11_?(code|cd)$",
        r"^lsoa11_?(name|nm)$",
        "the ONS 'LSOA (December 2011) boundaries' (e.g. lsoa11_england_wales.geojson.gz)",
    ),
    "lsoa21": (
        r"lsoa21",
        r"^lsoa21_?(code|cd)$",
        r"^lsoa21_?(name|nm)$",
        "the ONS 'LSOA (December 2021) boundaries' (e.g. lsoa21_england_wales.geojson.gz)",
    ),
    "ward": (
        r"ward|wd\d\d",
        r"^(ward|wd)(\d\d)?_?(code|cd)$",
        r"^(ward|wd)(\d\d)?_?(name|nm)$",
        "ONS ward boundaries whose codes match lookup_lsoa21_ward24_ltla24 (e.g. Wards "
        "(December 2024) boundaries for the area)",
    ),
}

_BOUNDARY_SUFFIXES = (".geojson", ".geojson.gz", ".json", ".gpkg", ".shp")
_POPULATION_RE = re.compile(r"^population(\d{2}|\d{4})_lsoa(11|21)\.csv(\.gz)?$")


def _stat_key(path: Path) -> tuple[str, int, int]:
    try:
        st = path.stat()
    except OSError:
        raise DataError("reference file not found", path=path) from None
    return (str(path.resolve()), st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=32)
def _read_csv_cached(key: tuple[str, int, int], columns: tuple[tuple[str, str], ...]):
    path = key[0]
    wanted = dict(columns)
    try:
        head = pd.read_csv(path, nrows=0, comment="#")
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read reference file: {exc}", path=path) from None
    missing = [c for c in wanted if c not in head.columns]
    if missing:
        raise DataError(
            f"reference file lacks column(s) {', '.join(missing)}; "
            f"found {', '.join(map(str, head.columns))}",
            path=path,
        )
    frame = pd.read_csv(path, usecols=list(wanted), dtype=str, comment="#", keep_default_na=False)
    frame = frame.rename(columns=wanted)[list(wanted.values())]
    for col in frame.columns:
        frame[col] = frame[col].str.strip()
    return frame


def read_reference_csv(path: str | Path, columns: dict[str, str]) -> pd.DataFrame:
    """Read the named columns of a reference CSV as stripped text, renamed (cached).

    Parameters
    ----------
    path : str or path-like
        The CSV file (``.csv`` or ``.csv.gz``; lines starting ``#`` are comments).
    columns : dict
        ``{column in the file: name in the result}``.

    Returns
    -------
    pandas.DataFrame
        One text column per entry of ``columns``, in that order. The frame is shared by
        later calls on the same unchanged file: do not modify it in place.

    Raises
    ------
    DataError
        If the file is missing, unreadable or lacks one of the columns.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "la.csv"
    >>> _ = p.write_text("ltla24_code,ltla24_name\\nE06000018, Nottingham\\n")
    >>> read_reference_csv(p, {"ltla24_code": "la", "ltla24_name": "la_name"}).iloc[0].tolist()
    ['E06000018', 'Nottingham']
    """
    path = Path(path)
    return _read_csv_cached(_stat_key(path), tuple(columns.items()))


def population_files(reference_dir: str | Path) -> pd.DataFrame:
    """List the population files under ``<reference_dir>/population``.

    Files are recognised by their name, ``population<YY or YYYY>_lsoa<11|21>.csv[.gz]``
    (two-digit years are 20YY).

    Returns
    -------
    pandas.DataFrame
        Columns ``year`` (int), ``vintage`` (``"2011"`` or ``"2021"``) and ``path``,
        sorted by year.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> (d / "population").mkdir()
    >>> _ = (d / "population" / "population19_lsoa11.csv.gz").write_bytes(b"")
    >>> population_files(d)[["year", "vintage"]].to_dict("records")
    [{'year': 2019, 'vintage': '2011'}]
    """
    folder = Path(reference_dir) / "population"
    rows = []
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            m = _POPULATION_RE.match(path.name)
            if m:
                year = int(m.group(1))
                rows.append(
                    {
                        "year": year + 2000 if year < 100 else year,
                        "vintage": "20" + m.group(2),
                        "path": path,
                    }
                )
    out = pd.DataFrame(rows, columns=["year", "vintage", "path"])
    return out.sort_values(["year", "vintage"], ignore_index=True)


def _gdal_path(path: Path) -> str:
    return f"/vsigzip/{path}" if path.name.endswith(".gz") else str(path)


@functools.lru_cache(maxsize=8)
def _read_boundary_cached(key: tuple[str, int, int]) -> pd.DataFrame:
    """Every feature of a boundary file as read (shared: do not modify in place)."""
    path = Path(key[0])
    try:
        frame = pyogrio.read_dataframe(_gdal_path(path))
    except Exception as exc:  # pyogrio raises several error types for unreadable files
        raise DataError(f"cannot read boundary file: {exc}", path=path) from None
    return frame


def _read_boundary_file(path: Path) -> pd.DataFrame:
    return _read_boundary_cached(_stat_key(path))


def _geometry_kinds(frame: pd.DataFrame) -> str:
    """The geometry types of a read boundary file, e.g. ``"MultiPolygon, Polygon"``."""
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.isna().all():
        return ""
    return ", ".join(sorted(set(frame.geom_type.dropna())))


def _boundary_columns(path: Path, layer: str) -> tuple[str, str | None]:
    """Return (code column, name column or None) of a boundary file for a layer."""
    _, code_re, name_re, _ = BOUNDARY_LAYERS[layer]
    frame = _read_boundary_file(Path(path))
    fields = [str(f) for f in frame.columns if f != getattr(frame, "_geometry_column_name", None)]
    code = next((f for f in fields if re.match(code_re, f, re.I)), None)
    name = next((f for f in fields if re.match(name_re, f, re.I)), None)
    if code is None:
        raise DataError(
            f"boundary file has no {layer} code column (expected one matching "
            f"{code_re!r}, such as '{layer}_code'); found "
            f"{', '.join(fields) or 'no columns'}",
            path=path,
        )
    return code, name


@functools.lru_cache(maxsize=8)
def _layer_cached(key: tuple[str, int, int], layer: str) -> gpd.GeoDataFrame:
    path = Path(key[0])
    code_col, name_col = _boundary_columns(path, layer)
    frame = _read_boundary_cached(key)
    if not isinstance(frame, gpd.GeoDataFrame):
        raise DataError("boundary file has no geometry", path=path)
    if frame.crs is None:
        raise DataError("boundary file has no coordinate reference system", path=path)
    out = gpd.GeoDataFrame(
        {
            "code": frame[code_col].astype(str).str.strip().to_numpy(),
            "name": frame[name_col].to_numpy() if name_col else pd.NA,
        },
        geometry=frame.geometry.to_numpy(),
        crs=frame.crs,
    )
    return out


def find_boundary_file(
    reference_dir: str | Path, layer: str, codes, *, area: str = "the area"
) -> Path:
    """Find a boundary file under ``<reference_dir>/boundaries`` holding every code.

    Polygon files whose name matches the layer (``lsoa11``, ``lsoa21`` or ``ward``) are
    tried, smallest first, and the first whose code column holds all of ``codes`` is
    returned (so an area's own file is preferred to a national one; centroid files are
    skipped). Each file is read once per process (cached by path, size and modification
    time), so :func:`read_boundaries` on the file found does not read it again.

    Raises
    ------
    DataError
        Naming the files checked and the boundary file that is needed.

    Examples
    --------
    >>> find_boundary_file("data/reference", "lsoa21", ["E01013810"]).name
    'lsoa21_england_wales.geojson.gz'
    """
    if layer not in BOUNDARY_LAYERS:
        raise ValueError(f"layer must be one of {sorted(BOUNDARY_LAYERS)}, got {layer!r}")
    name_re, _, _, needed = BOUNDARY_LAYERS[layer]
    folder = Path(reference_dir) / "boundaries"
    wanted = set(codes)
    candidates = []
    if folder.is_dir():
        candidates = [
            p
            for p in folder.iterdir()
            if re.search(name_re, p.name, re.I) and p.name.lower().endswith(_BOUNDARY_SUFFIXES)
        ]
    checked = []
    for path in sorted(candidates, key=lambda p: (p.stat().st_size, p.name)):
        geometry = _geometry_kinds(_read_boundary_file(path))
        if "polygon" not in geometry.lower():
            checked.append(f"{path.name} (not polygons: {geometry or 'no geometry'})")
            continue
        found = _layer_cached(_stat_key(path), layer)["code"]
        missing = wanted - set(found[found.isin(wanted)])
        if not missing:
            return path
        checked.append(f"{path.name} (lacks {len(missing)} of {len(wanted)}, e.g. {min(missing)})")
    what = "; checked " + ", ".join(checked) if checked else "; no such file is there"
    raise DataError(
        f"no {layer} boundary file in {folder} covers {area}{what}. Add {needed} to that "
        f"folder, or pass boundaries={{'{layer}': path}}",
    )


def read_boundaries(path: str | Path, layer: str, codes=None) -> gpd.GeoDataFrame:
    """Read a boundary file as ``code``, ``name``, ``geometry`` in EPSG:27700.

    The file is read once per process (cached by path, size and modification time); each
    call selects its codes from that read and projects only those.

    Parameters
    ----------
    path : str or path-like
        A GeoJSON (optionally gzipped), GeoPackage or shapefile.
    layer : {"lsoa11", "lsoa21", "ward"}
        Which layer the file holds (decides which columns are the code and name).
    codes : iterable of str, optional
        Keep only these codes.

    Returns
    -------
    geopandas.GeoDataFrame
        Sorted by ``code``; a new frame (changing it leaves the cached read alone).

    Examples
    --------
    >>> g = read_boundaries("data/reference/boundaries/lsoa21_england_wales.geojson.gz",
    ...                     "lsoa21", ["E01013811", "E01013810"])
    >>> g["code"].tolist(), g.crs.to_epsg(), list(g.columns)
    (['E01013810', 'E01013811'], 27700, ['code', 'name', 'geometry'])
    """
    if layer not in BOUNDARY_LAYERS:
        raise ValueError(f"layer must be one of {sorted(BOUNDARY_LAYERS)}, got {layer!r}")
    gdf = _layer_cached(_stat_key(Path(path)), layer)
    if codes is not None:
        gdf = gdf[gdf["code"].isin(set(codes)).to_numpy()]
    gdf = gdf.to_crs(27700) if gdf.crs.to_epsg() != 27700 else gdf.copy()
    return gdf.sort_values("code", ignore_index=True)
