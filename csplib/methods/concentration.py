"""Concentration: how unevenly incidents fall over the places of an area.

Counts by area (LSOA) are taken over the **full list** of the area's LSOAs: LSOAs without
incidents count as zero (:func:`area_counts`). The top p% of LSOAs are the ``ceil(p x n)``
LSOAs with most incidents (at least p% of the LSOAs, so it always names whole places). The
Gini coefficient is ``sum_i sum_j |x_i - x_j| / (2 n^2 mean)`` over LSOAs (0: spread evenly;
(n-1)/n: all in one LSOA); the Lorenz curve is the cumulative share of incidents against the
cumulative share of LSOAs, fewest first.

Examples
--------
>>> counts = pd.Series({"A": 10, "B": 0, "C": 0, "D": 0})
>>> c = concentration(counts, ["A", "B", "C", "D"])
>>> float(c["gini"]), float(c["top_10pct_share"])
(0.75, 100.0)
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from csplib.core.errors import DataError, ParamsError

__all__ = ["gini", "area_counts", "concentration", "concentration_table", "lorenz_curve"]


def gini(values) -> float:
    """Gini coefficient of non-negative values (population form, no small-sample factor).

    ``G = 2 sum_i i x_(i) / (n sum x) - (n + 1) / n`` with the values sorted ascending,
    which equals the mean absolute difference over all pairs divided by twice the mean.
    NaN when every value is zero or there are none.

    Examples
    --------
    >>> gini([5, 5, 5, 5]), gini([0, 0, 0, 8])
    (0.0, 0.75)
    """
    x = np.asarray(values, dtype=float).ravel()
    if np.isnan(x).any():
        raise DataError("Gini coefficient: values contain missing entries")
    if (x < 0).any():
        raise DataError("Gini coefficient: values must be >= 0")
    n, total = len(x), x.sum()
    if n == 0 or total == 0:
        return math.nan
    x = np.sort(x)
    i = np.arange(1, n + 1)
    return float(2 * np.sum(i * x) / (n * total) - (n + 1) / n)


def area_counts(data, areas, *, column: str = "lsoa") -> pd.Series:
    """Incidents per area over the full list of areas (areas without incidents are 0).

    Parameters
    ----------
    data : pandas.DataFrame or pandas.Series
        Incident rows (with ``column``) or counts indexed by area.
    areas : sequence or pandas.Index
        Every area of the partnership (e.g. ``geography.lsoa_table.index``).

    Returns
    -------
    pandas.Series
        Counts indexed by area, named ``incidents``; ``attrs["outside"]`` counts incidents
        in areas not in the list, ``attrs["no_area"]`` those without an area.

    Examples
    --------
    >>> rows = pd.DataFrame({"lsoa": ["A", "A", "Z", None]})
    >>> c = area_counts(rows, ["A", "B"])
    >>> c.tolist(), c.attrs["outside"], c.attrs["no_area"]
    ([2.0, 0.0], 1.0, 1.0)
    """
    areas = pd.Index(pd.Series(list(areas), dtype="str").unique(), name=column)
    if len(areas) == 0:
        raise DataError("the list of areas is empty")
    if isinstance(data, pd.DataFrame):
        if column not in data.columns:
            raise DataError(f"incidents have no {column!r} column")
        values = data[column]
        no_area = float((values.isna() | (values.astype("str").str.strip() == "")).sum())
        counts = values.dropna().astype("str").value_counts().astype(float)
        counts = counts[counts.index.str.strip() != ""]
    else:
        counts = pd.Series(data, dtype=float)
        if counts.isna().any() or (counts < 0).any():
            raise DataError("area counts must be numbers >= 0")
        no_area = 0.0
        counts.index = counts.index.astype("str")
    outside = float(counts[~counts.index.isin(areas)].sum())
    out = counts.reindex(areas, fill_value=0.0).astype(float).rename("incidents")
    out.attrs = {"outside": outside, "no_area": no_area}
    return out


def concentration(data, areas, *, shares=(0.05, 0.10), column: str = "lsoa") -> pd.Series:
    """How concentrated incidents are in few places: top-p% shares and the Gini coefficient.

    Parameters
    ----------
    data : pandas.DataFrame or pandas.Series
        Incident rows or counts by area (see :func:`area_counts`).
    areas : sequence
        The full list of the area's LSOAs (zeros count).
    shares : sequence of float, default (0.05, 0.10)
        Fractions of areas for the top shares.

    Returns
    -------
    pandas.Series
        ``areas``, ``incidents``, ``zero_areas``, for each p: ``top_<p>pct_areas`` (the
        ``ceil(p n)`` areas) and ``top_<p>pct_share`` (% of incidents), then ``gini``,
        ``outside`` and ``no_area`` (incidents left out). Named ``concentration``.

    Examples
    --------
    >>> counts = pd.Series(range(1, 21), index=[f"L{i}" for i in range(20)])
    >>> c = concentration(counts, counts.index)
    >>> c[["top_5pct_areas", "top_10pct_areas"]].tolist(), round(float(c["top_10pct_share"]), 2)
    ([1.0, 2.0], 18.57)
    """
    counts = area_counts(data, areas, column=column)
    x = np.sort(counts.to_numpy())[::-1]
    n, total = len(x), float(x.sum())
    out = {"areas": float(n), "incidents": total, "zero_areas": float((x == 0).sum())}
    for p in shares:
        if not (isinstance(p, int | float) and 0 < p <= 1):
            raise ParamsError(f"shares must be fractions in (0, 1], got {p!r}")
        k = math.ceil(round(p * n, 9))
        key = f"top_{round(100 * p):g}pct"
        out[f"{key}_areas"] = float(k)
        out[f"{key}_share"] = 100 * float(x[:k].sum()) / total if total else math.nan
    out["gini"] = gini(x)
    out["outside"] = counts.attrs["outside"]
    out["no_area"] = counts.attrs["no_area"]
    return pd.Series(out, name="concentration")


def lorenz_curve(data, areas, *, column: str = "lsoa") -> pd.DataFrame:
    """The Lorenz curve of incidents over areas, fewest incidents first.

    Returns
    -------
    pandas.DataFrame
        One row per area plus a first row at the origin: ``area`` (missing at the origin),
        ``incidents``, ``area_share`` and ``incident_share`` (cumulative fractions, 0 to 1).
        ``attrs["gini"]`` holds the Gini coefficient (1 - 2 x area under the curve).

    Examples
    --------
    >>> lc = lorenz_curve(pd.Series({"A": 3, "B": 1}), ["A", "B", "C", "D"])
    >>> lc["incident_share"].tolist()
    [0.0, 0.0, 0.0, 0.25, 1.0]
    """
    counts = area_counts(data, areas, column=column).sort_values(kind="stable")
    total = float(counts.sum())
    n = len(counts)
    cum = counts.cumsum() / total if total else counts * np.nan
    out = pd.DataFrame(
        {
            "area": [None, *counts.index],
            "incidents": [0.0, *counts.to_numpy()],
            "area_share": np.arange(n + 1) / n,
            "incident_share": [0.0, *cum.to_numpy()],
        }
    )
    out.attrs = {"gini": gini(counts.to_numpy())}
    return out


def concentration_table(groups: Mapping[str, pd.DataFrame], areas, **kwargs) -> pd.DataFrame:
    """:func:`concentration` of each group of incidents, one row each.

    Examples
    --------
    >>> rows = pd.DataFrame({"lsoa": ["A"] * 9 + ["B"]})
    >>> t = concentration_table({"Crime": rows}, ["A", "B", "C", "D"])
    >>> float(t.loc["Crime", "top_5pct_share"]), float(t.loc["Crime", "gini"])
    (90.0, 0.7)
    """
    out = pd.DataFrame(
        {name: concentration(rows, areas, **kwargs) for name, rows in groups.items()}
    )
    return out.T.rename_axis("group")
