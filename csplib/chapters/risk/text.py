"""The risk chapter in words: chart titles that state each finding, and key findings.

Concentration is always read against chance: a sentence gives the share in the busiest 5% of
neighbourhoods, the range random allocation of as many incidents gives, and whether the
observed share is beyond it (:func:`csplib.methods.concentration.chance_verdict`).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from csplib.chapters.findings import Finding, count_words
from csplib.chapters.risk.assessment import CHAPTER, CRIME, RiskAssessment, group_noun
from csplib.methods.concentration import chance_verdict

__all__ = ["chart_titles", "risk_findings", "chance_range_text"]


def chart_titles(result: RiskAssessment) -> dict[str, str]:
    """Titles that state each chart's finding: keys ``repeats``, ``lorenz``, ``deprivation``.

    Examples
    --------
    >>> from csplib.core.periods import Period
    >>> conc = pd.DataFrame({"top_5pct_share": [31.0], "top_5pct_share_chance_low": [6.2],
    ...                      "top_5pct_share_chance_high": [7.4]}, index=["Crime"])
    >>> r = RiskAssessment("Town", Period.parse("2020/21"), None, None, None, conc, {}, {},
    ...                    None)
    >>> chart_titles(r)["lorenz"]
    'The busiest 5% of neighbourhoods had 31% of crime (chance alone 6 to 7%) in 2020/21'
    """
    label = result.period.label
    out = {}
    if result.repeats is not None:
        latest = result.repeats.xs(result.repeats.index.get_level_values(1).max(), level=1)
        parts = [
            f"{row['repeat_victim_share']:.0f}% of {group_noun(g)} victims"
            for g, row in latest.iterrows()
        ]
        year = result.repeats.index.get_level_values(1).max()
        out["repeats"] = f"Repeat victims in {year}: {' and '.join(parts)}"
    conc = result.concentration.dropna(subset=["top_5pct_share"])
    if not conc.empty:
        parts = []
        for g, row in conc.iterrows():
            chance = chance_range_text(row, "top_5pct_share")
            part = f"{row['top_5pct_share']:.0f}% of {group_noun(g)}"
            parts.append(f"{part} (chance alone {chance}%)" if chance else part)
        out["lorenz"] = f"The busiest 5% of neighbourhoods had {' and '.join(parts)} in {label}"
    grads = {g: d for g, d in result.gradients.items() if np.isfinite(d.ratio)}
    if grads:
        parts = [f"{d.ratio:.1f} times the rate of {group_noun(g)}" for g, d in grads.items()]
        out["deprivation"] = (
            f"The most deprived neighbourhoods had {' and '.join(parts)} of the least deprived, "
            f"{label}"
        )
    return out


def chance_range_text(row: pd.Series, measure: str, decimals: int = 0) -> str:
    """``"low to high"`` of a measure's chance range, or ``""`` when it has none; with
    ``decimals`` places, or more (up to 3) when fewer would show the two ends the same.

    Examples
    --------
    >>> row = pd.Series({"gini_chance_low": 5.62, "gini_chance_high": 5.84})
    >>> chance_range_text(row, "gini"), chance_range_text(row, "gini", 2)
    ('5.6 to 5.8', '5.62 to 5.84')
    """
    lo = row.get(f"{measure}_chance_low", math.nan)
    hi = row.get(f"{measure}_chance_high", math.nan)
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return ""
    places = decimals
    while places < 3 and f"{lo:.{places}f}" == f"{hi:.{places}f}":
        places += 1
    return f"{lo:.{places}f} to {hi:.{places}f}"


# ----------------------------------------------------------------------------- findings
def _concentration_sentence(name: str, row: pd.Series, label: str) -> str:
    noun = group_noun(name)
    text = (
        f"The 5% of neighbourhoods (LSOAs) with most {noun} "
        f"({int(row['top_5pct_areas'])} of {int(row['areas'])}) recorded "
        f"{row['top_5pct_share']:.1f}% of it in {label}"
    )
    share_range = chance_range_text(row, "top_5pct_share", 1)
    gini_text = f"Gini coefficient {row['gini']:.2f}"
    if share_range:
        text += (
            f"; chance alone would give {share_range.replace(' to', '% to')}%, so {noun} was "
            f"{chance_verdict(row, 'top_5pct_share')}"
        )
        gini_range = chance_range_text(row, "gini", 2)
        if gini_range:
            gini_text += f"; chance alone {gini_range}"
    if row.get("incidents", math.inf) < row.get("areas", 0) and np.isfinite(
        row.get("generalized_gini", math.nan)
    ):
        gini_text += (
            f"; generalized Gini {row['generalized_gini']:.2f}, as there were fewer incidents "
            "than neighbourhoods"
        )
    return f"{text} ({gini_text})."


def _category_sentence(categories: pd.DataFrame, label: str, threshold: int) -> str | None:
    """One sentence: which crime types are more concentrated than chance, and which not."""
    rows = categories.drop(index=CRIME, errors="ignore")
    if "top_5pct_share_chance_low" not in rows.columns or rows.empty:
        return None
    few = rows[rows["incidents"] < threshold]
    groups: dict[str, list[str]] = {}
    for name, row in rows.drop(index=few.index).iterrows():
        verdict = chance_verdict(row, "top_5pct_share")
        if verdict == "more concentrated than chance":  # clear: the table has the figures
            groups.setdefault(verdict, []).append(group_noun(name))
        elif verdict:  # near chance: the figures the reading rests on
            groups.setdefault(verdict, []).append(
                f"{group_noun(name)} ({row['top_5pct_share']:.0f}%; chance alone "
                f"{chance_range_text(row, 'top_5pct_share')}%)"
            )
    order = (
        "more concentrated than chance",
        "slightly more concentrated than chance",
        "no more concentrated than chance",
        "more evenly spread than chance",
    )
    parts = [f"{v}: {', '.join(groups[v])}" for v in order if v in groups]
    if not parts:
        return None
    text = (
        f"Each crime type's share in its busiest 5% of neighbourhoods in {label}, against "
        f"random allocation of as many crimes to the same neighbourhoods: {'; '.join(parts)}"
    )
    if len(few):
        text += (
            f" ({len(few)} crime type{'s' * (len(few) != 1)} with fewer than {threshold} "
            "crimes not assessed)"
        )
    return text + "."


def _repeat_sentence(name: str, row: pd.Series, label: str, threshold: int) -> str:
    noun = group_noun(name)
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
    >>> from csplib.core.periods import Period
    >>> conc = pd.DataFrame({"areas": [100.0], "incidents": [120.0], "top_5pct_areas": [5.0],
    ...                      "top_5pct_share": [22.0], "top_5pct_share_chance": [18.0],
    ...                      "top_5pct_share_chance_low": [15.0],
    ...                      "top_5pct_share_chance_high": [21.0], "gini": [0.52],
    ...                      "gini_chance_low": [0.40], "gini_chance_high": [0.48]},
    ...                     index=["Robbery"])
    >>> r = RiskAssessment("Town", Period.parse("2020/21"), None, None, None, conc, {}, {},
    ...                    None)
    >>> print(risk_findings(r)[0].text)  # doctest: +NORMALIZE_WHITESPACE
    The 5% of neighbourhoods (LSOAs) with most robbery (5 of 100) recorded 22.0% of it in
    2020/21; chance alone would give 15.0% to 21.0%, so robbery was slightly more
    concentrated than chance (Gini coefficient 0.52; chance alone 0.40 to 0.48).
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
            out.append(Finding(text + ".", CHAPTER))
    for name, row in result.concentration.iterrows():
        if not np.isfinite(row.get("top_5pct_share", math.nan)):
            continue
        out.append(Finding(_concentration_sentence(name, row, label), CHAPTER))
    if result.categories is not None:
        text = _category_sentence(result.categories, label, threshold)
        if text:
            out.append(Finding(text, CHAPTER))
    for name, g in result.gradients.items():
        if not np.isfinite(g.ratio):
            continue
        noun = group_noun(name)
        t = g.table
        out.append(
            Finding(
                f"The rate of {noun} in the most deprived decile of neighbourhoods (IMD decile "
                f"{g.most}) was {g.ratio:.1f} times that in the least deprived decile present "
                f"(decile {g.least}): {t.loc[g.most, 'rate']:.1f} against "
                f"{t.loc[g.least, 'rate']:.1f} per 1,000 residents in {label} (95% CI for the "
                f"ratio {g.ci_low:.1f} to {g.ci_high:.1f}).",
                CHAPTER,
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
            out.append(Finding(text + ".", CHAPTER))
    return out
