"""Harm: each row weighted by the harm of its offence, and harm against volume.

The weights (offence-code weights, the offence mix and their roll-up to police.uk
categories) are read and checked by :mod:`csplib.ingest.harm_weights`; the Crime Severity
Score is :mod:`csplib.methods.harm_severity`; the harm chapter's tables by category, offence
code and theme are :mod:`csplib.methods.harm_tables`.

Which rows are weighted
-----------------------
When a partner extract with Home Office offence codes is available, **crimes** are taken from
it and each is weighted by its own offence code (exact); anti-social behaviour comes from
police.uk and has no weight (:func:`harm_rows`). Without a partner extract, police.uk crimes
are weighted by their category's weight: the offence-code weights averaged over the force's
offence mix (:func:`~csplib.ingest.harm_weights.roll_up_weights`).

Weighting rows
--------------
With ``code_weights=``, rows that carry a Home Office offence code are weighted by their own
code, which is more exact than the category average. A row whose code has no weight stays
unweighted (NaN): it does not take its category's average, which would misstate offences the
weights table leaves out on purpose. Anti-social behaviour has no weight (NaN): it is
counted, and left out of every harm total and share, never counted as zero harm.

Harm against volume
-------------------
Shares of harm and of volume are both taken over the rows that have a weight, so the two
shares describe the same crimes; their ratio above 1 marks crime more harmful than its
volume suggests.

The functions that read weights (:func:`~csplib.ingest.harm_weights.load_weights`,
:func:`~csplib.ingest.harm_weights.load_offence_mix`,
:func:`~csplib.ingest.harm_weights.roll_up_weights`, ...) are importable from here too.

Examples
--------
>>> rows = pd.DataFrame({"category": ["Burglary"] * 3 + ["Shoplifting"] * 2 + [ASB]})
>>> t = harm_table(rows, category_weights={"Burglary": 100.0, "Shoplifting": 5.0})
>>> t.loc[["Burglary", ASB, "All"], "harm"].tolist()
[300.0, nan, 310.0]
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from csplib.core.errors import DataError, DefinitionError, ParamsError
from csplib.core.periods import financial_year_of, months_present
from csplib.core.schema import ASB, POLICE_UK_CATEGORIES
from csplib.ingest.harm_weights import (  # noqa: F401  (reading weights: re-exported)
    CSS_WEIGHTS_FILE,
    NOTES,
    HarmWeights,
    code_weight_series,
    css_weights,
    load_offence_mix,
    load_weights,
    lookup_code_weights,
    roll_up_weights,
)
from csplib.methods.themes import FLAG_COLUMNS, as_themes, in_period, theme_incidents, theme_sources

__all__ = [
    "HARM_COLUMNS",
    "harm_rows",
    "weigh_rows",
    "incident_weights",
    "harm_table",
    "theme_harm",
    "harm_series",
]


# ----------------------------------------------------------------------------- which rows
def _has_codes(partner: pd.DataFrame | None) -> bool:
    if partner is None or "offence_code" not in partner.columns or partner.empty:
        return False
    codes = partner["offence_code"]
    return bool((codes.notna() & (codes.astype("str").str.strip() != "")).any())


def harm_rows(incidents: pd.DataFrame, partner: pd.DataFrame | None = None) -> pd.DataFrame:
    """The rows harm is measured on (see the module notes for the rule).

    Parameters
    ----------
    incidents : pandas.DataFrame
        Tidy police.uk incidents (``month``, ``category``, ``lsoa``).
    partner : pandas.DataFrame, optional
        Tidy partner extract (``month``, ``category``, ``offence_code``, flags).

    Returns
    -------
    pandas.DataFrame
        Columns ``month``, ``category``, ``lsoa``, ``table`` (``partner`` or ``police.uk``)
        and, from a partner extract, ``offence_code`` and the flags (``boolean``; missing on
        ASB rows). ``attrs``: ``by_code`` (bool) and ``source`` (a sentence for readers).

    Examples
    --------
    >>> inc = pd.DataFrame({"month": pd.to_datetime(["2020-01-01"] * 3),
    ...                     "category": ["Burglary", ASB, ASB], "lsoa": ["A", "A", "B"]})
    >>> part = pd.DataFrame({"month": pd.to_datetime(["2020-01-01"]), "category": ["Burglary"],
    ...                      "lsoa": ["A"], "offence_code": ["28E"], "hate": [False],
    ...                      "domestic": [False], "weapon": [False]})
    >>> r = harm_rows(inc, part)
    >>> r["table"].tolist(), r.attrs["by_code"]
    (['partner', 'police.uk', 'police.uk'], True)
    """
    for col in ("month", "category"):
        if col not in incidents.columns:
            raise DataError(f"incidents have no {col!r} column")
    base = ["month", "category", "lsoa"]
    if not _has_codes(partner):
        cols = [c for c in base if c in incidents.columns]
        out = incidents[cols].assign(table="police.uk")
        out.attrs = {
            "by_code": False,
            "source": "police.uk crimes, each weighted by its category's weight (no partner "
            "extract with offence codes)",
        }
        return out
    for col in ("month", "category"):
        if col not in partner.columns:
            raise DataError(f"the partner extract has no {col!r} column")
    flags = [f for f in FLAG_COLUMNS if f in partner.columns]
    crimes = partner[[c for c in [*base, "offence_code", *flags] if c in partner.columns]]
    crimes = crimes[crimes["category"] != ASB].assign(table="partner")
    asb = incidents.loc[incidents["category"] == ASB, [c for c in base if c in incidents]]
    out = pd.concat([crimes, asb.assign(table="police.uk")], ignore_index=True, sort=False)
    for flag in flags:
        out[flag] = out[flag].astype("boolean")
    out.attrs = {
        "by_code": True,
        "source": "partner extract crimes, each weighted by its own Home Office offence code; "
        "ASB from police.uk (no weight)",
    }
    return out


def weigh_rows(rows: pd.DataFrame, weights: HarmWeights) -> pd.DataFrame:
    """``rows`` with a ``harm_weight`` column (by code where rows have one, else category).

    Examples
    --------
    >>> mix = pd.DataFrame({"category": ["Burglary", "Burglary"], "offences": [30, 10]},
    ...                    index=["28E", "30C"])
    >>> hw = HarmWeights.from_tables({"28E": 100.0, "30C": 20.0}, mix)
    >>> rows = pd.DataFrame({"category": ["Burglary", "Burglary", ASB],
    ...                      "offence_code": ["30C", None, None]})
    >>> weigh_rows(rows, hw)["harm_weight"].tolist()
    [20.0, 80.0, nan]
    """
    kwargs = {"category_weights": weights.category_weights}
    if "offence_code" in rows.columns:
        kwargs["code_weights"] = weights.codes
    return rows.assign(harm_weight=incident_weights(rows, **kwargs))


# ----------------------------------------------------------------------------- weighting rows
#: The columns of a harm table (:func:`harm_table`, :func:`harm_by_category`).
HARM_COLUMNS = [
    "count",
    "weighted",
    "unweighted",
    "harm",
    "harm_per_offence",
    "volume_share",
    "harm_share",
    "harm_volume_ratio",
]


def _as_category_weights(category_weights) -> pd.Series:
    if isinstance(category_weights, pd.DataFrame):
        if "weight" not in category_weights.columns:
            raise ParamsError("category weights need a 'weight' column (see roll_up_weights)")
        category_weights = category_weights["weight"]
    series = pd.Series(category_weights, dtype=float)
    for cat, w in series.items():
        if cat not in POLICE_UK_CATEGORIES:
            raise DefinitionError(
                f"category weights: {cat!r} is not a police.uk category "
                f"(expected one of {', '.join(POLICE_UK_CATEGORIES)})"
            )
        if not (w >= 0) and not math.isnan(w):
            raise DefinitionError(f"category weights: {cat}: expected a number >= 0, got {w}")
    return series


def incident_weights(rows: pd.DataFrame, *, category_weights=None, code_weights=None):
    """The harm weight of each row (NaN where harm is not defined).

    Rows with an ``offence_code`` are weighted by their code when ``code_weights`` is given
    (a code without a weight stays NaN); other rows by their category's rolled-up weight
    (``category_weights``; ASB is NaN).

    Returns
    -------
    pandas.Series
        Float, aligned with ``rows``, named ``harm_weight``.

    Examples
    --------
    >>> rows = pd.DataFrame({"category": ["Burglary", ASB, "Robbery"],
    ...                      "offence_code": [None, None, "34B"]})
    >>> incident_weights(rows, category_weights={"Burglary": 80.0, ASB: float("nan")},
    ...                  code_weights={"34B": 150.0}).tolist()
    [80.0, nan, 150.0]
    """
    if category_weights is None and code_weights is None:
        raise ParamsError("pass category_weights= or code_weights= to weight incidents")
    out = pd.Series(np.nan, index=rows.index, dtype=float, name="harm_weight")
    has_code = pd.Series(False, index=rows.index)
    if code_weights is not None and "offence_code" in rows.columns:
        codes = rows["offence_code"]
        has_code = codes.notna() & (codes.astype("str").str.strip() != "")
        out[has_code] = lookup_code_weights(
            codes[has_code].astype("str"), code_weight_series(code_weights)
        )
    if category_weights is not None:
        if "category" not in rows.columns:
            raise DataError("incidents have no 'category' column to weight by")
        by_cat = rows["category"].map(_as_category_weights(category_weights)).astype(float)
        out[~has_code] = by_cat[~has_code]
    return out


def _weighted(rows, category_weights, code_weights) -> pd.DataFrame:
    return rows.assign(
        harm_weight=incident_weights(
            rows, category_weights=category_weights, code_weights=code_weights
        )
    )


def _summarise(groups) -> pd.DataFrame:
    out = groups.agg(
        count=("harm_weight", "size"),
        weighted=("harm_weight", "count"),
        harm=("harm_weight", "sum"),
    )
    out["count"] = out["count"].astype(float)
    out["weighted"] = out["weighted"].astype(float)
    out["unweighted"] = out["count"] - out["weighted"]
    out.loc[out["weighted"] == 0, "harm"] = np.nan
    return out


def _shares(out: pd.DataFrame, total_weighted: float, total_harm: float) -> pd.DataFrame:
    out["harm_per_offence"] = out["harm"] / out["weighted"].where(out["weighted"] > 0)
    out["volume_share"] = 100 * out["weighted"] / total_weighted if total_weighted else np.nan
    out["harm_share"] = 100 * out["harm"] / total_harm if total_harm else np.nan
    out["harm_volume_ratio"] = out["harm_share"] / out["volume_share"].where(
        out["volume_share"] > 0
    )
    return out[HARM_COLUMNS]


def harm_table(
    rows: pd.DataFrame,
    *,
    category_weights=None,
    code_weights=None,
    by: str = "category",
    period=None,
    total: bool = True,
) -> pd.DataFrame:
    """Harm-weighted counts, and harm share against volume share, by category (or ``by``).

    Shares are taken over the rows that have a weight (crime; ASB and unweighted codes are
    counted in ``count`` and ``unweighted`` but left out of both shares), so the two shares
    describe the same crimes.

    Returns
    -------
    pandas.DataFrame
        Index the ``by`` groups (plus ``All`` when ``total``); columns ``count``,
        ``weighted``, ``unweighted``, ``harm`` (sum of weights), ``harm_per_offence``,
        ``volume_share`` and ``harm_share`` (% of all weighted rows / of all harm) and
        ``harm_volume_ratio`` (harm share / volume share: above 1, more harmful than its
        volume suggests).

    Examples
    --------
    >>> rows = pd.DataFrame({"category": ["Burglary"] * 3 + ["Shoplifting"] * 2 + [ASB]})
    >>> t = harm_table(rows, category_weights={"Burglary": 100.0, "Shoplifting": 5.0})
    >>> t.loc["Burglary", ["harm", "volume_share"]].round(1).tolist()
    [300.0, 60.0]
    >>> round(float(t.loc["Burglary", "harm_share"]), 2), float(t.loc[ASB, "unweighted"])
    (96.77, 1.0)
    """
    rows = _weighted(in_period(rows, period), category_weights, code_weights)
    if by not in rows.columns:
        raise DataError(f"incidents have no column {by!r} to group by")
    out = _summarise(rows.groupby(by, sort=True, dropna=False))
    tw, th = float(out["weighted"].sum()), float(out["harm"].sum())
    if total:
        out.loc["All"] = [out["count"].sum(), tw, th, out["unweighted"].sum()]
    out = _shares(out, tw, th)
    out.index.name = by
    return out


def theme_harm(
    themes,
    incidents: pd.DataFrame,
    partner: pd.DataFrame | None = None,
    *,
    category_weights=None,
    code_weights=None,
    period=None,
) -> pd.DataFrame:
    """Harm of each theme, and its harm share against its volume share.

    Rows are selected by :func:`csplib.methods.themes.theme_incidents` and weighted by
    :func:`incident_weights` (partner rows by their offence code when ``code_weights`` is
    given). Shares are relative to all weighted rows of ``incidents`` in the period, so themes
    may overlap and their shares need not add up to 100.

    Returns
    -------
    pandas.DataFrame
        Index ``theme``; columns ``source`` then those of :func:`harm_table`.

    Examples
    --------
    >>> inc = pd.DataFrame({"category": ["Burglary"] * 3 + ["Shoplifting"] * 2})
    >>> t = theme_harm({"b": {"name": "Burglary", "categories": ["Burglary"]}}, inc,
    ...                category_weights={"Burglary": 100.0, "Shoplifting": 5.0})
    >>> t.loc["Burglary", ["harm", "volume_share"]].round(1).tolist()
    [300.0, 60.0]
    """
    specs = as_themes(themes)
    base = _weighted(in_period(incidents, period), category_weights, code_weights)
    tw, th = float(base["harm_weight"].notna().sum()), float(base["harm_weight"].sum())
    parts = []
    for name, spec in specs.items():
        rows = theme_incidents(spec, incidents, partner, period=period)
        rows = _weighted(rows, category_weights, code_weights).assign(theme=name)
        parts.append(_summarise(rows.groupby("theme")))
        if rows.empty:
            parts[-1] = pd.DataFrame(
                {"count": [0.0], "weighted": [0.0], "harm": [np.nan], "unweighted": [0.0]},
                index=pd.Index([name], name="theme"),
            )
    out = _shares(pd.concat(parts), tw, th)
    out.insert(
        0,
        "source",
        [" + ".join(s for s, _ in theme_sources(specs[n], incidents, partner)) for n in out.index],
    )
    out.index.name = "theme"
    return out


def harm_series(
    rows: pd.DataFrame,
    *,
    category_weights=None,
    code_weights=None,
    freq: str = "month",
    by: str | None = None,
) -> pd.DataFrame:
    """Harm over time: monthly, or by financial or calendar year.

    A month with no rows at all is a month without data (NaN), never zero harm; a month
    with rows but none of a group is zero for that group.

    Parameters
    ----------
    freq : {"month", "financial_year", "calendar_year"}
    by : str, optional
        Column to split by (e.g. ``category``): the result is then harm in wide form.

    Returns
    -------
    pandas.DataFrame
        Without ``by``: columns ``count``, ``weighted``, ``harm`` (and ``months``, the months
        with data, for years). With ``by``: one harm column per group. ``attrs["incomplete"]``
        lists years with fewer than 12 months of data.

    Examples
    --------
    >>> rows = pd.DataFrame({"month": pd.to_datetime(["2019-01-01", "2019-01-01", "2019-03-01"]),
    ...                      "category": ["Burglary", "Shoplifting", "Burglary"]})
    >>> s = harm_series(rows, category_weights={"Burglary": 100.0, "Shoplifting": 5.0})
    >>> s["harm"].tolist()
    [105.0, nan, 100.0]
    """
    kinds = ("month", "financial_year", "calendar_year")
    if freq not in kinds:
        raise ParamsError(f"freq must be one of {', '.join(kinds)}, got {freq!r}")
    if "month" not in rows.columns:
        raise DataError("incidents have no 'month' column")
    rows = _weighted(rows, category_weights, code_weights)
    present = months_present(rows["month"])
    if len(present) == 0:
        raise DataError("no incidents with a month")
    month = pd.to_datetime(rows["month"]).dt.to_period("M").dt.to_timestamp()
    all_months = pd.date_range(present[0], present[-1], freq="MS", name="month")
    if freq == "month":
        key, index = month, all_months
    else:
        if freq == "financial_year":  # label each distinct month once (fast on big tables)
            label = month.map({m: financial_year_of(m) for m in month.unique()})
        else:
            label = month.dt.year.astype(str)
        key = label.rename(freq)
        labels = pd.Series(
            [financial_year_of(m) if freq == "financial_year" else str(m.year) for m in present]
        )
        index = pd.Index(sorted(labels.unique()), name=freq)
    rows = rows.assign(_key=key.to_numpy())
    incomplete: list[str] = []
    if freq != "month":
        covered = labels.value_counts()
        incomplete = sorted(covered.index[covered < 12])
    if by is None:
        out = _summarise(rows.groupby("_key"))[["count", "weighted", "harm"]].reindex(index)
        out.loc[out["weighted"] == 0, "harm"] = 0.0  # data, but no crime with a weight
        if freq != "month":
            out["months"] = covered.reindex(index).fillna(0).astype(int)
    else:
        if by not in rows.columns:
            raise DataError(f"incidents have no column {by!r} to split by")
        out = rows.groupby(["_key", by])["harm_weight"].sum(min_count=1).unstack(by).reindex(index)
        has_data = out.index.isin(present if freq == "month" else labels.unique())
        for col in out.columns:
            if out[col].notna().any():  # a group with weights: no rows in a month with data = 0
                out.loc[has_data, col] = out.loc[has_data, col].fillna(0.0)
        out.columns.name = by
    out.index.name = "month" if freq == "month" else freq
    out.attrs = {"incomplete": incomplete}
    return out


def _weights_kwargs(category_weights, code_weights) -> dict:
    """The weights keywords of :func:`incident_weights`, checked that one is given."""
    if category_weights is None and code_weights is None:
        raise ParamsError("pass category_weights= and/or code_weights=")
    return {"category_weights": category_weights, "code_weights": code_weights}
