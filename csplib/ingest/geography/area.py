"""The partnership's geography: LSOAs, wards, population, deprivation and boundaries.

A :class:`Geography` is built from the national ONS lookups for a set of local
authorities (or the Community Safety Partnership holding them) and one LSOA vintage.
Everything comes from the reference directory passed in; nothing is specific to one
partnership.

Ward and local authority of an LSOA come from ``lookup_lsoa21_ward24_ltla24`` (2024
wards and authorities); for 2011 codes, through the LSOA21 pieces (see
:mod:`csplib.ingest.geography.lookups`). Population and deprivation are in
:mod:`csplib.ingest.geography.measures`, vintage conversion in
:mod:`csplib.ingest.geography.vintage`.

Boundaries: LSOA polygons come from the national ONS generalised boundary files in
``<reference_dir>/boundaries`` (read once per process). Ward polygons are **drawn as the
union of their LSOAs**, by the same best-fit LSOA21 -> ward lookup that assigns counts to
wards, so a ward map and the ward counts always agree. Where an LSOA straddles a ward
boundary, the official ward boundary cuts through it; here the whole LSOA lies in the one
ward its counts go to, so a drawn ward can differ from the official one by part of an LSOA
along its edge (``docs/geography.md``).
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from csplib.core.errors import DataError, ParamsError
from csplib.ingest.geography.lookups import (
    TABLE_COLUMNS,
    la_csp_table,
    lsoa11_table,
    lsoa21_table,
    lsoa_lookup,
)
from csplib.ingest.geography.measures import lsoa_deprivation, lsoa_population
from csplib.ingest.geography.reference import REFERENCE_FILES, find_boundary_file, read_boundaries
from csplib.ingest.geography.vintage import VintageConversion, _check_vintage, convert_lsoa_vintage

__all__ = ["Geography", "AreaAssignment", "REJECT_REASONS"]

#: Reasons a row is left out by :meth:`Geography.assign_area`.
REJECT_REASONS: tuple[str, ...] = ("outside the area", "unknown LSOA code", "no LSOA code")


class AreaAssignment(NamedTuple):
    """Result of :meth:`Geography.assign_area`.

    Attributes
    ----------
    kept : pandas.DataFrame
        Rows inside the area, LSOA in the geography's vintage, with ``ward``,
        ``ward_name`` and ``la`` attached.
    rejected : pandas.DataFrame
        The other rows (converted where possible) with a ``reason`` column, one of
        :data:`REJECT_REASONS`.
    conversion : pandas.DataFrame
        The vintage count table of :func:`~csplib.ingest.geography.vintage.convert_lsoa_vintage`.
    """

    kept: pd.DataFrame
    rejected: pd.DataFrame
    conversion: pd.DataFrame

    def summary(self) -> pd.DataFrame:
        """Rows kept and rejected by reason (``outcome``, ``rows``); rows sum to the input."""
        counts = [("kept", len(self.kept))]
        for reason in REJECT_REASONS:
            counts.append((reason, int((self.rejected["reason"] == reason).sum())))
        return pd.DataFrame(counts, columns=["outcome", "rows"])


class Geography:
    """LSOAs, wards, population, deprivation and boundaries of one partnership.

    Parameters
    ----------
    reference_dir : str or path-like
        The reference directory (``data/reference``); see
        :mod:`csplib.ingest.geography.reference` for the files it must hold.
    la_codes : sequence of str, optional
        Local authority (2024) codes of the area, e.g. ``["E06000018"]``.
    csp_code : str, optional
        Community Safety Partnership code (e.g. ``"E22000257"``); its local authorities
        come from ``lookup_ltla24_csp24_pfa24``. Give ``la_codes``, ``csp_code`` or both
        (then the authorities must be those of the CSP). A legacy CSP that shares its
        authority with other CSPs (after a local government merger) cannot be built from
        the lookups alone; give the authority's code to use the whole authority.
    vintage : {"2021", "2011"}
        LSOA vintage of every table returned.
    name : str, optional
        Display name; defaults to the CSP name, else the authorities' names.
    boundaries : dict, optional
        ``{"lsoa11" | "lsoa21" | "ward": path}`` overriding the boundary files found
        under ``<reference_dir>/boundaries`` (LSOAs), or the wards drawn from the LSOAs
        (``"ward"``: a file of ward polygons whose codes match the 2024 wards).

    Attributes
    ----------
    la_codes : tuple of str
        The area's local authorities.
    csp_code, csp_name : str or None
        The CSP the authorities form (None when they are not exactly one CSP).
    force_code, force_name : str or None
        Their police force area (None when they span several).
    name : str
        Display name.
    vintage : str
        LSOA vintage of the tables.
    reference_dir : pathlib.Path
        Where the reference files are read from.

    Raises
    ------
    ParamsError
        Unknown vintage, local authority or CSP code, or a CSP whose boundary cannot be
        built from whole local authorities.

    Examples
    --------
    >>> geo = Geography("data/reference", csp_code="E22000257")
    >>> geo.name, geo.la_codes, len(geo.lsoa_table), geo.lsoa_table["ward"].nunique()
    ('Nottingham', ('E06000018',), 179, 20)
    """

    def __init__(
        self,
        reference_dir,
        *,
        la_codes=None,
        csp_code: str | None = None,
        vintage: str = "2021",
        name: str | None = None,
        boundaries: dict | None = None,
    ):
        self.vintage = _check_vintage(vintage)
        self.reference_dir = Path(reference_dir)
        if not self.reference_dir.is_dir():
            raise ParamsError(f"reference directory {self.reference_dir} does not exist")
        if la_codes is None and csp_code is None:
            raise ParamsError("give the area as la_codes (local authority codes) or csp_code")
        if isinstance(la_codes, str):
            la_codes = [la_codes]
        self._boundary_files = {k: Path(v) for k, v in (boundaries or {}).items()}
        unknown = set(self._boundary_files) - {"lsoa11", "lsoa21", "ward"}
        if unknown:
            raise ParamsError(
                f"boundaries: unknown layer(s) {sorted(unknown)}; expected lsoa11, lsoa21, ward"
            )
        self._table21 = lsoa21_table(self.reference_dir)
        self._lookup = lsoa_lookup(self.reference_dir)
        la_csp = la_csp_table(self.reference_dir)
        self.la_codes, self.csp_code, self.csp_name = self._resolve_area(la_codes, csp_code, la_csp)
        forces = la_csp.loc[la_csp["la"].isin(self.la_codes), ["pfa", "pfa_name"]].drop_duplicates()
        self.force_code, self.force_name = (
            tuple(forces.iloc[0]) if len(forces) == 1 else (None, None)
        )
        la_names = self._table21.drop_duplicates("la").set_index("la")["la_name"]
        self.name = name or self.csp_name or ", ".join(la_names[list(self.la_codes)])
        self._cache: dict = {}

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_params(cls, params) -> Geography:
        """Build from a :class:`csplib.params.Params` (its ``area`` and ``data.reference_dir``)."""
        area = params.area
        return cls(
            params.data.reference_dir,
            la_codes=list(area.la_codes),
            csp_code=area.csp_code,
            vintage=area.lsoa_vintage,
            name=area.name,
        )

    def _resolve_area(self, la_codes, csp_code, la_csp):
        known_las = set(self._table21["la"])
        if la_codes is not None:
            la_codes = [str(c).strip() for c in la_codes]
            if not la_codes:
                raise ParamsError("la_codes is empty; give at least one local authority code")
            bad = [c for c in la_codes if c not in known_las]
            if bad:
                raise ParamsError(
                    f"unknown local authority code(s) {', '.join(bad)}: not in "
                    f"{REFERENCE_FILES['lsoa21_ward']} (2024 codes such as 'E06000018')"
                )
        if csp_code is not None:
            csp_code = str(csp_code).strip()
            rows = la_csp[la_csp["csp"] == csp_code]
            if rows.empty:
                raise ParamsError(
                    f"unknown CSP code {csp_code!r}: not in {REFERENCE_FILES['la_csp']}"
                )
            csp_las = sorted(set(rows["la"]))
            shared = la_csp[la_csp["la"].isin(csp_las) & (la_csp["csp"] != csp_code)]
            if la_codes is None and not shared.empty:
                raise ParamsError(
                    f"CSP {csp_code} ({rows['csp_name'].iloc[0]}) shares local authority "
                    f"{shared['la'].iloc[0]} with CSP {shared['csp'].iloc[0]}: the lookups "
                    "resolve areas to whole local authorities only, so this CSP's boundary "
                    "cannot be built from them"
                )
            if la_codes is not None and sorted(set(la_codes)) != csp_las:
                raise ParamsError(
                    f"la_codes {sorted(set(la_codes))} are not the local authorities of CSP "
                    f"{csp_code} ({', '.join(csp_las)})"
                )
            return tuple(csp_las), csp_code, str(rows["csp_name"].iloc[0])
        rows = la_csp[la_csp["la"].isin(la_codes)]
        csps = set(rows["csp"])
        if len(csps) == 1:
            code = csps.pop()
            if sorted(set(la_csp.loc[la_csp["csp"] == code, "la"])) == sorted(set(la_codes)) and (
                len(rows) == len(set(la_codes))
            ):
                return tuple(dict.fromkeys(la_codes)), code, str(rows["csp_name"].iloc[0])
        return tuple(dict.fromkeys(la_codes)), None, None

    def __repr__(self) -> str:
        return (
            f"Geography({self.name!r}, la_codes={self.la_codes!r}, vintage={self.vintage!r}: "
            f"{len(self.lsoa_table)} LSOAs, {self.lsoa_table['ward'].nunique()} wards)"
        )

    # ------------------------------------------------------------------ tables
    def _national(self, vintage: str) -> pd.DataFrame:
        if vintage == "2021":
            return self._table21[TABLE_COLUMNS]
        if "table11" not in self._cache:
            self._cache["table11"] = lsoa11_table(self._lookup, self._table21)
        return self._cache["table11"]

    def _area_table(self, vintage: str) -> pd.DataFrame:
        table = self._national(vintage)
        return table[table["la"].isin(self.la_codes)].sort_index()

    @property
    def lsoa_table(self) -> pd.DataFrame:
        """The area's LSOAs in the geography's vintage.

        Index ``lsoa`` (code); columns ``lsoa_name``, ``ward``, ``ward_name``, ``la``,
        ``la_name``.
        """
        return self._area_table(self.vintage).copy()

    @property
    def ward_table(self) -> pd.DataFrame:
        """The area's wards: index ``ward``; columns ``ward_name``, ``la``, ``lsoa_count``."""
        t = self._area_table(self.vintage)
        return (
            t.groupby("ward")
            .agg(ward_name=("ward_name", "first"), la=("la", "first"), lsoa_count=("la", "size"))
            .sort_index()
        )

    @property
    def lookup(self) -> pd.DataFrame:
        """The national LSOA11 - LSOA21 lookup.

        Columns ``lsoa11``, ``lsoa11_name``, ``lsoa21``, ``change`` (U/M/S/X).
        """
        return self._lookup.copy()

    def is_known(self, codes) -> pd.Series:
        """Whether each code is an LSOA code of either vintage (boolean Series)."""
        codes = pd.Series(codes)
        known = set(self._lookup["lsoa11"]) | set(self._lookup["lsoa21"])
        return codes.isin(known)

    # ------------------------------------------------------------------ vintages and area
    def _target_boundaries(self, vintage: str):
        try:
            return self._read_layer(f"lsoa{vintage[2:]}", self._area_table(vintage).index)
        except DataError:
            return None

    def to_vintage(
        self, frame: pd.DataFrame, target: str | None = None, *, method_column=None
    ) -> VintageConversion:
        """Convert a frame's ``lsoa`` codes to ``target`` (default: the geography's vintage).

        Rows of split LSOAs are placed by their ``longitude``/``latitude`` against the
        area's target-vintage boundaries when those are available (see
        :mod:`csplib.ingest.geography.vintage` for the methods and the fallback rule).

        Returns
        -------
        VintageConversion
            ``(frame, counts)``: converted rows and a count table by change and method.

        Examples
        --------
        >>> geo = Geography("data/reference", la_codes=["E06000018"])
        >>> rows = pd.DataFrame({"lsoa": ["E01013974", "E01033404"], "lsoa_vintage": "2011",
        ...                      "longitude": [-1.1893, None], "latitude": [52.9394, None]})
        >>> geo.to_vintage(rows).frame["lsoa"].tolist()
        ['E01035507', 'E01035501']
        """
        target = self.vintage if target is None else _check_vintage(target)
        return convert_lsoa_vintage(
            frame,
            target,
            self._lookup,
            boundaries=self._target_boundaries(target),
            method_column=method_column,
        )

    def assign_area(self, frame: pd.DataFrame) -> AreaAssignment:
        """Keep the rows inside the area, by LSOA -> local authority (never ``falls_within``).

        Rows are first converted to the geography's vintage (:meth:`to_vintage`). A row is
        kept when its LSOA lies in one of the area's local authorities; otherwise it is
        rejected as ``"outside the area"``, ``"unknown LSOA code"`` (in neither vintage's
        list) or ``"no LSOA code"``. ``len(kept) + len(rejected) == len(frame)``.

        Examples
        --------
        >>> geo = Geography("data/reference", la_codes=["E06000018"])
        >>> rows = pd.DataFrame({"lsoa": ["E01013810", "E01019420", "E01999999", None]})
        >>> res = geo.assign_area(rows)
        >>> res.kept[["lsoa", "ward_name", "la"]].values.tolist()
        [['E01013810', 'Hyson Green & Arboretum', 'E06000018']]
        >>> res.rejected["reason"].tolist()
        ['outside the area', 'unknown LSOA code', 'no LSOA code']
        """
        conversion = self.to_vintage(frame)
        converted = conversion.frame
        table = self._national(self.vintage)
        codes = converted["lsoa"]
        la = codes.map(table["la"])
        reason = np.select(
            [codes.isna().to_numpy(), la.isna().to_numpy(), ~la.isin(self.la_codes).to_numpy()],
            ["no LSOA code", "unknown LSOA code", "outside the area"],
            default="",
        )
        inside = reason == ""
        kept = converted[inside].copy()
        kept["ward"] = kept["lsoa"].map(table["ward"]).astype("str")
        kept["ward_name"] = kept["lsoa"].map(table["ward_name"]).astype("str")
        kept["la"] = kept["lsoa"].map(table["la"]).astype("str")
        rejected = converted[~inside].copy()
        rejected["reason"] = pd.array(reason[~inside], dtype="str")
        return AreaAssignment(kept, rejected, conversion.counts)

    # ------------------------------------------------------------------ population
    def population(self, year: int) -> pd.DataFrame:
        """Mid-year population of each LSOA of the area, from the nearest year available.

        The shipped ONS estimates are by LSOA11 (2017, 2019, 2020). For 2021 codes they
        are converted with the ONS lookup: merged LSOAs are summed; a split LSOA11's
        population is shared **equally** among its LSOA21 pieces (no smaller-area counts
        are in the reference data to weight by). Totals over whole areas are preserved.

        Parameters
        ----------
        year : int
            Wanted year. The nearest available year is used (ties go to the later year).

        Returns
        -------
        pandas.DataFrame
            Index ``lsoa``; columns ``population`` (float) and ``year`` (the year used).
            ``attrs`` records ``year``, ``requested_year``, ``source`` and ``method``.

        Examples
        --------
        >>> geo = Geography("data/reference", la_codes=["E06000018"])
        >>> pop = geo.population(2018)
        >>> int(pop["year"].iloc[0]), round(pop["population"].sum())
        (2019, 332900)
        """
        return lsoa_population(
            self.reference_dir,
            self._area_table(self.vintage).index,
            year=year,
            vintage=self.vintage,
            lookup=self._lookup,
            area=self.name,
        )

    # ------------------------------------------------------------------ deprivation
    def deprivation(self) -> pd.DataFrame:
        """Index of Multiple Deprivation of each LSOA of the area.

        IMD2019 for 2011 codes, IoD2025 for 2021 codes (decile 1 = most deprived 10% in
        England). The English indices do not cover Wales, and the Welsh Index of Multiple
        Deprivation is not shipped: Welsh LSOAs are listed with missing values and
        ``attrs["note"]`` says so (callers show the note and leave deprivation out).

        Returns
        -------
        pandas.DataFrame
            Index ``lsoa`` (every LSOA of the area); columns ``imd_decile`` and
            ``imd_rank`` (nullable ``Int64``), ``imd_score`` (float, missing where the
            edition gives no score) and ``edition``. ``attrs``: ``edition`` (None when no
            LSOA has a decile) and, when some LSOAs have none, ``note``.

        Examples
        --------
        >>> geo = Geography("data/reference", la_codes=["E06000018"], vintage="2011")
        >>> d = geo.deprivation()
        >>> d["edition"].iloc[0], int((d["imd_decile"] == 1).sum()), len(d), "note" in d.attrs
        ('IMD2019', 56, 182, False)
        >>> cardiff = Geography("data/reference", la_codes=["W06000015"]).deprivation()
        >>> len(cardiff), int(cardiff["imd_decile"].notna().sum()), cardiff.attrs["edition"]
        (218, 0, None)
        """
        return lsoa_deprivation(
            self.reference_dir,
            self._area_table(self.vintage).index,
            vintage=self.vintage,
            area=self.name,
        )

    # ------------------------------------------------------------------ boundaries
    def _read_layer(self, layer: str, codes) -> gpd.GeoDataFrame:
        key = ("layer", layer)
        if key not in self._cache:
            path = self._boundary_files.get(layer)
            if path is None:
                path = find_boundary_file(
                    self.reference_dir,
                    layer,
                    codes,
                    area=f"{self.name} ({', '.join(self.la_codes)})",
                )
            gdf = read_boundaries(path, layer, codes)
            missing = set(codes) - set(gdf["code"])
            if missing:
                raise DataError(
                    f"boundary file lacks {len(missing)} {layer} code(s) of {self.name}, "
                    f"e.g. {min(missing)}",
                    path=path,
                )
            self._cache[key] = gdf
        return self._cache[key]

    def lsoas(self) -> gpd.GeoDataFrame:
        """LSOA polygons of the area in EPSG:27700 (British National Grid).

        Columns ``lsoa``, ``lsoa_name``, ``ward``, ``ward_name``, ``la``, ``geometry``.

        Raises
        ------
        DataError
            When no file under ``<reference_dir>/boundaries`` holds the area's LSOAs; the
            message names the file needed.

        Examples
        --------
        >>> g = Geography("data/reference", la_codes=["E06000018"]).lsoas()
        >>> len(g), g.crs.to_epsg()
        (179, 27700)
        """
        table = self._area_table(self.vintage)
        gdf = self._read_layer(f"lsoa{self.vintage[2:]}", table.index)
        out = table.join(gdf.set_index("code")["geometry"]).reset_index()
        return gpd.GeoDataFrame(
            out[["lsoa", "lsoa_name", "ward", "ward_name", "la", "geometry"]],
            geometry="geometry",
            crs=gdf.crs,
        )

    def wards(self) -> gpd.GeoDataFrame:
        """Ward polygons of the area in EPSG:27700, drawn as the union of their LSOAs.

        Each ward is the union of the area's LSOA 2021 polygons that the ONS best-fit
        lookup (``lookup_lsoa21_ward24_ltla24``) puts in it: the lookup that assigns
        incidents, population and deprivation to wards. A map of wards therefore holds
        exactly the LSOAs counted in each ward, and the wards tile the area with no gap or
        overlap. Where an LSOA straddles the official ward boundary, the official boundary
        cuts through it, while here the whole LSOA lies in its best-fit ward: a drawn ward
        can differ from the official one by part of an LSOA along its edge.

        For a geography of 2011 LSOAs the polygons are still drawn from the LSOA21 polygons
        by the 2021 lookup (the 2024 wards are made of 2021 LSOAs); ``lsoa_count`` counts
        the geography's own (2011) LSOAs, and is 0 for a ward none of whose LSOA11s has its
        majority there (five wards in England).

        A ward file given as ``boundaries={"ward": path}`` is used instead of the union.

        Returns
        -------
        geopandas.GeoDataFrame
            One row per ward of the area (sorted by code); columns ``ward``,
            ``ward_name``, ``la``, ``lsoa_count``, ``geometry``.

        Raises
        ------
        DataError
            When the LSOA boundaries (or the ward file given) lack a code of the area.

        Examples
        --------
        >>> geo = Geography("data/reference", la_codes=["E06000018"])
        >>> w = geo.wards()
        >>> len(w), w.crs.to_epsg(), int(w["lsoa_count"].sum())
        (20, 27700, 179)
        >>> bool(abs(w.union_all().area - geo.lsoas().union_all().area) < 1)
        True
        """
        table21 = self._area_table("2021")
        names = table21.groupby("ward").agg(ward_name=("ward_name", "first"), la=("la", "first"))
        if ("wards",) not in self._cache:
            path = self._boundary_files.get("ward")
            if path is None:
                lsoas = self._read_layer("lsoa21", table21.index)
                geometry = _union_by(lsoas.set_index("code").geometry, table21["ward"])
            else:
                geometry = self._read_layer("ward", names.index).set_index("code").geometry
            self._cache[("wards",)] = geometry
        geometry = self._cache[("wards",)]
        count = self.ward_table["lsoa_count"].reindex(names.index, fill_value=0)
        out = names.assign(lsoa_count=count.astype("int64")).reset_index()
        return gpd.GeoDataFrame(
            out, geometry=geometry.reindex(names.index).to_numpy(), crs=geometry.crs
        )

    # ------------------------------------------------------------------ ward profiles
    def ward_profile(self, data, *, by: str | None = None, population=None) -> pd.DataFrame:
        """Aggregate LSOA counts (and population) to wards.

        Parameters
        ----------
        data : pandas.DataFrame or pandas.Series
            Either incidents (a frame with an ``lsoa`` column: rows are counted, one
            column per value of ``by`` if given, else ``count``), or values indexed by
            LSOA code (a Series, or a frame of numeric columns) which are summed.
        by : str, optional
            Column of ``data`` (incidents only) to count by, e.g. ``"category"``.
        population : int or pandas.DataFrame or pandas.Series, optional
            A year (passed to :meth:`population`) or population by LSOA (the
            ``population`` column of a frame); adds a summed ``population`` column.

        Returns
        -------
        pandas.DataFrame
            Index ``ward`` (every ward of the area, zeros where nothing was counted);
            columns ``ward_name``, ``lsoa_count``, the counts, and ``population``.

        Raises
        ------
        DataError
            If an LSOA code is not an LSOA of the area in the geography's vintage.

        Examples
        --------
        >>> geo = Geography("data/reference", la_codes=["E06000018"])
        >>> rows = pd.DataFrame({"lsoa": ["E01013810", "E01013811", "E01013810"]})
        >>> p = geo.ward_profile(rows, population=2019)
        >>> p.loc["E05012281", "ward_name"], int(p.loc["E05012281", "count"])
        ('Hyson Green & Arboretum', 3)
        >>> int(p["count"].sum()), round(p["population"].sum())
        (3, 332900)
        """
        table = self._area_table(self.vintage)
        if isinstance(data, pd.DataFrame) and "lsoa" in data.columns:
            if by is None:
                counts = data.groupby("lsoa").size().to_frame("count")
            else:
                if by not in data.columns:
                    raise DataError(f"ward_profile: no column {by!r} to count by")
                counts = data.groupby(["lsoa", by]).size().unstack(fill_value=0)
                counts.columns = counts.columns.astype(str)
        else:
            if by is not None:
                raise DataError("ward_profile: 'by' applies to incidents (a frame with 'lsoa')")
            if isinstance(data, pd.Series):
                counts = data.to_frame(data.name if data.name is not None else "count")
            else:
                counts = data
        outside = counts.index.difference(table.index)
        if len(outside):
            raise DataError(
                f"ward_profile: {len(outside)} LSOA code(s) are not {self.vintage} LSOAs of "
                f"{self.name}, e.g. {outside[0]}; filter with assign_area first"
            )
        ward = table["ward"]
        summed = counts.groupby(ward.reindex(counts.index).to_numpy()).sum()
        out = self.ward_table[["ward_name", "lsoa_count"]].join(summed)
        out[summed.columns] = out[summed.columns].fillna(0).astype(summed.dtypes.to_dict())
        if population is not None:
            if isinstance(population, (int, np.integer)):
                population = self.population(int(population))
            if isinstance(population, pd.DataFrame):
                population = population["population"]
            pop = population.reindex(table.index)
            if pop.isna().any():
                raise DataError(
                    f"ward_profile: population lacks LSOA {pop.index[pop.isna()][0]} of the area"
                )
            out["population"] = pop.groupby(ward.to_numpy()).sum()
        out.index.name = "ward"
        return out


def _union_by(geometry: gpd.GeoSeries, groups: pd.Series) -> gpd.GeoSeries:
    """Union of the polygons of each group (``groups`` maps the index of ``geometry``).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> cells = gpd.GeoSeries([box(0, 0, 1, 1), box(1, 0, 2, 1), box(0, 1, 1, 2)],
    ...                       index=["a", "b", "c"], crs=27700)
    >>> u = _union_by(cells, pd.Series({"a": "W1", "b": "W1", "c": "W2"}))
    >>> u.area.to_dict(), u.crs.to_epsg()
    ({'W1': 2.0, 'W2': 1.0}, 27700)
    """
    keys = groups.reindex(geometry.index)
    if keys.isna().any():
        raise DataError(f"polygon {keys.index[keys.isna()][0]} has no group to be merged into")
    values = geometry.to_numpy()
    order = sorted(set(keys))
    parts = [shapely.union_all(values[(keys == k).to_numpy()]) for k in order]
    return gpd.GeoSeries(parts, index=pd.Index(order, name=groups.name), crs=geometry.crs)
