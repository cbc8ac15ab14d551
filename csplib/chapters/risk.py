"""The risk chapter: who and where is most vulnerable (:func:`assess`).

Repeat victimisation by financial year (hate crime and domestic abuse, from the partner
extract), how concentrated crime and ASB are in a few neighbourhoods, how closely they follow
deprivation, and what residents say in surveys. This module picks the rows, periods and
denominators and assembles the chapter's tables, findings and chart titles; the methods are
:mod:`csplib.methods.risk_repeats` (repeat victims), :mod:`csplib.methods.concentration`
and :mod:`csplib.methods.risk` (deprivation gradient, public concern).

Repeat victimisation by year
    :func:`~csplib.methods.risk_repeats.repeats_by_year`: a victim is a repeat victim when
    two or more of their incidents of the kind fall in the financial year. Victims are linked
    by the partner extract's pseudonymous ``victim_id``; rows without one are left out and
    counted.
Concentration and deprivation
    police.uk incidents of the assessed period, split into all crime and ASB
    (:func:`risk_groups`), counted over every LSOA of the area (LSOAs without incidents
    count as zero). Rates use the ONS mid-year estimate nearest the middle of the period,
    and the IMD decile of each LSOA in the store's LSOA vintage (IMD 2019 for 2011 codes,
    IoD 2025 for 2021 codes). The English indices cover England only: Welsh LSOAs have no
    decile, so the deprivation gradient is computed over the area's English LSOAs (none, for
    a Welsh partnership: no gradient and its tables are left out), and a note says so.
Public concern
    Survey indicators (``kind`` ``survey``) up to the end of the assessed period: latest
    wave and change on the previous wave (:func:`csplib.methods.risk.concern_table`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from csplib.chapters.findings import Finding, count_words
from csplib.chapters.result import ChapterResult, Table
from csplib.core.errors import DataError
from csplib.core.periods import Period
from csplib.core.schema import ALL_CRIME, ASB
from csplib.methods.concentration import concentration_table, lorenz_curve
from csplib.methods.risk import (
    concern_table,
    deprivation_gradient,
    gradient_summary,
    gradient_table,
)
from csplib.methods.risk_repeats import (
    REPEAT_GROUPS,
    repeat_measure_table,
    repeats_by_year,
    repeats_in_period,
)
from csplib.methods.themes import in_period

__all__ = [
    "CRIME",
    "risk_groups",
    "RiskAssessment",
    "assess_risk",
    "chart_titles",
    "risk_findings",
    "RiskResult",
    "assess",
]

_CHAPTER = "04_risk"

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
        the assessed period.
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
                f"No {_noun(name)} in {period.label}: no concentration or deprivation gradient."
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
def _repeat_sentence(name: str, row: pd.Series, label: str, threshold: int) -> str:
    noun = _noun(name)
    if 0 < row["repeat_victims"] < threshold:  # too few to state, or to give as a share
        return (
            f"In {label}, fewer than {threshold} {noun} victims were repeat victims (two or "
            "more incidents in the period)"
        )
    return (
        f"In {label}, {row['repeat_victim_share']:.1f}% of {noun} victims "
        f"({count_words(row['repeat_victims'], threshold)} of "
        f"{count_words(row['victims'], threshold)}) were repeat victims "
        f"(two or more incidents in the period), and they suffered "
        f"{row['repeat_incident_share']:.1f}% of {noun} incidents"
    )


def risk_findings(result: RiskAssessment, threshold: int = 5) -> list[Finding]:
    """The risk chapter's key findings, as plain sentences for the summary; no count below
    ``threshold`` is stated.

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
            text = _repeat_sentence(name, row, label, threshold)
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


# ----------------------------------------------------------------------------- the chapter
@dataclass
class RiskResult(ChapterResult):
    """The risk chapter's result (:class:`~csplib.chapters.result.ChapterResult`), with what
    its charts draw besides its tables.

    Attributes
    ----------
    lorenz : dict
        Group -> :func:`csplib.methods.concentration.lorenz_curve`, for the Lorenz chart.
    gradients : dict
        Group -> :class:`csplib.methods.risk.DeprivationGradient`, for the deprivation chart.

    These two are not saved with the result: the charts are in the chapter's page.
    """

    lorenz: dict = field(default_factory=dict)
    gradients: dict = field(default_factory=dict)


def assess(ctx) -> RiskResult:
    """The risk chapter: its tables, key findings, headline figures and chart titles.

    Parameters
    ----------
    ctx
        The chapter's context: uses its ``params`` and ``store`` (:func:`assess_risk`).

    Returns
    -------
    RiskResult
        Tables in the order shown: ``repeat_measures`` and ``repeat_victims_by_year`` (only
        with a partner extract with victim IDs), ``concentration``,
        ``deprivation_gradient`` and ``rates_by_deprivation_decile`` (only when a gradient
        could be computed: incidents in the period, and LSOAs with a deprivation decile,
        which Welsh LSOAs lack), and ``public_concern`` (only with survey indicators).
        Notes by topic: ``repeats``, ``places``, ``concern`` and ``data``.
    """
    risk = assess_risk(ctx.params, ctx.store)
    result = RiskResult(
        _CHAPTER,
        findings=risk_findings(risk, ctx.params.thresholds.suppress_below),
        headline=_headline(risk),
        figures=chart_titles(risk),
        notes={k: list(v) for k, v in risk.notes.items()},
        lorenz=dict(risk.lorenz),
        gradients=dict(risk.gradients),
    )
    for table in _tables(risk):
        result.add(table)
    return result


def _tables(risk: RiskAssessment) -> list[Table]:
    label = risk.period.label
    out = []
    if risk.repeats is not None:
        measures = repeat_measure_table(risk.repeats)
        out.append(  # shares of hundreds of victims a year; the counts are in the next table
            Table(
                "repeat_measures",
                measures,
                caption="The partnership's repeat measures by financial year: victims with two "
                "or more incidents of the kind in the year, and the share of incidents they "
                "suffered",
                formats={c: "{:.1f}" for c in measures.columns},
            )
        )
        out.append(
            Table(
                "repeat_victims_by_year",
                risk.repeats,
                caption="Victims, repeat victims and their incidents by financial year (months: "
                "months of the year with partner data)",
                formats={"repeat_victim_share": "{:.1f}", "repeat_incident_share": "{:.1f}"},
                counts=(
                    "incidents",
                    "victims",
                    "repeat_victims",
                    "incidents_by_repeat_victims",
                    "blank_victim_excluded",
                ),
                derived={
                    "repeat_victim_share": ("victims", "repeat_victims"),
                    "repeat_incident_share": ("incidents", "incidents_by_repeat_victims"),
                },
            )
        )
    out.append(
        Table(
            "concentration",
            risk.concentration,
            caption=f"How concentrated crime and ASB were in {label}: share of incidents in "
            "the top 5% and 10% of LSOAs, and the Gini coefficient (every LSOA of the area "
            "counted)",
            formats={"top_5pct_share": "{:.1f}%", "top_10pct_share": "{:.1f}%", "gini": "{:.3f}"},
            counts=("incidents",),
            derived={
                "top_5pct_share": ("incidents",),
                "top_10pct_share": ("incidents",),
                "gini": ("incidents",),
            },
        )
    )
    if not risk.gradients:  # no incidents, or no LSOA with a decile (Wales): see the notes
        return out + _concern_tables(risk)
    out.append(  # rates and ratios; their counts are protected in the next table
        Table(
            "deprivation_gradient",
            gradient_summary(risk.gradients),
            caption=f"Most against least deprived neighbourhoods, {label}: rates per 1,000 "
            "residents, their ratio with its exact 95% interval, and the rate ratio per decile "
            "step (Poisson regression over LSOAs)",
            formats={
                "most_deprived_decile": "{:.0f}",
                "least_deprived_decile": "{:.0f}",
                "rate_ratio": "{:.2f}",
                "ci_low": "{:.2f}",
                "ci_high": "{:.2f}",
                "trend_ratio_per_decile": "{:.3f}",
                "trend_ci_low": "{:.3f}",
                "trend_ci_high": "{:.3f}",
            },
        )
    )
    out.append(
        Table(
            "rates_by_deprivation_decile",
            gradient_table(risk.gradients),
            caption=f"Incidents per 1,000 residents by IMD decile "
            f"({risk.config['deprivation_edition']}; residents: ONS "
            f"mid-{risk.config['population_year']} estimate), {label}",
            formats={"population": "{:,.0f}"},
            counts=("incidents",),
            derived={"rate": ("incidents",), "ci_low": ("incidents",), "ci_high": ("incidents",)},
        )
    )
    return out + _concern_tables(risk)


def _concern_tables(risk: RiskAssessment) -> list[Table]:
    out = []
    if risk.concern is not None:
        out.append(  # survey percentages and sample sizes
            Table(
                "public_concern",
                risk.concern,
                caption="Survey indicators: latest wave and change on the previous wave "
                "(percentage points, with the 95% interval of the difference)",
                formats={
                    "latest": "{:.1f}%",
                    "previous": "{:.1f}%",
                    "pp_change": "{:+.1f}",
                    "ci_low": "{:+.1f}",
                    "ci_high": "{:+.1f}",
                    "p_value": "{:.3f}",
                },
            )
        )
    return out


def _headline(risk: RiskAssessment) -> dict:
    """The figures the chapter states, by group (crime, ASB, hate crime, domestic abuse)."""

    def finite(value):
        value = float(value)
        return value if math.isfinite(value) else None

    out: dict = {"period": risk.period.label, **risk.config}
    if risk.repeats_period is not None:
        for key in ("repeat_victim_share", "repeat_incident_share"):
            out[key] = {g: finite(v) for g, v in risk.repeats_period[key].items()}
    for key in ("top_5pct_share", "top_10pct_share", "gini"):
        out[key] = {g: finite(v) for g, v in risk.concentration[key].items()}
    out["deprivation_rate_ratio"] = {g: finite(d.ratio) for g, d in risk.gradients.items()}
    return out
