"""Theme packs: one theme's volume, threat, harm, risk and places, for its sub-group.

``notebooks/theme_profile.ipynb`` is run once per theme in the parameters by ``csp assess``
(``outputs/<year>/packs/<theme>.html``); these functions are what it computes.

Examples
--------
>>> from csplib.params import ThemeSpec
>>> definition(ThemeSpec(name="Hate crime", flags={"hate": True}, subgroup="Hate Crime Board"))
'Hate crime: crimes flagged hate. Prepared for the Hate Crime Board.'
"""

from __future__ import annotations

import pandas as pd

from csplib.errors import DataError
from csplib.params import ThemeSpec
from csplib.themes import theme_incidents

__all__ = ["definition", "theme_rows", "theme_monthly", "ward_table"]


def definition(theme: ThemeSpec) -> str:
    """The theme's definition in words, as the pack states it."""
    parts = []
    if theme.categories:
        parts.append("police.uk categories " + ", ".join(theme.categories))
    if theme.flags:
        flags = " and ".join(k if v else f"not {k}" for k, v in theme.flags.items())
        parts.append(f"crimes flagged {flags}")
    text = f"{theme.name}: " + " or ".join(parts) + "."
    if theme.subgroup:
        text += f" Prepared for the {theme.subgroup}."
    return text


def theme_rows(theme: ThemeSpec, store) -> tuple[pd.DataFrame | None, str | None]:
    """The theme's rows from the store, or ``None`` and the reason they cannot be selected.

    A theme defined by flags needs the partner extract (police.uk data carry no flags).
    """
    try:
        rows = theme_incidents(theme, store.incidents, store.partner)
    except DataError as exc:
        return None, f"This theme cannot be profiled from the data supplied: {exc}"
    return rows, None


def theme_monthly(rows: pd.DataFrame, months_present) -> pd.Series:
    """Monthly counts of the theme: zero where a month has data but no rows, NaN where the
    month is missing from the data.

    Examples
    --------
    >>> rows = pd.DataFrame({"month": pd.to_datetime(["2020-01-01", "2020-03-01"])})
    >>> present = pd.to_datetime(["2020-01-01", "2020-03-01", "2020-04-01"])
    >>> theme_monthly(rows, present).tolist()
    [1.0, nan, 1.0, 0.0]
    """
    present = pd.DatetimeIndex(months_present)
    counts = rows.groupby("month").size().reindex(present, fill_value=0).astype(float)
    span = pd.date_range(present.min(), present.max(), freq="MS", name="month")
    return counts.reindex(span).rename("count")


def ward_table(rows: pd.DataFrame, geography, start, end, population_year: int) -> pd.DataFrame:
    """Counts and rates per 1,000 residents by ward for ``start``..``end`` (every ward listed).

    Returns
    -------
    DataFrame
        Index ``ward_name``; columns ``count``, ``population``, ``rate_per_1000``, sorted by
        count (largest first).
    """
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    inside = rows[(rows["month"] >= start) & (rows["month"] <= end)]
    lsoas = geography.lsoa_table
    population = geography.population(population_year)["population"]
    ward_of = lsoas["ward_name"]
    ward_pop = population.groupby(ward_of.reindex(population.index)).sum()
    wards = inside["lsoa"].map(ward_of)
    counts = wards.value_counts().reindex(ward_pop.index, fill_value=0)
    out = pd.DataFrame({"count": counts.astype(int), "population": ward_pop.round().astype(int)})
    out["rate_per_1000"] = out["count"] / out["population"] * 1000
    out.index.name = "ward_name"
    return out.sort_values("count", ascending=False, kind="stable")
