"""The risk chapter: who and where is most vulnerable (:func:`assess`).

Modules: :mod:`~csplib.chapters.risk.assessment` computes (:func:`assess_risk`),
:mod:`~csplib.chapters.risk.text` words it (chart titles, findings) and
:mod:`~csplib.chapters.risk.chapter` lays it out (:func:`assess`).

Repeat victimisation by financial year (hate crime and domestic abuse, from the partner
extract), how concentrated crime and ASB are in a few neighbourhoods, how closely they follow
deprivation, and what residents say in surveys. This package picks the rows, periods and
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
    (:func:`risk_groups`) and, for concentration, into each crime category, counted over
    every LSOA of the area (LSOAs without incidents count as zero). Each concentration
    measure is set against random allocation of the same number of incidents to the same
    LSOAs with equal probabilities (999 seeded draws,
    :func:`~csplib.methods.concentration.concentration`): the table gives its 95% chance range
    and the excess over the chance mean, and a measure within the range is reported as no
    more concentrated than chance. Rates use the ONS mid-year estimate nearest the middle of
    the period, and the IMD decile of each LSOA in the store's LSOA vintage (IMD 2019 for
    2011 codes, IoD 2025 for 2021 codes). The English indices cover England only: Welsh
    LSOAs have no decile, so the deprivation gradient is computed over the area's English
    LSOAs (none, for a Welsh partnership: no gradient and its tables are left out), and a
    note says so.
Public concern
    Survey indicators (``kind`` ``survey``) up to the end of the assessed period: latest
    wave and change on the previous wave (:func:`csplib.methods.risk.concern_table`).
"""

from csplib.chapters.risk.assessment import (
    CHAPTER,
    CONCENTRATION_COLUMNS,
    CRIME,
    RiskAssessment,
    assess_risk,
    category_groups,
    concentration_view,
    risk_groups,
)
from csplib.chapters.risk.chapter import RiskResult, assess
from csplib.chapters.risk.text import _repeat_sentence as _repeat_sentence
from csplib.chapters.risk.text import chance_range_text, chart_titles, risk_findings

__all__ = [
    "CHAPTER",
    "CRIME",
    "risk_groups",
    "category_groups",
    "CONCENTRATION_COLUMNS",
    "concentration_view",
    "RiskAssessment",
    "assess_risk",
    "chart_titles",
    "chance_range_text",
    "risk_findings",
    "RiskResult",
    "assess",
]
