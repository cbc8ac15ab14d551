"""The risk chapter's result: its tables with their disclosure declarations, findings,
headline figures and chart titles (:func:`assess`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from csplib.chapters.result import ChapterResult, Table
from csplib.chapters.risk.assessment import (
    CHAPTER,
    CONCENTRATION_COLUMNS,
    CRIME,
    RiskAssessment,
    assess_risk,
    concentration_view,
)
from csplib.chapters.risk.text import chart_titles, risk_findings
from csplib.methods.risk import gradient_summary, gradient_table
from csplib.methods.risk_repeats import REPEAT_COUNTS, REPEAT_SHARES, repeat_measure_table

__all__ = ["RiskResult", "assess"]


# ----------------------------------------------------------------------------- the chapter
@dataclass
class RiskResult(ChapterResult):
    """The risk chapter's result (:class:`~csplib.chapters.result.ChapterResult`), with what
    its charts draw besides its tables.

    Attributes
    ----------
    lorenz : dict
        Group -> :func:`csplib.methods.concentration.lorenz_curve`, for the Lorenz chart.
    chance_lorenz : dict
        Group -> :func:`csplib.methods.concentration.chance_lorenz`, the band chance alone
        gives on the Lorenz chart.
    gradients : dict
        Group -> :class:`csplib.methods.risk.DeprivationGradient`, for the deprivation chart.

    These are not saved with the result: the charts are in the chapter's page.
    """

    lorenz: dict = field(default_factory=dict)
    chance_lorenz: dict = field(default_factory=dict)
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
        with a partner extract with victim IDs), ``concentration`` and
        ``concentration_by_category`` (with crime in the period), ``deprivation_gradient``
        and ``rates_by_deprivation_decile`` (only when a gradient could be computed:
        incidents in the period, and LSOAs with a deprivation decile, which Welsh LSOAs
        lack), and ``public_concern`` (only with survey indicators).
        Notes by topic: ``repeats``, ``places``, ``concern`` and ``data``.
    """
    risk = assess_risk(ctx.params, ctx.store)
    result = RiskResult(
        CHAPTER,
        findings=risk_findings(risk, ctx.params.thresholds.suppress_below),
        headline=_headline(risk),
        figures=chart_titles(risk),
        notes={k: list(v) for k, v in risk.notes.items()},
        lorenz=dict(risk.lorenz),
        chance_lorenz=dict(risk.chance_lorenz),
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
                counts=REPEAT_COUNTS,
                derived=REPEAT_SHARES,
            )
        )
    how = {"equal probabilities": "each LSOA equally likely"}.get(
        risk.config.get("chance"), str(risk.config.get("chance"))
    )
    chance = (
        f"chance: the central {risk.config.get('chance_level', 0.95):.0%} of "
        f"{risk.config.get('chance_draws', 999)} random allocations of as many incidents to the "
        f"same LSOAs, {how}; excess: observed minus the chance mean; pattern: the top-5% share "
        "against its chance range"
    )
    out.append(
        Table(
            "concentration",
            concentration_view(risk.concentration),
            caption=f"How concentrated crime and ASB were in {label}: share of incidents in "
            "the top 5% and 10% of LSOAs, the Gini coefficient and the generalized Gini (for "
            "fewer incidents than LSOAs), each against what chance alone gives (every LSOA of "
            f"the area counted; {chance})",
            **_concentration_declarations(),
        )
    )
    if risk.categories is not None:
        out.append(
            Table(
                "concentration_by_category",
                concentration_view(risk.categories),
                caption=f"How concentrated each crime type was in {label}, against what chance "
                f"alone gives ({chance}); a type with one or two crimes per LSOA looks "
                "concentrated by chance alone",
                totals=(CRIME,),
                **_concentration_declarations(),
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


def _concentration_declarations() -> dict:
    """Counts, derived columns and formats of the concentration tables: every measure and
    its chance range follows the count of incidents."""
    measures = ("top_5pct_share", "top_10pct_share", "gini")
    formats = {}
    for m in measures:
        fmt = "{:.1f}" if m.endswith("_share") else "{:.3f}"
        formats.update({m: fmt, f"{m}_chance_low": fmt, f"{m}_chance_high": fmt})
        formats[f"{m}_excess"] = "{:+.1f}" if m.endswith("_share") else "{:+.3f}"
    formats["generalized_gini"] = "{:.3f}"
    derived = [c for c in CONCENTRATION_COLUMNS if c not in ("areas", "incidents", "zero_areas")]
    derived = [c for c in derived if not c.endswith("_areas")]
    return {
        "counts": ("incidents",),
        "derived": {c: ("incidents",) for c in derived},
        "formats": formats,
    }


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
    for key in ("top_5pct_share", "top_10pct_share", "gini", "generalized_gini"):
        for suffix in ("", "_chance_low", "_chance_high", "_excess"):
            if key + suffix in risk.concentration.columns:
                out[key + suffix] = {
                    g: finite(v) for g, v in risk.concentration[key + suffix].items()
                }
    out["concentration_pattern"] = concentration_view(risk.concentration)["pattern"].to_dict()
    if risk.categories is not None:
        out["category_pattern"] = (
            concentration_view(risk.categories).drop(index=CRIME)["pattern"].to_dict()
        )
    out["deprivation_rate_ratio"] = {g: finite(d.ratio) for g, d in risk.gradients.items()}
    return out
