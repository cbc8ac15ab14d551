"""The performance chapter's key findings, as sentences with their numbers.

:func:`performance_findings` states each headline measure's change and its significance
(with a caution when a month of the period is flagged implausible), each target measure
against its baseline, where each target stands (met or not, on track or not and where the
projection leads), and what could not be compared, and why. A measure whose figures are
hidden to protect small numbers is named without them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from csplib.chapters.findings import Finding, table_anchor
from csplib.chapters.performance.rows import RowResult
from csplib.chapters.performance.targets import MIN_YEARS_TO_PROJECT, TargetTrack, n_years
from csplib.methods.measures.change import Change
from csplib.methods.measures.measure import Measure
from csplib.methods.measures.tables import format_value

__all__ = ["EVIDENCE", "SUPPRESSED", "performance_findings"]

#: The chapter a finding's evidence is in.
EVIDENCE = "06_performance"

#: What a sentence says instead of figures hidden to protect small numbers.
SUPPRESSED = "its figures are not stated, to protect small numbers"

#: How a sentence names a measure (fallback: the registry name).
_SUBJECTS = {
    "victim_based_crime": "Victim-based crime",
    "all_crime": "All recorded crime",
    "asb_police_recorded": "Police-recorded ASB",
    "experience_of_asb": "The share of survey respondents who experienced ASB",
    "hate_crime_repeat_victims": "The number of repeat victims of hate crime",
    "hate_crime_repeat_victim_share": "The share of hate crime victims who were repeat victims",
    "successful_completions": "Successful completions from substance misuse treatment",
    "hate_crime_volume": "Hate crime",
    "all_crime_rate": "The all-crime rate",
    "victim_based_crime_rate": "The victim-based crime rate",
    "asb_rate": "The rate of police-recorded ASB",
}

#: What a count counts, by aggregation (incidents rows: offences, or incidents for ASB).
_NOUNS = {
    "count": "offences",
    "distinct_victims": "victims",
    "repeat_victims": "victims",
    "indicator_sum": "",
}


def _noun(m: Measure) -> str:
    if m.source == "incidents" and m.filter.categories == ("Anti-social behaviour",):
        return "incidents"
    return _NOUNS.get(m.aggregation, "")


def _when(label: str) -> str:
    """``in 2024/25``; ``in the 2024 survey`` for a survey wave."""
    if label.endswith(" Survey"):
        return f"in the {label.removesuffix(' Survey')} survey"
    return f"in {label}"


def _significance(change: Change) -> str:
    if change.significant:
        word = "rise" if change.difference > 0 else "fall"
        return f"the {word} is statistically significant"
    return f"the change is not statistically significant (p = {change.p_value:.2f})"


def _change_sentence(m: Measure, change: Change, *, baseline: bool = False, basis=None) -> str:
    subject = _SUBJECTS.get(m.id, m.name)
    cur, prev = _when(change.current_period), _when(change.previous_period)
    prev = prev.removeprefix("in ")
    when = f"{cur} against the {prev} baseline" if baseline else f"{cur} compared with {prev}"
    if basis is not None and basis.kind == "like_for_like":
        when += f", {basis.detail}"
    if change.difference == 0 or math.isnan(change.difference):
        value = format_value(change.current, change.unit)
        return f"{subject} was unchanged at {value} {when}."
    verb = "rose" if change.difference > 0 else "fell"
    if change.unit == "percentage":
        return (
            f"{subject} {verb} from {change.previous:.1f}% to {change.current:.1f}% "
            f"({abs(change.pp_change):.1f} percentage points) {when}; {_significance(change)}."
        )
    if change.pct_change is None:
        size = f"from {change.previous:,.0f} to {change.current:,.0f}"
    else:
        size = f"by {abs(change.pct_change):.1f}%"
    if change.unit == "count" and change.volume_change is not None:
        more = "more" if change.volume_change > 0 else "fewer"
        noun = _noun(m)
        size += f" ({abs(change.volume_change):,.0f} {more}{' ' + noun if noun else ''})"
    elif change.unit == "rate_per_1000":
        size += f" (to {change.current:,.1f} per 1,000 residents)"
    return f"{subject} {verb} {size} {when}; {_significance(change)}."


def _target_sentence(t: TargetTrack) -> str | None:
    s = t.status
    if s is None:
        return None
    unit = t.measure.unit
    text = t.measure.target.text
    base = format_value(s.baseline_value, unit)
    goal = format_value(s.target_value, unit)
    value = format_value(s.current_value, unit)
    better = "at or below" if t.measure.polarity == "lower_is_better" else "at or above"
    head = f'The target "{text}" ({t.measure.name}; baseline {base} in {s.target.baseline.label})'
    if t.ended:
        verdict = "was met" if s.on_track else "was not met"
        return (
            f"{head} {verdict}: {value} in {s.current_period.label}, the final year, against a "
            f"target of {goal} ({better})."
        )
    state = "is on track" if s.on_track else "is not on track"
    final = s.target.assessment.financial_years()[-1].label
    text = (
        f"{head} {state}: {value} in {s.current_period.label} against "
        f"{format_value(s.path_value, unit)} on the path to {goal} by {final}"
    )
    if n_years(s) < MIN_YEARS_TO_PROJECT:
        return text + "; too few yearly values yet to project to the end."
    would = "would meet" if s.projected_to_meet else "would not meet"
    projected = format_value(s.projected_value, unit)
    return text + f"; the linear projection for {final}, {projected}, {would} the target."


def _with_warning(r: RowResult, text: str) -> str:
    """Append a row's warning (an implausible month) to its sentence."""
    if not r.warning:
        return text
    return f"{text[:-1]}. Caution: {r.warning.removesuffix(': read with care')}."


def performance_findings(
    rows: Iterable[RowResult],
    tracks: Iterable[TargetTrack] = (),
    baseline_rows: Iterable[RowResult] = (),
    *,
    suppressed: Iterable[str] = (),
) -> list[Finding]:
    """The chapter's key findings, as sentences with their numbers.

    Parameters
    ----------
    rows : iterable of RowResult
        Headline rows against the previous year (:func:`assess_rows`): one sentence each
        (change, volume, significance, the months compared when like-for-like, and a
        caution when the period or comparison period includes a month flagged
        implausible); rows that could not be compared are summed up, one sentence per
        reason.
    tracks : iterable of TargetTrack
        One sentence per target: met / not met, or on track with its projection.
    baseline_rows : iterable of RowResult
        Rows against the baseline: one sentence for each measure with a target.
    suppressed : iterable of str
        Measures with a figure hidden to protect small numbers
        (:attr:`~csplib.chapters.performance.protection.Protected.measures`): their
        sentences say so instead of stating the figures.

    Examples
    --------
    >>> import pandas as pd
    >>> from csplib.chapters.performance import PerformanceData, assess_rows
    >>> months = pd.date_range("2018-04-01", "2020-03-01", freq="MS")
    >>> inc = pd.DataFrame({"month": months, "category": "Burglary"})
    >>> inc = pd.concat([inc, inc.iloc[:6]], ignore_index=True)  # 6 more in 2018/19
    >>> rows = assess_rows(PerformanceData({"incidents": inc}), "2019/20", ["burglary"])
    >>> print(performance_findings(rows)[0].text)  # doctest: +NORMALIZE_WHITESPACE
    Burglary fell by 33.3% (6 fewer offences) in 2019/20 compared with 2018/19; the change is
    not statistically significant (p = 0.36).
    """
    rows = list(rows)
    hidden = set(suppressed)

    def said(measure: Measure, text: str) -> str:
        if measure.id in hidden:
            return f"{_SUBJECTS.get(measure.id, measure.name)}: {SUPPRESSED}."
        return text

    headline = table_anchor("performance_table")
    out = [Finding(said(r.measure, _with_warning(r, _change_sentence(r.measure, r.change,
                                                                     basis=r.basis))),
                   EVIDENCE, headline) for r in rows if r.change]  # fmt: skip
    missing: dict[str, list[str]] = {}
    for r in rows:
        if r.change is None:
            reason = (r.note or "not computed").removesuffix(": not compared")
            missing.setdefault(reason, []).append(r.measure.name)
    for r in baseline_rows:
        if r.change is not None and r.measure.target is not None:
            text = _with_warning(
                r, _change_sentence(r.measure, r.change, baseline=True, basis=r.basis)
            )
            out.append(Finding(said(r.measure, text), EVIDENCE, table_anchor("baseline_table")))
    for t in tracks:
        text = _target_sentence(t)
        if text is not None:
            if t.measure.id in hidden:
                text = f'The target "{t.measure.target.text}" ({t.measure.name}): {SUPPRESSED}.'
            out.append(Finding(text, EVIDENCE, table_anchor("target_tracking")))
        elif t.measure.target is not None:
            missing.setdefault(t.note or "not assessed", []).append(
                f"the target for {t.measure.name}"
            )
    for reason, names in missing.items():
        text = f"Not compared or not assessed: {', '.join(names)}. Reason: {reason}."
        out.append(Finding(text, EVIDENCE))
    return out
