"""The summary chapter's content: each chapter's key findings, computed the chapter's way.

The summary computes nothing of its own. :func:`key_findings` calls the same functions the
chapters call, so every figure in the summary matches its chapter; each finding names the
chapter holding its evidence (:class:`csplib.narrative.Finding`).
"""

from __future__ import annotations

from csplib import harm_report, narrative, performance, prioritisation, risk_report, threat, volume
from csplib.narrative import Finding
from csplib.params import Params

__all__ = ["SECTIONS", "key_findings"]

#: Sections of the summary, in reading order, and the most findings each may contribute.
SECTIONS: dict[str, int] = {
    "Recommended priorities": 4,
    "Volume": 2,
    "Threat: what is changing": 4,
    "Harm": 3,
    "Risk": 4,
    "Places": 3,
    "Performance against the plan": 5,
    "What the data can and cannot tell us": 6,
}


def _volume(params: Params, store) -> list[Finding]:
    period = params.assessment.period
    residents = float(store.geography.population(period.end.year)["population"].sum())
    covered = [m for m in store.months_present if period.start <= m.date() <= period.end]
    if not covered:
        return [
            Finding(
                f"There are no data for {period.label}; the data cover "
                f"{store.months_present.min():%b %Y} to {store.months_present.max():%b %Y}.",
                "01_volume",
            )
        ]
    table = volume.window_table(store.incidents, period.start, period.end, residents)
    found = narrative.volume_findings(table, params.area.name, period.label)
    if len(covered) < period.months:
        found.insert(
            0,
            Finding(
                f"The data cover {len(covered)} of the {period.months} months of "
                f"{period.label}: counts for the period are partial.",
                "01_volume",
            ),
        )
    return found


def _threat(params: Params, store) -> list[Finding]:
    analysis = threat.analyse_threat(
        store.incidents,
        months_present=store.months_present,
        end=params.assessment.period.end,
        exclude=store.quality.implausible,
        baseline=params.assessment.baseline,
    )
    return threat.threat_findings(analysis, max_trends=3)


def _performance(params: Params, store) -> list[Finding]:
    period = performance.assessment_period(params.assessment.period)
    data = performance.performance_data(store, params)
    headline_ids = performance.framework_rows()["Headline measures"]
    headline = performance.assess_rows(data, period, headline_ids)
    baseline = performance.assess_rows(data, period, headline_ids, against="baseline")
    tracks = performance.track_framework_targets(data, period)
    return performance.performance_findings(headline, tracks, baseline)


def _priorities(params: Params, store) -> list[Finding]:
    if not params.themes:
        return [
            Finding(
                "No themes are defined in the parameters (themes), so no priorities were scored.",
                "07_priorities",
            )
        ]
    return prioritisation.priorities_findings(prioritisation.prioritise_store(params, store))


def _places(params: Params, store) -> list[Finding]:
    from csplib import places_report

    result = places_report.assess_places(params, store)
    return places_report.places_findings(result, threshold=params.thresholds.suppress_below)


def key_findings(params: Params, store) -> dict[str, list[Finding]]:
    """The summary's findings by section (at most :data:`SECTIONS` of each).

    Parameters
    ----------
    params : Params
        The assessment's parameters.
    store : csplib.store.Store
        Its data.

    Returns
    -------
    dict
        Section title -> findings, in :data:`SECTIONS` order; a section with nothing to say
        is left out.
    """
    builders = {
        "Recommended priorities": lambda: _priorities(params, store),
        "Volume": lambda: _volume(params, store),
        "Threat: what is changing": lambda: _threat(params, store),
        "Harm": lambda: harm_report.harm_findings(harm_report.assess_harm(params, store)),
        "Risk": lambda: risk_report.risk_findings(risk_report.assess_risk(params, store)),
        "Places": lambda: _places(params, store),
        "Performance against the plan": lambda: _performance(params, store),
        "What the data can and cannot tell us": lambda: narrative.quality_findings(store.quality),
    }
    out = {}
    for section, most in SECTIONS.items():
        found = builders[section]()[:most]
        if found:
            out[section] = found
    return out
