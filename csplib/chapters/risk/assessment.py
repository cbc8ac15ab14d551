"""The risk chapter's computation: its groups of incidents and :func:`assess_risk`.

:func:`assess_risk` computes everything the chapter shows from the parameters and the store,
once (a :class:`RiskAssessment`); :mod:`csplib.chapters.risk.text` words it and
:mod:`csplib.chapters.risk.chapter` lays it out as tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from csplib.core.errors import DataError
from csplib.core.periods import Period
from csplib.core.schema import ALL_CRIME, ASB
from csplib.methods.concentration import (
    chance_lorenz,
    chance_verdict,
    concentration_table,
    lorenz_curve,
)
from csplib.methods.risk import concern_table, deprivation_gradient
from csplib.methods.risk_repeats import REPEAT_GROUPS, repeats_by_year, repeats_in_period
from csplib.methods.themes import in_period

__all__ = [
    "CHAPTER",
    "CRIME",
    "risk_groups",
    "category_groups",
    "CONCENTRATION_COLUMNS",
    "concentration_view",
    "RiskAssessment",
    "assess_risk",
    "group_noun",
]

#: The chapter's name (its notebook and saved result).
CHAPTER = "04_risk"


#: Label of the group of all crimes (ASB excluded): the one label of :mod:`csplib.core.schema`.
CRIME = ALL_CRIME


# ----------------------------------------------------------------------------- places
def risk_groups(incidents: pd.DataFrame, period=None) -> dict[str, pd.DataFrame]:
    """The incidents of a period split into crime (:data:`CRIME`) and ASB.

    Examples
    --------
    >>> inc = pd.DataFrame({"month": pd.to_datetime(["2020-01-01"] * 3),
    ...                     "category": ["Burglary", ASB, "Robbery"]})
    >>> {k: len(v) for k, v in risk_groups(inc, "2019/20").items()}
    {'All crime (excluding ASB)': 2, 'Anti-social behaviour': 1}
    """
    if "category" not in incidents.columns:
        raise DataError("incidents have no 'category' column")
    rows = in_period(incidents, period)
    is_asb = (rows["category"] == ASB).to_numpy()
    return {CRIME: rows.loc[~is_asb], ASB: rows.loc[is_asb]}


def category_groups(crimes: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Crime rows split by police.uk category, most incidents first (ties by name).

    Examples
    --------
    >>> rows = pd.DataFrame({"category": ["Robbery", "Burglary", "Burglary"]})
    >>> {k: len(v) for k, v in category_groups(rows).items()}
    {'Burglary': 2, 'Robbery': 1}
    """
    sizes = crimes.groupby("category", observed=True).size()
    order = sorted((name for name, n in sizes.items() if n), key=lambda c: (-sizes[c], str(c)))
    return {str(name): crimes.loc[(crimes["category"] == name).to_numpy()] for name in order}


#: Columns of the concentration tables, in order: each measure with its chance range.
CONCENTRATION_COLUMNS = (
    "areas",
    "incidents",
    "zero_areas",
    "top_5pct_areas",
    "top_5pct_share",
    "top_5pct_share_chance_low",
    "top_5pct_share_chance_high",
    "top_5pct_share_excess",
    "top_10pct_areas",
    "top_10pct_share",
    "top_10pct_share_chance_low",
    "top_10pct_share_chance_high",
    "top_10pct_share_excess",
    "gini",
    "gini_chance_low",
    "gini_chance_high",
    "gini_excess",
    "generalized_gini",
    "pattern",
)


def concentration_view(conc: pd.DataFrame) -> pd.DataFrame:
    """The columns a concentration table shows (:data:`CONCENTRATION_COLUMNS`): ``pattern``
    is the reading of the top-5% share against chance
    (:func:`~csplib.methods.concentration.chance_verdict`).

    Examples
    --------
    >>> conc = pd.DataFrame({"top_5pct_share": [22.0], "top_5pct_share_chance": [18.0],
    ...                      "top_5pct_share_chance_low": [15.0],
    ...                      "top_5pct_share_chance_high": [21.0]}, index=["Robbery"])
    >>> concentration_view(conc).loc["Robbery", "pattern"]
    'slightly more concentrated than chance'
    """
    out = conc.copy()
    out["pattern"] = [chance_verdict(row, "top_5pct_share") for _, row in conc.iterrows()]
    return out[[c for c in CONCENTRATION_COLUMNS if c in out.columns]]


# ----------------------------------------------------------------------------- assessment
@dataclass(frozen=True)
class RiskAssessment:
    """Everything the risk chapter shows, computed once (see :func:`assess_risk`).

    Attributes
    ----------
    area : str
    period, baseline : Period (baseline None when the parameters set none)
    repeats : pandas.DataFrame or None
        :func:`~csplib.methods.risk_repeats.repeats_by_year`; None without a partner
        extract with victim IDs.
    repeats_period : pandas.DataFrame or None
        :func:`~csplib.methods.risk_repeats.repeats_in_period` for the assessed period.
    concentration : pandas.DataFrame
        :func:`~csplib.methods.concentration.concentration_table` for all crime and ASB in
        the assessed period, each measure with its range under random allocation.
    lorenz : dict
        Group -> :func:`csplib.methods.concentration.lorenz_curve`.
    gradients : dict
        Group -> :class:`csplib.methods.risk.DeprivationGradient`.
    concern : pandas.DataFrame or None
        :func:`csplib.methods.risk.concern_table`; None without survey indicators.
    notes : dict
        What could not be computed, and why, by section: ``repeats``, ``places``,
        ``concern`` and ``data`` (lists of sentences).
    config : dict
        Settings used (window, population year, deprivation edition, the chance model).
    categories : pandas.DataFrame or None
        The same measures for each crime category with incidents in the period (most first),
        then the all-crime row; None without crime in the period.
    chance_lorenz : dict
        Group -> :func:`csplib.methods.concentration.chance_lorenz`: the band of Lorenz
        curves random allocation gives (groups with incidents).
    """

    area: str
    period: Period
    baseline: Period | None
    repeats: pd.DataFrame | None
    repeats_period: pd.DataFrame | None
    concentration: pd.DataFrame
    lorenz: dict
    gradients: dict
    concern: pd.DataFrame | None
    notes: dict = field(
        default_factory=lambda: {"repeats": [], "places": [], "concern": [], "data": []}
    )
    config: dict = field(default_factory=dict)
    categories: pd.DataFrame | None = None
    chance_lorenz: dict = field(default_factory=dict)


def assess_risk(params, store) -> RiskAssessment:
    """Compute the risk chapter's tables from validated parameters and the tidy store.

    Parameters
    ----------
    params : csplib.params.Params
        Uses ``assessment.period``/``baseline`` and ``area``.
    store : csplib.ingest.store.Store
        Uses ``incidents``, ``partner``, ``indicators`` and ``geography``.

    Returns
    -------
    RiskAssessment
    """
    period = Period.coerce(params.assessment.period)
    baseline = Period.coerce(params.assessment.baseline)
    notes: dict[str, list[str]] = {"repeats": [], "places": [], "concern": [], "data": []}
    partner = store.partner
    repeats = repeats_period = None
    if partner is None:
        notes["repeats"].append(
            "There is no partner extract, so repeat victimisation cannot be measured: "
            "police.uk data carry no victim identifiers."
        )
    elif "victim_id" not in partner.columns or partner["victim_id"].dropna().empty:
        notes["repeats"].append(
            "The partner extract has no victim identifiers, so repeat victimisation cannot be "
            "measured."
        )
    else:
        missing = [f for f in REPEAT_GROUPS.values() if f not in partner.columns]
        if missing:
            notes["repeats"].append(
                f"The partner extract has no {', '.join(missing)} flag column(s)."
            )
        groups = {
            k: v
            for k, v in REPEAT_GROUPS.items()
            if v in partner.columns and partner[v].fillna(False).astype(bool).any()
        }
        for name, flag in REPEAT_GROUPS.items():
            if flag in partner.columns and name not in groups:
                notes["repeats"].append(
                    f"The partner extract has no rows flagged {flag}: no repeat victimisation "
                    f"for {group_noun(name)}."
                )
        if groups:
            repeats = repeats_by_year(partner, groups)
            repeats_period = repeats_in_period(partner, period, groups)

    geography = store.geography
    areas = geography.lsoa_table.index
    groups = risk_groups(store.incidents, period)
    conc = concentration_table(groups, areas)
    lorenz = {name: lorenz_curve(rows, areas) for name, rows in groups.items()}
    bands = {name: chance_lorenz(len(rows), areas) for name, rows in groups.items() if len(rows)}
    by_category = category_groups(groups[CRIME])
    categories = (
        pd.concat([concentration_table(by_category, areas), conc.loc[[CRIME]]])
        if by_category
        else None
    )
    left_out = conc[["outside", "no_area"]].sum()
    if left_out.sum():
        notes["places"].append(
            f"{left_out['outside']:,.0f} incidents located outside the area's LSOAs and "
            f"{left_out['no_area']:,.0f} without a location are not in the concentration "
            "measures."
        )
    population = geography.population(period.population_year)
    deprivation = geography.deprivation()
    ranked = deprivation.index[deprivation["imd_decile"].notna().to_numpy(dtype=bool)]
    if deprivation.attrs.get("note"):
        notes["places"].append(
            deprivation.attrs["note"]
            + (
                " The deprivation gradient is therefore not computed."
                if ranked.empty
                else " The deprivation gradient covers the area's LSOAs in England only."
            )
        )
    gradients = {
        name: deprivation_gradient(rows, population.loc[ranked], deprivation.loc[ranked])
        for name, rows in groups.items()
        if len(rows) and len(ranked)
    }
    for name, rows in groups.items():
        if not len(rows):
            notes["places"].append(
                f"No {group_noun(name)} in {period.label}: no concentration or deprivation "
                "gradient."
            )
    if period.n_months != 12:
        notes["data"].append(
            f"The assessed period has {period.n_months} month{'s' * (period.n_months != 1)}: "
            "rates per 1,000 residents "
            "are for the period, not annualised."
        )

    concern = None
    if store.indicators is None:
        notes["concern"].append(
            "There is no indicators table, so public concern from the survey is not shown."
        )
    else:
        names = [params.area.csp_code, *params.area.la_codes, params.area.name]
        concern = concern_table(
            store.indicators,
            [a for a in names if a],
            until=period.end_exclusive - pd.Timedelta(days=1),
        )
        if concern.empty:
            notes["concern"].append(
                "The indicators table holds no survey results up to the assessed period."
            )
            concern = None
    return RiskAssessment(
        area=params.area.name,
        period=period,
        baseline=baseline,
        repeats=repeats,
        repeats_period=repeats_period,
        concentration=conc,
        lorenz=lorenz,
        gradients=gradients,
        concern=concern,
        notes=notes,
        config={
            "window_months": 12,
            "min_incidents": 2,
            "population_year": int(population["year"].iloc[0]),
            "deprivation_edition": deprivation.attrs.get("edition"),
            "lsoas": len(areas),
            "chance": conc.attrs.get("chance"),
            "chance_draws": conc.attrs.get("draws"),
            "chance_level": conc.attrs.get("level"),
        },
        categories=categories,
        chance_lorenz=bands,
    )


def group_noun(group: str) -> str:
    """A group's name as a noun in a sentence (``crime``, ``ASB``, ``robbery``)."""
    return {CRIME: "crime", ASB: "ASB"}.get(group, group[0].lower() + group[1:])
