"""The risk chapter's tables: repeat victimisation by year, concentration in places, the
deprivation gradient and public concern, and the chapter's findings for the summary.

The methods are :mod:`csplib.risk`; this module picks the rows, periods and denominators
and assembles the chapter's tables.

Repeat victimisation by year
    For each financial year, a victim is a repeat victim when two or more of their incidents
    of the kind (hate crime, domestic abuse) fall in that year: the partnership's measure
    "% of hate crime victims that are repeats". Within one financial year every pair of
    incidents is less than 12 months apart, so this is
    :func:`csplib.risk.repeat_victimisation` (two or more within 12 months) applied to the
    year's incidents only; incidents of the previous year are not counted. Victims are
    linked by the partner extract's pseudonymous ``victim_id``; rows without one are left
    out and counted.
Concentration and deprivation
    police.uk incidents of the assessed period, split into all crime and ASB, counted over
    every LSOA of the area (LSOAs without incidents count as zero). Rates use the ONS
    mid-year estimate nearest the middle of the period, and the IMD decile of each LSOA in
    the store's LSOA vintage (IMD 2019 for 2011 codes, IoD 2025 for 2021 codes).
Public concern
    Survey indicators (``kind`` ``survey``) up to the end of the assessed period: latest
    wave and change on the previous wave (:func:`csplib.risk.public_concern`). Whether a
    rise is good or bad comes from the measure registry when a measure reads the indicator,
    else from its name (:func:`survey_polarity`).

Examples
--------
>>> rows = pd.DataFrame({"victim_id": ["A", "A", "B", "C", "C"], "hate": [True] * 5,
...                      "domestic": [False] * 5,
...                      "date": pd.to_datetime(["2019-04-02", "2019-05-01", "2019-06-01",
...                                              "2020-03-30", "2020-04-02"])})
>>> rows["month"] = rows["date"].dt.to_period("M").dt.to_timestamp()
>>> r = repeats_by_year(rows, {"Hate crime": "hate"})
>>> r["repeat_victim_share"].round(1).tolist()  # 2019/20: A of A, B, C; 2020/21: none of C
[33.3, 0.0]
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from csplib.errors import DataError
from csplib.metrics.measures import load_registry
from csplib.metrics.periods import Period, financial_year_of, months_present
from csplib.narrative import Finding
from csplib.risk import (
    DeprivationGradient,
    concentration,
    deprivation_gradient,
    lorenz_curve,
    public_concern,
    repeat_victimisation,
)
from csplib.schema import ASB
from csplib.themes import _in_period

__all__ = [
    "CRIME",
    "REPEAT_GROUPS",
    "repeats_by_year",
    "repeats_in_period",
    "risk_groups",
    "concentration_table",
    "gradient_table",
    "gradient_summary",
    "survey_polarity",
    "concern_table",
    "repeat_measure_table",
    "RiskAssessment",
    "assess_risk",
    "chart_titles",
    "risk_findings",
]

_CHAPTER = "04_risk"

#: Label of the group of all crimes (ASB excluded). Not "All crime": that reads as a total
#: (of crime and ASB) to the disclosure checks, and it is not one.
CRIME = "Crime"

#: The kinds of victimisation whose repeats are reported: display name -> partner flag.
REPEAT_GROUPS: dict[str, str] = {"Hate crime": "hate", "Domestic abuse": "domestic"}


# ----------------------------------------------------------------------------- repeats
def _flagged(partner: pd.DataFrame, flag: str) -> pd.DataFrame:
    if flag not in partner.columns:
        raise DataError(f"the partner extract has no {flag!r} flag column")
    return partner[partner[flag].fillna(False).to_numpy(dtype=bool)]


def _fy_labels(month: pd.Series) -> pd.Series:
    """Financial-year label of each month (each distinct month labelled once)."""
    return month.map({m: financial_year_of(m) for m in month.dropna().unique()})


def repeats_by_year(
    partner: pd.DataFrame,
    groups: Mapping[str, str] | None = None,
    *,
    window_months: int = 12,
    min_incidents: int = 2,
) -> pd.DataFrame:
    """Repeat victims of each kind, by financial year (see the module notes).

    Parameters
    ----------
    partner : pandas.DataFrame
        The partner extract (``victim_id``, ``date`` or ``month``, ``month``, the flags).
    groups : mapping, optional
        Display name -> flag column; default :data:`REPEAT_GROUPS`.
    window_months, min_incidents : int
        Passed to :func:`csplib.risk.repeat_victimisation`.

    Returns
    -------
    pandas.DataFrame
        Index (``group``, ``financial_year``); the columns of
        :func:`csplib.risk.repeat_victimisation` plus ``months`` (months of the year with
        partner data) and ``complete``.
    """
    groups = dict(REPEAT_GROUPS if groups is None else groups)
    if "month" not in partner.columns:
        raise DataError("the partner extract has no 'month' column")
    fy = _fy_labels(partner["month"])
    month_counts = (
        pd.Series(months_present(partner["month"]))
        .map(financial_year_of)
        .value_counts()
        .rename("months")
    )
    parts = []
    for name, flag in groups.items():
        rows = _flagged(partner, flag)
        rows = rows.assign(financial_year=fy.loc[rows.index].to_numpy())
        if rows.empty:
            continue
        table = repeat_victimisation(
            rows,
            by="financial_year",
            window_months=window_months,
            min_incidents=min_incidents,
        )
        table["months"] = month_counts.reindex(table.index).fillna(0).astype(int).to_numpy()
        table["complete"] = table["months"] == 12
        parts.append(pd.concat({name: table}, names=["group"]))
    if not parts:
        raise DataError(
            f"the partner extract has no rows flagged {', '.join(groups.values())}: no "
            "repeat victimisation to measure"
        )
    return pd.concat(parts)


def repeats_in_period(
    partner: pd.DataFrame,
    period,
    groups: Mapping[str, str] | None = None,
    *,
    window_months: int = 12,
    min_incidents: int = 2,
) -> pd.DataFrame:
    """Repeat victims of each kind among the incidents of one period.

    Returns
    -------
    pandas.DataFrame
        Index ``group``; the columns of :func:`csplib.risk.repeat_victimisation`.

    Examples
    --------
    >>> rows = pd.DataFrame({"victim_id": ["A", "A", "B"], "hate": [True, True, True],
    ...                      "month": pd.to_datetime(["2020-01-01", "2020-02-01",
    ...                                               "2020-02-01"])})
    >>> repeats_in_period(rows, "2019/20", {"Hate crime": "hate"})["repeat_victims"].tolist()
    [1.0]
    """
    groups = dict(REPEAT_GROUPS if groups is None else groups)
    out = {
        name: repeat_victimisation(
            _flagged(partner, flag),
            period=period,
            window_months=window_months,
            min_incidents=min_incidents,
        )
        for name, flag in groups.items()
    }
    return pd.DataFrame(out).T.rename_axis("group")


def repeat_measure_table(repeats: pd.DataFrame) -> pd.DataFrame:
    """The partnership's repeat measures by financial year, one column per kind and measure.

    Returns
    -------
    pandas.DataFrame
        Index ``financial_year``; for each group ``% of <group> victims that are repeats``
        and ``% of <group> incidents suffered by repeat victims``.

    Examples
    --------
    >>> idx = pd.MultiIndex.from_tuples([("Hate crime", "2019/20")],
    ...                                 names=["group", "financial_year"])
    >>> t = repeat_measure_table(pd.DataFrame({"repeat_victim_share": [14.0],
    ...                                        "repeat_incident_share": [30.0]}, index=idx))
    >>> for column in t.columns:
    ...     print(column)
    % of hate crime victims that are repeats
    % of hate crime incidents suffered by repeat victims
    """
    parts = {}
    for group in dict.fromkeys(repeats.index.get_level_values(0)):
        part = repeats.xs(group, level=0)
        noun = group[0].lower() + group[1:]
        parts[f"% of {noun} victims that are repeats"] = part["repeat_victim_share"]
        parts[f"% of {noun} incidents suffered by repeat victims"] = part["repeat_incident_share"]
    out = pd.DataFrame(parts)
    out.index.name = repeats.index.names[1] or "financial_year"
    return out


# ----------------------------------------------------------------------------- places
def risk_groups(incidents: pd.DataFrame, period=None) -> dict[str, pd.DataFrame]:
    """The incidents of a period split into crime (:data:`CRIME`) and ASB.

    Examples
    --------
    >>> inc = pd.DataFrame({"month": pd.to_datetime(["2020-01-01"] * 3),
    ...                     "category": ["Burglary", ASB, "Robbery"]})
    >>> {k: len(v) for k, v in risk_groups(inc, "2019/20").items()}
    {'Crime': 2, 'Anti-social behaviour': 1}
    """
    if "category" not in incidents.columns:
        raise DataError("incidents have no 'category' column")
    rows = _in_period(incidents, period)
    is_asb = (rows["category"] == ASB).to_numpy()
    return {CRIME: rows.loc[~is_asb], ASB: rows.loc[is_asb]}


def concentration_table(groups: Mapping[str, pd.DataFrame], areas, **kwargs) -> pd.DataFrame:
    """:func:`csplib.risk.concentration` of each group of incidents, one row each.

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


def gradient_table(gradients: Mapping[str, DeprivationGradient]) -> pd.DataFrame:
    """Rates by IMD decile of each group, stacked (index ``group``, ``imd_decile``).

    Examples
    --------
    >>> g = deprivation_gradient(pd.Series({"a": 30, "b": 9}), pd.Series({"a": 2000,
    ...                          "b": 3000}), pd.Series({"a": 1, "b": 10}))
    >>> gradient_table({"Crime": g})["rate"].tolist()
    [15.0, 3.0]
    """
    return pd.concat({name: g.table for name, g in gradients.items()}, names=["group"])


def gradient_summary(gradients: Mapping[str, DeprivationGradient]) -> pd.DataFrame:
    """The headline figures of each gradient (:meth:`DeprivationGradient.summary`)."""
    out = pd.DataFrame({name: g.summary() for name, g in gradients.items()}).T
    return out.rename_axis("group")


# ----------------------------------------------------------------------------- concern
_HIGHER_IS_BETTER_WORDS = ("safe", "confiden", "satisf", "trust", "agree")


def survey_polarity(names, registry=None) -> dict[str, str]:
    """Whether a rise in each survey indicator is good or bad.

    From the measure registry when one of its measures reads the indicator (its
    ``polarity``); else ``higher_is_better`` when the name says the respondents feel safe,
    confident, satisfied or trusting ("safe", "confiden", "satisf", "trust", "agree"), and
    ``lower_is_better`` otherwise (experience of, or worry about, a problem).

    Examples
    --------
    >>> survey_polarity(["survey_experience_asb", "survey_feel_safe_after_dark"])
    {'survey_experience_asb': 'lower_is_better', 'survey_feel_safe_after_dark': 'higher_is_better'}
    """
    registry = load_registry() if registry is None else registry
    known = {}
    for measure in registry.values():
        indicator = getattr(measure.filter, "indicator", None)
        if indicator is not None:
            known.setdefault(indicator, measure.polarity)
    out = {}
    for name in names:
        if name in known:
            out[name] = known[name]
        elif any(word in name.lower() for word in _HIGHER_IS_BETTER_WORDS):
            out[name] = "higher_is_better"
        else:
            out[name] = "lower_is_better"
    return out


def concern_table(indicators: pd.DataFrame, areas, *, until=None) -> pd.DataFrame:
    """Latest wave of each survey indicator and its change (empty when there are none).

    Parameters
    ----------
    indicators : pandas.DataFrame
        The tidy indicators table.
    areas : sequence of str
        Codes or names the partnership's rows may carry (e.g. its CSP code, local authority
        codes and name); the first found is used. A table of one area is used as it is.
    until : date-like, optional
        Leave out waves ending after this date (the end of the assessed period).

    Returns
    -------
    pandas.DataFrame
        :func:`csplib.risk.public_concern` with ``description`` (the indicators' ``notes``)
        and ``polarity`` columns first.
    """
    rows = indicators
    if "kind" in rows.columns:
        rows = rows[rows["kind"].astype("str").str.lower() == "survey"]
    if until is not None and not rows.empty:
        rows = rows[pd.to_datetime(rows["period_end"]) <= pd.Timestamp(until)]
    if rows.empty:
        return pd.DataFrame(index=pd.Index([], name="indicator"))
    area = None
    if "area" in rows.columns:
        present = set(rows["area"].dropna().astype("str"))
        area = next((a for a in areas if a in present), None)
        if area is None and len(present) > 1:
            raise DataError(
                f"survey indicators cover {', '.join(sorted(present))}, none of which is the "
                f"partnership ({', '.join(areas)})"
            )
        if area is not None:
            rows = rows[rows["area"].astype("str") == area]
    names = sorted(rows["indicator"].astype("str").unique())
    polarity = survey_polarity(names)
    out = public_concern(rows, names, area=area, polarity=polarity)
    described = {}
    if "notes" in rows.columns:
        described = rows.groupby("indicator")["notes"].last().to_dict()
    out.insert(0, "polarity", [polarity[n] for n in out.index])
    out.insert(0, "description", [described.get(n) or n for n in out.index])
    return out


# ----------------------------------------------------------------------------- assessment
@dataclass(frozen=True)
class RiskAssessment:
    """Everything the risk chapter shows, computed once (see :func:`assess_risk`).

    Attributes
    ----------
    area : str
    period, baseline : Period (baseline None when the parameters set none)
    repeats : pandas.DataFrame or None
        :func:`repeats_by_year`; None without a partner extract with victim IDs.
    repeats_period : pandas.DataFrame or None
        :func:`repeats_in_period` for the assessed period.
    concentration : pandas.DataFrame
        :func:`concentration_table` for all crime and ASB in the assessed period.
    lorenz : dict
        Group -> :func:`csplib.risk.lorenz_curve`.
    gradients : dict
        Group -> :class:`csplib.risk.DeprivationGradient`.
    concern : pandas.DataFrame or None
        :func:`concern_table`; None without survey indicators.
    notes : dict
        What could not be computed, and why, by section: ``repeats``, ``places``,
        ``concern`` and ``data`` (lists of sentences).
    config : dict
        Settings used (window, population year, deprivation edition).
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


def assess_risk(params, store) -> RiskAssessment:
    """Compute the risk chapter's tables from validated parameters and the tidy store.

    Parameters
    ----------
    params : csplib.params.Params
        Uses ``assessment.period``/``baseline`` and ``area``.
    store : csplib.store.Store
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
                    f"for {_noun(name)}."
                )
        if groups:
            repeats = repeats_by_year(partner, groups)
            repeats_period = repeats_in_period(partner, period, groups)

    geography = store.geography
    areas = geography.lsoa_table.index
    groups = risk_groups(store.incidents, period)
    conc = concentration_table(groups, areas)
    lorenz = {name: lorenz_curve(rows, areas) for name, rows in groups.items()}
    population = geography.population(period.population_year)
    deprivation = geography.deprivation()
    gradients = {
        name: deprivation_gradient(rows, population, deprivation)
        for name, rows in groups.items()
        if len(rows)
    }
    for name, rows in groups.items():
        if not len(rows):
            notes["places"].append(
                f"No {_noun(name)} in {period.label}: no concentration or deprivation gradient."
            )
    if period.n_months != 12:
        notes["data"].append(
            f"The assessed period has {period.n_months} months: rates per 1,000 residents "
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
            "deprivation_edition": str(deprivation["edition"].iloc[0]),
            "lsoas": len(areas),
        },
    )


def _noun(group: str) -> str:
    return {CRIME: "crime", ASB: "ASB"}.get(group, group[0].lower() + group[1:])


def chart_titles(result: RiskAssessment) -> dict[str, str]:
    """Titles that state each chart's finding: keys ``repeats``, ``lorenz``, ``deprivation``.

    Examples
    --------
    >>> conc = pd.DataFrame({"top_5pct_share": [31.0], "gini": [0.42]}, index=["Crime"])
    >>> r = RiskAssessment("Town", Period.parse("2020/21"), None, None, None, conc, {}, {},
    ...                    None)
    >>> chart_titles(r)["lorenz"]
    'The busiest 5% of neighbourhoods had 31% of crime in 2020/21'
    """
    label = result.period.label
    out = {}
    if result.repeats is not None:
        latest = result.repeats.xs(result.repeats.index.get_level_values(1).max(), level=1)
        parts = [
            f"{row['repeat_victim_share']:.0f}% of {_noun(g)} victims"
            for g, row in latest.iterrows()
        ]
        year = result.repeats.index.get_level_values(1).max()
        out["repeats"] = f"Repeat victims in {year}: {' and '.join(parts)}"
    conc = result.concentration.dropna(subset=["top_5pct_share"])
    if not conc.empty:
        parts = [f"{row['top_5pct_share']:.0f}% of {_noun(g)}" for g, row in conc.iterrows()]
        out["lorenz"] = f"The busiest 5% of neighbourhoods had {' and '.join(parts)} in {label}"
    grads = {g: d for g, d in result.gradients.items() if np.isfinite(d.ratio)}
    if grads:
        parts = [f"{d.ratio:.1f} times the rate of {_noun(g)}" for g, d in grads.items()]
        out["deprivation"] = (
            f"The most deprived neighbourhoods had {' and '.join(parts)} of the least deprived, "
            f"{label}"
        )
    return out


# ----------------------------------------------------------------------------- findings
def _repeat_sentence(name: str, row: pd.Series, label: str) -> str:
    noun = _noun(name)
    return (
        f"In {label}, {row['repeat_victim_share']:.1f}% of {noun} victims "
        f"({int(row['repeat_victims']):,} of {int(row['victims']):,}) were repeat victims "
        f"(two or more incidents in the period), and they suffered "
        f"{row['repeat_incident_share']:.1f}% of {noun} incidents"
    )


def risk_findings(result: RiskAssessment) -> list[Finding]:
    """The risk chapter's key findings, as plain sentences for the summary.

    Examples
    --------
    >>> conc = pd.DataFrame({"areas": [100.0], "top_5pct_areas": [5.0],
    ...                      "top_5pct_share": [31.0], "gini": [0.42]}, index=["Crime"])
    >>> r = RiskAssessment("Town", Period.parse("2020/21"), None, None, None, conc, {}, {},
    ...                    None)
    >>> print(risk_findings(r)[0].text)  # doctest: +NORMALIZE_WHITESPACE
    The 5% of neighbourhoods (LSOAs) with most crime (5 of 100) recorded 31.0% of it in
    2020/21 (Gini coefficient 0.42).
    """
    out: list[Finding] = []
    label = result.period.label
    if result.repeats_period is not None:
        for name, row in result.repeats_period.iterrows():
            if not row["victims"]:
                continue
            text = _repeat_sentence(name, row, label)
            base = result.baseline
            if result.repeats is not None and base is not None and base.label != label:
                key = (name, base.label)
                if key in result.repeats.index:
                    text += (
                        f"; {result.repeats.loc[key, 'repeat_victim_share']:.1f}% of victims "
                        f"were repeats in the baseline {base.label}"
                    )
            out.append(Finding(text + ".", _CHAPTER))
    for name, row in result.concentration.iterrows():
        if not np.isfinite(row.get("top_5pct_share", math.nan)):
            continue
        noun = _noun(name)
        out.append(
            Finding(
                f"The 5% of neighbourhoods (LSOAs) with most {noun} "
                f"({int(row['top_5pct_areas'])} of {int(row['areas'])}) recorded "
                f"{row['top_5pct_share']:.1f}% of it in {label} (Gini coefficient "
                f"{row['gini']:.2f}).",
                _CHAPTER,
            )
        )
    for name, g in result.gradients.items():
        if not np.isfinite(g.ratio):
            continue
        noun = _noun(name)
        t = g.table
        out.append(
            Finding(
                f"The rate of {noun} in the most deprived decile of neighbourhoods (IMD decile "
                f"{g.most}) was {g.ratio:.1f} times that in the least deprived decile present "
                f"(decile {g.least}): {t.loc[g.most, 'rate']:.1f} against "
                f"{t.loc[g.least, 'rate']:.1f} per 1,000 residents in {label} (95% CI for the "
                f"ratio {g.ci_low:.1f} to {g.ci_high:.1f}).",
                _CHAPTER,
            )
        )
    if result.concern is not None:
        for _, row in result.concern.iterrows():
            text = f"Survey: {row['description']}: {row['latest']:.1f}% in {row['latest_period']}"
            if isinstance(row.get("previous_period"), str):
                verdict = (
                    f"a statistically significant change of {row['pp_change']:+.1f} points"
                    if row["significant"]
                    else "no statistically significant change"
                )
                text += f" ({row['previous']:.1f}% in {row['previous_period']}: {verdict})"
            out.append(Finding(text + ".", _CHAPTER))
    return out
