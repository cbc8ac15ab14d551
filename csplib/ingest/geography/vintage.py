"""Convert LSOA codes between the 2011 and 2021 vintages.

police.uk files up to 2023 carry 2011 LSOA codes and later files 2021 codes; the tidy
store holds one vintage, so rows are converted at ingest with the ONS lookup
(``lookup_lsoa11_lsoa21_ltla22``), whose change code says how each 2011 LSOA became
2021 LSOAs: **U** unchanged, **M** merged (several LSOA11 became one LSOA21), **S** split
(one LSOA11 became several LSOA21), **X** irregular (boundaries redrawn; an LSOA can
both gain and lose pieces).

A row is converted as follows (the ``method`` of the count table):

``kept``
    the code is already in the target vintage.
``same code``
    change code U: the code is the same in both vintages.
``exact``
    the code has exactly one counterpart in the target vintage (a merge seen from the
    2011 side, a split seen from the 2021 side, or one piece of an irregular change).
``split-by-location``
    the code has several counterparts (a split going 2011 -> 2021, a merge going
    2021 -> 2011, some irregular changes) and the row's point lies inside one of those
    candidate pieces of the target-vintage boundaries (a spatial join on the candidate
    pieces only).
``split-by-nearest``
    as above, but the point (police.uk points are snapped to a nearby street) lies in
    none of the candidate pieces: the nearest candidate piece is used.
``split-by-rule``
    several counterparts and no usable location (no coordinates, or no boundaries for
    the candidate pieces). The rows of each such code are dealt to its pieces in turn:
    the *i*-th such row, in frame order, goes to the (*i* mod *k*)-th of its *k* pieces
    in code order. This keeps the expected share of each piece equal, as the population
    apportionment does (:meth:`csplib.ingest.geography.Geography.population`), and is
    deterministic for a given frame.
``not converted``
    no LSOA code, or a code in neither vintage's list (left as it is).
"""

from __future__ import annotations

from typing import NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from csplib.core.errors import DataError, ParamsError

__all__ = ["VINTAGES", "CHANGE_LABELS", "METHODS", "VintageConversion", "convert_lsoa_vintage"]

VINTAGES: tuple[str, ...] = ("2011", "2021")

#: ONS change codes and the label used in the count table.
CHANGE_LABELS: dict[str, str] = {
    "U": "unchanged",
    "M": "merged",
    "S": "split",
    "X": "irregular",
}
_SAME = "same vintage"
_MISSING = "no LSOA code"
_UNKNOWN = "unknown LSOA code"
_CHANGE_ORDER = (_SAME, *CHANGE_LABELS.values(), _MISSING, _UNKNOWN)

METHODS: tuple[str, ...] = (
    "kept",
    "same code",
    "exact",
    "split-by-location",
    "split-by-nearest",
    "split-by-rule",
    "not converted",
)


class VintageConversion(NamedTuple):
    """Result of :func:`convert_lsoa_vintage`.

    Attributes
    ----------
    frame : pandas.DataFrame
        The input rows, same index and order, with ``lsoa`` in the target vintage and
        ``lsoa_vintage`` set to it (rows without a known code keep their code).
    counts : pandas.DataFrame
        Columns ``change``, ``method``, ``rows``: how many rows went each way. The
        ``rows`` column sums to the number of input rows.
    """

    frame: pd.DataFrame
    counts: pd.DataFrame


def _check_vintage(vintage) -> str:
    text = str(vintage).strip()
    if text not in VINTAGES:
        raise ParamsError(f"LSOA vintage must be '2011' or '2021', got {vintage!r}")
    return text


def _clean_text(series: pd.Series) -> pd.Series:
    """Stripped text with blanks as missing (nullable string dtype)."""
    text = series.astype("string").str.strip()
    return text.mask(text == "")


def _declared_vintage(frame: pd.DataFrame, target: str) -> pd.Series:
    if "lsoa_vintage" not in frame.columns:
        return pd.Series(target, index=frame.index, dtype=object)
    declared = _clean_text(frame["lsoa_vintage"]).str.replace(r"\.0$", "", regex=True)
    declared = declared.fillna(target)
    bad = sorted(set(declared.unique()) - set(VINTAGES))
    if bad:
        raise DataError(
            f"column 'lsoa_vintage' must hold '2011' or '2021', found {', '.join(map(repr, bad))}"
        )
    return declared.astype(object)


def _pieces_by_location(rows: pd.DataFrame, pairs: pd.DataFrame, boundaries) -> pd.DataFrame:
    """Assign rows (``pos``, ``lon``, ``lat``) to one of their candidate pieces.

    ``pairs`` has one row per (``pos``, ``piece``) candidate. Returns ``pos``, ``piece``,
    ``method`` for the rows that could be placed.
    """
    out = pd.DataFrame({"pos": [], "piece": [], "method": []})
    pieces = boundaries[boundaries["code"].isin(set(pairs["piece"]))]
    pieces = pieces.drop_duplicates("code").to_crs(27700)[["code", "geometry"]]
    have = set(pieces["code"])
    ok_pos = pairs.assign(ok=pairs["piece"].isin(have)).groupby("pos")["ok"].all()
    rows = rows[rows["pos"].isin(ok_pos.index[ok_pos])]
    if rows.empty:
        return out
    points = gpd.GeoDataFrame(
        {"pos": rows["pos"].to_numpy()},
        geometry=gpd.points_from_xy(rows["lon"], rows["lat"]),
        crs=4326,
    ).to_crs(27700)
    hits = gpd.sjoin(points, pieces, predicate="within", how="inner")
    hits = pd.DataFrame({"pos": hits["pos"].to_numpy(), "piece": hits["code"].to_numpy()})
    hits = hits.merge(pairs, on=["pos", "piece"], how="inner")
    hits = hits.sort_values(["pos", "piece"]).drop_duplicates("pos")
    hits["method"] = "split-by-location"
    rest = pairs[pairs["pos"].isin(set(rows["pos"]) - set(hits["pos"]))]
    if not rest.empty:
        point_geom = points.set_index("pos").geometry
        piece_geom = pieces.set_index("code").geometry
        dist = shapely.distance(
            point_geom.loc[rest["pos"]].to_numpy(), piece_geom.loc[rest["piece"]].to_numpy()
        )
        near = rest.assign(dist=dist).sort_values(["pos", "dist", "piece"])
        near = near.drop_duplicates("pos")[["pos", "piece"]]
        near["method"] = "split-by-nearest"
        hits = pd.concat([hits, near], ignore_index=True)
    return hits


def convert_lsoa_vintage(
    frame: pd.DataFrame,
    target: str,
    lookup: pd.DataFrame,
    *,
    boundaries: gpd.GeoDataFrame | None = None,
    method_column: str | None = None,
) -> VintageConversion:
    """Convert the ``lsoa`` column of a frame to the target LSOA vintage.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows with an ``lsoa`` column (code or missing) and optionally ``lsoa_vintage``
        (``"2011"``/``"2021"`` per row; missing means the target), ``longitude`` and
        ``latitude`` (WGS84) used to place rows of split LSOAs. A code absent from its
        declared vintage's list but present in the other one is taken as the other.
    target : {"2011", "2021"}
        Vintage to convert to.
    lookup : pandas.DataFrame
        The ONS lookup with columns ``lsoa11``, ``lsoa21``, ``change`` (U/M/S/X), one row
        per (LSOA11, LSOA21) pair.
    boundaries : geopandas.GeoDataFrame, optional
        Target-vintage LSOA polygons with a ``code`` column (any CRS). Without them, or
        for pieces they do not hold, split rows follow the rule in the module docstring.
    method_column : str, optional
        If given, add a column of that name holding each row's method.

    Returns
    -------
    VintageConversion
        ``(frame, counts)``; see :class:`VintageConversion`.

    Examples
    --------
    >>> lookup = pd.DataFrame({
    ...     "lsoa11": ["A11", "B11", "C11", "D11", "D11"],
    ...     "lsoa21": ["A11", "M21", "M21", "S21a", "S21b"],
    ...     "change": ["U", "M", "M", "S", "S"]})
    >>> rows = pd.DataFrame({"lsoa": ["A11", "B11", "C11", "D11", "D11", "D11", None],
    ...                      "lsoa_vintage": "2011"})
    >>> res = convert_lsoa_vintage(rows, "2021", lookup)
    >>> res.frame["lsoa"].tolist()
    ['A11', 'M21', 'M21', 'S21a', 'S21b', 'S21a', nan]
    >>> res.counts.values.tolist()  # doctest: +NORMALIZE_WHITESPACE
    [['unchanged', 'same code', 1], ['merged', 'exact', 2], ['split', 'split-by-rule', 3],
     ['no LSOA code', 'not converted', 1]]
    """
    target = _check_vintage(target)
    if "lsoa" not in frame.columns:
        raise DataError("the frame has no 'lsoa' column to convert")
    missing_cols = {"lsoa11", "lsoa21", "change"} - set(lookup.columns)
    if missing_cols:
        raise DataError(f"the LSOA lookup lacks column(s) {', '.join(sorted(missing_cols))}")
    other = "2011" if target == "2021" else "2021"
    src_col, tgt_col = f"lsoa{other[2:]}", f"lsoa{target[2:]}"

    n = len(frame)
    codes = _clean_text(frame["lsoa"])
    declared = _declared_vintage(frame, target)
    in_target = codes.isin(set(lookup[tgt_col])).to_numpy()
    in_other = codes.isin(set(lookup[src_col])).to_numpy()
    missing = codes.isna().to_numpy()
    decl_target = (declared == target).to_numpy()
    # source vintage: the declared one when the code is in its list, else the other
    from_other = np.where(decl_target, ~in_target & in_other, in_other)
    from_target = ~from_other & in_target

    code_arr = codes.to_numpy(dtype=object, na_value=None)
    new_codes = code_arr.copy()
    change = np.full(n, _UNKNOWN, dtype=object)
    method = np.full(n, "not converted", dtype=object)
    change[missing] = _MISSING
    change[from_target] = _SAME
    method[from_target] = "kept"

    conv_pos = np.flatnonzero(from_other)
    if conv_pos.size:
        conv_codes = code_arr[conv_pos]
        sub = lookup[lookup[src_col].isin(set(conv_codes))]
        sub = sub.drop_duplicates([src_col, tgt_col]).sort_values([src_col, tgt_col])
        per_code = sub.groupby(src_col).agg(
            k=(tgt_col, "size"),
            first=(tgt_col, "first"),
            change=("change", lambda s: s.iloc[0] if s.nunique() == 1 else "X"),
        )
        k = per_code["k"].reindex(conv_codes).to_numpy()
        ch = per_code["change"].reindex(conv_codes).to_numpy()
        change[conv_pos] = [CHANGE_LABELS.get(c, c) for c in ch]
        single = k == 1
        new_codes[conv_pos[single]] = per_code["first"].reindex(conv_codes[single]).to_numpy()
        method[conv_pos[single]] = np.where(ch[single] == "U", "same code", "exact")

        multi_pos = conv_pos[~single]
        if multi_pos.size:
            pairs = pd.DataFrame({"pos": multi_pos, src_col: code_arr[multi_pos]}).merge(
                sub[[src_col, tgt_col]].rename(columns={tgt_col: "piece"}), on=src_col
            )
            placed = pd.DataFrame({"pos": [], "piece": [], "method": []})
            if boundaries is not None and {"longitude", "latitude"} <= set(frame.columns):
                lon = pd.to_numeric(frame["longitude"], errors="coerce").to_numpy()[multi_pos]
                lat = pd.to_numeric(frame["latitude"], errors="coerce").to_numpy()[multi_pos]
                good = np.isfinite(lon) & np.isfinite(lat)
                rows = pd.DataFrame({"pos": multi_pos[good], "lon": lon[good], "lat": lat[good]})
                placed = _pieces_by_location(rows, pairs, boundaries)
            if len(placed):
                pos = placed["pos"].to_numpy(dtype=int)
                new_codes[pos] = placed["piece"].to_numpy()
                method[pos] = placed["method"].to_numpy()
            rule_pos = np.setdiff1d(multi_pos, placed["pos"].to_numpy(dtype=int))
            if rule_pos.size:
                rule = pd.DataFrame({"pos": rule_pos, src_col: code_arr[rule_pos]})
                rule["turn"] = rule.groupby(src_col).cumcount()
                rule["k"] = per_code["k"].reindex(rule[src_col]).to_numpy()
                rule["rank"] = rule["turn"] % rule["k"]
                ranked = sub[[src_col, tgt_col]].copy()
                ranked["rank"] = ranked.groupby(src_col).cumcount()
                rule = rule.merge(ranked, on=[src_col, "rank"], how="left")
                new_codes[rule["pos"].to_numpy()] = rule[tgt_col].to_numpy()
                method[rule["pos"].to_numpy()] = "split-by-rule"

    out = frame.copy()
    out["lsoa"] = pd.array(new_codes, dtype="str")
    known = from_target | from_other
    vintage = declared.to_numpy(dtype=object).copy()
    vintage[known] = target
    if "lsoa_vintage" in frame.columns:
        vintage[~known] = frame["lsoa_vintage"].to_numpy(dtype=object)[~known]
    else:
        vintage[~known] = None
    out["lsoa_vintage"] = pd.array(vintage, dtype="str")
    if method_column:
        out[method_column] = pd.array(method, dtype="str")

    counts = pd.DataFrame({"change": change, "method": method})
    counts = counts.groupby(["change", "method"], sort=False).size().rename("rows").reset_index()
    counts["_c"] = counts["change"].map({c: i for i, c in enumerate(_CHANGE_ORDER)})
    counts["_m"] = counts["method"].map({m: i for i, m in enumerate(METHODS)})
    counts = counts.sort_values(["_c", "_m"], ignore_index=True).drop(columns=["_c", "_m"])
    counts["change"] = counts["change"].astype("str")
    counts["method"] = counts["method"].astype("str")
    counts["rows"] = counts["rows"].astype("int64")
    counts.attrs["target"] = target
    return VintageConversion(out, counts)
