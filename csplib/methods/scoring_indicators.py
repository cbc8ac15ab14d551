"""The indicators table the scoring reads, computed per theme from the data.

:func:`theme_indicators` computes, for each theme over a period, its volume (count and rate
per 1,000 residents), its change on the previous year (Poisson test), the risk indicators
(repeat victims, concentration in the top 10% of LSOAs and its excess over what chance
alone gives) and the harm indicators (Crime Severity Score weight per offence and share of
all harm), and takes the values given by the analyst (forecast change, vulnerability, public
concern, partnership response).

Concentration is scored on its **excess over chance**: a theme with one or two incidents per
LSOA has a high top-10% share by chance alone (:mod:`csplib.methods.concentration`), so the
raw share would rank sparse themes as concentrated. ``top10_excess`` is the share minus the
mean share of 999 seeded random allocations of the theme's incidents to the same LSOAs (equal
probabilities), and ``top10_p_value`` the one-sided Monte Carlo p-value, for an indicator's
``significance`` rule (a share within chance then scores as no excess).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from csplib.core.errors import DefinitionError
from csplib.core.periods import Period
from csplib.methods.harm import theme_harm
from csplib.methods.risk import concentration, repeat_victimisation
from csplib.methods.themes import as_themes, theme_incidents, theme_volumes

__all__ = ["theme_indicators"]


def _per_theme(values, names, what: str) -> pd.Series:
    """A mapping/Series keyed by theme name, checked against the themes."""
    if values is None:
        return pd.Series(np.nan, index=names, dtype=float)
    s = pd.Series(values, dtype=float) if not isinstance(values, pd.Series) else values
    unknown = [k for k in s.index if k not in names]
    if unknown:
        raise DefinitionError(f"{what}: {unknown[0]!r} is not a theme (themes: {', '.join(names)})")
    return pd.to_numeric(s, errors="coerce").reindex(names).astype(float)


def theme_indicators(
    themes,
    incidents: pd.DataFrame,
    partner: pd.DataFrame | None = None,
    *,
    period,
    population: float | None = None,
    lsoas=None,
    category_weights=None,
    code_weights=None,
    threat: pd.DataFrame | None = None,
    forecast_change=None,
    vulnerability=None,
    public_concern=None,
    partnership_response=None,
    window_months: int = 12,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Build the indicators table of :func:`csplib.methods.scoring.score_themes` from the data.

    Computed per theme over ``period``: ``count``, ``rate_per_1000`` (over the period) and
    ``rate_per_1000_a_year`` (scaled to twelve months, so that breakpoints fit any period and
    any size of area), ``pct_change`` and
    ``p_value`` (on the same period a year earlier, :func:`csplib.methods.themes.theme_volumes`:
    like-for-like months when a month of either year is missing, as every chapter compares),
    ``repeat_victim_share`` (themes whose rows carry ``victim_id``; else NaN),
    ``top10_share`` (with ``lsoas``, the full LSOA list), ``top10_excess`` (percentage
    points above the mean share of random allocation) and ``top10_p_value`` (the chance of a
    share at least as high under random allocation), ``harm_per_offence`` and
    ``harm_share`` (with weights, :func:`csplib.methods.harm.theme_harm`). Given by the analyst
    (mappings keyed by theme name; NaN when absent): ``forecast_change`` (e.g. from
    :mod:`csplib.methods.models`), ``vulnerability`` (1-5), ``public_concern`` (% from the survey,
    :func:`csplib.methods.risk.public_concern`), ``partnership_response`` (1-5). ``threat``, a table
    indexed by theme with ``pct_change``/``p_value`` columns (e.g. a trend screen), replaces
    the simple year-on-year test for the themes it lists.

    Returns
    -------
    pandas.DataFrame
        Index ``theme``; the columns named above. ``attrs``: ``period`` and ``comparison``
        (each theme's months compared, in words: ``all 12 months``, ``like-for-like: ...``).

    Examples
    --------
    >>> months = pd.date_range("2018-04-01", "2020-03-01", freq="MS")
    >>> inc = pd.DataFrame({"month": months.repeat(2), "lsoa": ["A", "B"] * len(months),
    ...                     "category": ["Burglary", "Robbery"] * len(months)})
    >>> t = theme_indicators({"b": {"name": "Burglary", "categories": ["Burglary"]}}, inc,
    ...                      period="2019/20", population=1000, lsoas=["A", "B"],
    ...                      vulnerability={"Burglary": 2})
    >>> t.loc["Burglary", ["count", "pct_change", "top10_share", "vulnerability"]].tolist()
    [12.0, 0.0, 100.0, 2.0]
    >>> round(float(t.loc["Burglary", "top10_excess"]), 1)  # chance: 12 crimes over 2 LSOAs
    38.7
    """
    specs = as_themes(themes)
    names = list(specs)
    vol = theme_volumes(
        specs, incidents, partner, period=period, population=population, alpha=alpha
    )
    out = pd.DataFrame(index=pd.Index(names, name="theme"))
    out["count"] = vol["count"]
    out["rate_per_1000"] = vol["rate_per_1000"]
    out["rate_per_1000_a_year"] = vol["rate_per_1000"] * 12 / Period.coerce(period).n_months
    out["pct_change"] = vol["pct_change"]
    out["p_value"] = vol["p_value"]
    if threat is not None:
        for col in ("pct_change", "p_value"):
            if col in threat.columns:
                given = _per_theme(threat[col], names, f"threat.{col}")
                out[col] = given.where(given.notna(), out[col])
    out["forecast_change"] = _per_theme(forecast_change, names, "forecast_change")
    out["vulnerability"] = _per_theme(vulnerability, names, "vulnerability")
    repeat, top10, excess, p_value = [], [], [], []
    for spec in specs.values():
        rows = theme_incidents(spec, incidents, partner, period=period)
        has_victims = "victim_id" in rows.columns and rows["victim_id"].notna().any()
        repeat.append(
            float(repeat_victimisation(rows, window_months=window_months)["repeat_victim_share"])
            if has_victims
            else np.nan
        )
        conc = (
            concentration(rows, lsoas, shares=(0.10,))
            if lsoas is not None and "lsoa" in rows.columns
            else pd.Series(dtype=float)
        )
        top10.append(float(conc.get("top_10pct_share", np.nan)))
        excess.append(float(conc.get("top_10pct_share_excess", np.nan)))
        p_value.append(float(conc.get("top_10pct_share_p_value", np.nan)))
    out["repeat_victim_share"] = repeat
    out["top10_share"] = top10
    out["top10_excess"] = excess
    out["top10_p_value"] = p_value
    out["public_concern"] = _per_theme(public_concern, names, "public_concern")
    if category_weights is not None or code_weights is not None:
        harm = theme_harm(
            specs,
            incidents,
            partner,
            category_weights=category_weights,
            code_weights=code_weights,
            period=period,
        )
        out["harm_per_offence"] = harm["harm_per_offence"].reindex(names)
        out["harm_share"] = harm["harm_share"].reindex(names)
    else:
        out["harm_per_offence"] = np.nan
        out["harm_share"] = np.nan
    out["partnership_response"] = _per_theme(partnership_response, names, "partnership_response")
    out.attrs = {"period": vol.attrs.get("period"), "comparison": vol["comparison"].to_dict()}
    return out
