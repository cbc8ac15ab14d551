"""The harm chapter's tables: harm by category, offence code and theme, and what the
category weights are made of.

Each is a harm table of :mod:`csplib.methods.harm` arranged for reading: most harm first,
with ``All`` last; rows without a weight (ASB) kept with NaN harm and left out of the shares.

Examples
--------
>>> rows = pd.DataFrame({"category": ["Robbery", "Robbery", "Burglary"],
...                      "offence_code": ["34B", "34B", "28E"]})
>>> harm_by_code(rows, code_weights={"34B": 150.0, "28E": 100.0})["count"].tolist()
[2.0, 1.0]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from csplib.core.schema import ASB  # noqa: F401  (in the examples)
from csplib.ingest.harm_weights import HarmWeights
from csplib.methods.harm import (
    HARM_COLUMNS,
    _weights_kwargs,
    harm_table,
    incident_weights,
    theme_harm,
)
from csplib.methods.themes import as_themes, in_period

__all__ = [
    "harm_by_category",
    "harm_by_code",
    "harm_by_theme",
    "code_weight_table",
    "category_weight_table",
]


def harm_by_category(
    rows: pd.DataFrame, *, category_weights=None, code_weights=None, period=None
) -> pd.DataFrame:
    """Harm against volume by category (:func:`harm_table`), rows sorted by harm.

    ``All`` stays last; categories without a weight (ASB) are kept with NaN harm and shares.

    Examples
    --------
    >>> rows = pd.DataFrame({"category": ["Burglary"] * 2 + ["Shoplifting"] * 8 + [ASB]})
    >>> t = harm_by_category(rows, category_weights={"Burglary": 100.0, "Shoplifting": 5.0})
    >>> t.index.tolist(), round(float(t.loc["Burglary", "harm_share"]), 1)
    (['Burglary', 'Shoplifting', 'Anti-social behaviour', 'All'], 83.3)
    """
    t = harm_table(rows, period=period, **_weights_kwargs(category_weights, code_weights))
    t.loc[t["weighted"] == 0, "volume_share"] = np.nan  # no weight: not part of the shares
    body = t.drop(index="All").sort_values("harm", ascending=False, na_position="last")
    return pd.concat([body, t.loc[["All"]]])


def harm_by_code(rows: pd.DataFrame, *, code_weights, period=None) -> pd.DataFrame:
    """Crimes and harm by Home Office offence code (rows that carry a code).

    Returns
    -------
    pandas.DataFrame
        Index ``offence_code``; ``category``, ``count``, ``weight`` and ``harm``
        (``count x weight``; NaN for a code without a weight), most harm first. Empty when
        no row has a code.

    Examples
    --------
    >>> rows = pd.DataFrame({"category": ["Robbery", "Robbery", "Burglary"],
    ...                      "offence_code": ["34B", "34B", "28E"]})
    >>> harm_by_code(rows, code_weights={"34B": 150.0, "28E": 100.0})["harm"].tolist()
    [300.0, 100.0]
    """
    cols = ["category", "count", "weight", "harm"]
    rows = in_period(rows, period)
    if "offence_code" not in rows.columns:
        return pd.DataFrame(columns=cols, index=pd.Index([], name="offence_code"))
    code = rows["offence_code"]
    rows = rows[code.notna() & (code.astype("str").str.strip() != "")]
    if rows.empty:
        return pd.DataFrame(columns=cols, index=pd.Index([], name="offence_code"))
    out = rows.groupby(rows["offence_code"].astype("str").str.strip()).agg(
        category=("category", "first"), count=("category", "size")
    )
    out["count"] = out["count"].astype(float)
    lookup = pd.DataFrame({"offence_code": out.index.to_numpy()}, index=out.index)
    out["weight"] = incident_weights(lookup, code_weights=code_weights).to_numpy()
    out["harm"] = out["count"] * out["weight"]
    out = out.sort_values("harm", ascending=False, na_position="last", kind="stable")
    out.index.name = "offence_code"
    return out[cols]


def harm_by_theme(
    themes, rows: pd.DataFrame, *, category_weights=None, code_weights=None, period=None
) -> pd.DataFrame:
    """Harm of each theme against its volume (:func:`theme_harm`) on ``rows``.

    ``rows`` are as from :func:`csplib.methods.harm.harm_rows` (their flags select flag
    themes). A theme that selects by a flag the rows lack (no partner extract) cannot be
    measured: it is left out and listed in ``attrs["skipped"]`` with the reason.

    Returns
    -------
    pandas.DataFrame
        Index ``theme``; :data:`HARM_COLUMNS`, most harm first.

    Examples
    --------
    >>> rows = pd.DataFrame({"category": ["Burglary"] * 3 + ["Shoplifting"] * 2})
    >>> t = harm_by_theme({"b": {"name": "Burglary", "categories": ["Burglary"]},
    ...                    "h": {"name": "Hate crime", "flags": {"hate": True}}}, rows,
    ...                   category_weights={"Burglary": 100.0, "Shoplifting": 5.0})
    >>> t.index.tolist(), t.attrs["skipped"][0][0]
    (['Burglary'], 'Hate crime')
    """
    specs = as_themes(themes)
    keep, skipped = {}, []
    for name, spec in specs.items():
        lacking = [f for f in spec.flags if f not in rows.columns]
        if lacking:
            skipped.append(
                (name, f"selects by {', '.join(lacking)}, which only a partner extract records")
            )
        else:
            keep[name] = spec
    if not keep:
        out = pd.DataFrame(columns=HARM_COLUMNS, index=pd.Index([], name="theme"))
    else:
        kwargs = _weights_kwargs(category_weights, code_weights)
        out = theme_harm(list(keep.values()), rows, None, period=period, **kwargs)
        out = out.drop(columns="source").sort_values(
            "harm", ascending=False, na_position="last", kind="stable"
        )
        out.loc[out["weighted"] == 0, "volume_share"] = np.nan  # no weight: not in the shares
    out.attrs = {"skipped": skipped}
    return out


# ----------------------------------------------------------------------------- weights
def code_weight_table(weights: HarmWeights) -> pd.DataFrame:
    """The offence mix with each code's weight: what the category weights are made of.

    Returns
    -------
    pandas.DataFrame
        Index ``offence_code`` (codes with offences in the mix), sorted by category then
        offences (most first); columns ``category``, ``description``, ``offences``,
        ``weight`` (NaN: no weight, left out of the roll-up), ``mix_share`` (% of the
        category's weighted offences) and ``contribution`` (``weight x mix_share /
        100``: the contributions of a category add up to its weight).

    Examples
    --------
    >>> mix = pd.DataFrame({"category": ["Burglary", "Burglary"], "offences": [30, 10],
    ...                     "description": ["a", "b"]}, index=["28E", "30C"])
    >>> hw = HarmWeights.from_tables(pd.DataFrame({"weight": [100.0, 20.0]},
    ...                              index=["28E", "30C"]), mix)
    >>> code_weight_table(hw)["contribution"].tolist()
    [75.0, 5.0]
    """
    mix = weights.mix[weights.mix["offences"] > 0]
    lookup = pd.DataFrame({"offence_code": mix.index.astype(str)}, index=mix.index)
    weight = incident_weights(lookup, code_weights=weights.codes)  # as the roll-up does
    out = pd.DataFrame(
        {
            "category": mix["category"],
            "description": mix.get("description", pd.Series("", index=mix.index)),
            "offences": mix["offences"].astype(float),
            "weight": weight,
        }
    )
    weighted = out["offences"].where(out["weight"].notna(), 0.0)
    per_cat = weighted.groupby(out["category"]).transform("sum")
    out["mix_share"] = 100 * weighted / per_cat.where(per_cat > 0)
    out["contribution"] = out["weight"] * out["mix_share"] / 100
    out = out.sort_values(["category", "offences"], ascending=[True, False], kind="stable")
    out.index.name = "offence_code"
    return out


def category_weight_table(weights: HarmWeights) -> pd.DataFrame:
    """The category weights with how they were made, for the chapter's first table.

    Returns
    -------
    pandas.DataFrame
        Index ``category`` (every police.uk category); columns ``weight``,
        ``offences_in_mix``, ``coverage`` (% of the category's offences whose code has
        a weight), ``codes``, ``lowest_code_weight``, ``highest_code_weight`` (over the
        codes with offences in the mix) and ``note``.
    """
    codes = code_weight_table(weights)
    span = codes.groupby("category")["weight"].agg(["min", "max"])
    cat = weights.categories
    out = pd.DataFrame(
        {
            "weight": cat["weight"],
            "offences_in_mix": cat["offences"],
            "coverage": cat["coverage"],
            "codes": cat["codes"],
            "lowest_code_weight": span["min"].reindex(cat.index),
            "highest_code_weight": span["max"].reindex(cat.index),
            "note": cat["note"],
        }
    )
    out.index.name = "category"
    return out
