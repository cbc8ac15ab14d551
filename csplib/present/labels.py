"""Reader labels for table columns: one mapping for every shared page.

Chapters keep machine names in their tables (``rate_ratio``, ``q_value``), and the data annex
(the CSVs) keeps them too, for analysts. A page shows each column under a label a board
member can read. :data:`LABELS` holds the labels chosen by hand; :func:`label` falls back to
words for any other snake_case name (``months_with_data`` -> "Months with data"), so no code
name reaches a page. :func:`value_label` does the same for cell values that are code names
(``lower_is_better`` -> "Lower is better") or lists of them.

Examples
--------
>>> label("rate_ratio"), label("q_value"), label("rate_per_1000")
('Rate ratio', 'q (false discovery rate)', 'Rate per 1,000 residents')
>>> label("months_with_data"), label("2024/25"), label("Vol. Change")
('Months with data', '2024/25', 'Vol. Change')
>>> label("top_20pct_share")
'Top 20% share'
"""

from __future__ import annotations

import re

__all__ = ["LABELS", "VALUE_LABELS", "label", "value_label", "is_code_name", "is_p_or_q"]

#: Column name -> reader label, for the columns the chapters show. Names not here get
#: :func:`label`'s generic wording.
LABELS: dict[str, str] = {
    # counts, rates and shares
    "count": "Count",
    "incidents": "Incidents",
    "crimes": "Crimes",
    "offences": "Offences",
    "victims": "Victims",
    "population": "Population",
    "residents": "Residents",
    "rate": "Rate",
    "rate_per_1000": "Rate per 1,000 residents",
    "rate_per_1000_a_year": "Rate per 1,000 residents a year",
    "rate_most": "Rate in the most deprived decile",
    "rate_least": "Rate in the least deprived decile",
    "share": "Share",
    "volume": "Volume",
    "volume_share": "Share of volume (%)",
    "volume_change": "Change in volume",
    "harm": "Harm (Crime Severity Score)",
    "harm_share": "Share of harm (%)",
    "harm_per_crime": "Harm per crime",
    "harm_per_offence": "Harm per offence",
    "harm_volume_ratio": "Harm to volume ratio",
    "harm_squares": "Harm (squares)",
    "css": "Crime Severity Score",
    "total": "Total",
    "previous": "Previous",
    "current": "Current",
    "latest": "Latest",
    "value": "Value",
    "n": "Respondents",
    # change
    "change": "Change",
    "change_pct": "Change (%)",
    "pct_change": "Change (%)",
    "yoy_pct_change": "Change on a year earlier (%)",
    "annual_change_pct": "Change a year (%)",
    "pp_change": "Change (percentage points)",
    "lsoa_change": "Neighbourhood change",
    "forecast_change": "Forecast change (%)",
    "direction": "Direction",
    "trend": "Trend",
    # models and tests
    "expected": "Expected",
    "expected_total": "Expected total",
    "observed": "Recorded",
    "recent": "Recent months",
    "rate_ratio": "Rate ratio",
    "rr_lower": "Rate ratio, lower 95% limit",
    "rr_upper": "Rate ratio, upper 95% limit",
    "ratio": "Ratio",
    "lower": "Lower limit",
    "upper": "Upper limit",
    "lower_pct": "Lower 95% limit (%)",
    "upper_pct": "Upper 95% limit (%)",
    "ci_low": "Lower 95% limit",
    "ci_high": "Upper 95% limit",
    "trend_ci_low": "Trend, lower 95% limit",
    "trend_ci_high": "Trend, upper 95% limit",
    "trend_ratio_per_decile": "Trend ratio per decile",
    "p_value": "p",
    "p-value": "p",
    "yoy_p_value": "p (change on a year earlier)",
    "mk_p_value": "p (Mann–Kendall trend test)",
    "mk_tau": "Mann–Kendall tau",
    "mk_agrees": "Mann–Kendall test agrees",
    "q_value": "q (false discovery rate)",
    "lsoa_q_value": "q, neighbourhood (false discovery rate)",
    "p_high": "Chance of a value this high",
    "p_low": "Chance of a value this low",
    "z": "z score (Gi*)",
    "significant": "Significant",
    "significance": "Significance",
    "flagged": "Flagged",
    "family": "Model family",
    "method": "Method",
    "alpha": "Significance level",
    "estimate_pct": "Estimate (%)",
    "effect": "Effect",
    "months_used": "Months used",
    "months_with_data": "Months with data",
    "months_covered": "Months covered",
    "months_compared": "Months compared",
    "months_in_period": "Months in the period",
    "previous_months": "Months in the previous period",
    "count_compared": "Count (months compared)",
    "previous_compared": "Previous (months compared)",
    "forecast_total": "Forecast total",
    "forecast_period": "Forecast period",
    "total_lower": "Total, lower 95% limit",
    "total_upper": "Total, upper 95% limit",
    "covid_rule": "Covid-19 rule",
    "covid_note": "Covid-19 rule",
    "upper_2sigma": "Upper warning limit",
    "lower_2sigma": "Lower warning limit",
    "special_cause": "Special cause",
    "two_of_three": "Two of three near a limit",
    "outside_limits": "Outside the limits",
    "run_high": "Run above the centre",
    "run_low": "Run below the centre",
    "above": "Above",
    "below": "Below",
    "centre": "Centre line",
    "variation": "Variation",
    # places
    "lsoa": "Neighbourhood (LSOA)",
    "lsoas": "Neighbourhoods (LSOAs)",
    "ward": "Ward",
    "ward_name": "Ward",
    "crime_count": "Crimes",
    "crime_rate": "Crimes per 1,000 residents",
    "crime_rank": "Crime rank",
    "crime_change": "Crime on a year earlier",
    "asb_count": "ASB incidents",
    "asb_rate": "ASB per 1,000 residents",
    "asb_rank": "ASB rank",
    "asb_change": "ASB on a year earlier",
    "largest": "Largest other types",
    "peers_rate": "Most similar areas",
    "national_rate": "England and Wales",
    "funnel": "Against all partnerships",
    "peer_rank": "Rank among similar areas",
    "hot_spot_lsoas": "Hot spot LSOAs",
    "name": "Name",
    "neighbours": "Neighbours",
    "classification": "Classification",
    "previous_class": "Previous classification",
    "new_hotspot": "New hotspot",
    "share_of_area": "Share of the area",
    "imd_decile": "Deprivation decile (IMD)",
    "most_deprived_decile": "Most deprived decile",
    "least_deprived_decile": "Least deprived decile",
    "deprived_lsoa_share": "Share in the most deprived neighbourhoods",
    "zero_areas": "Areas with none",
    "no_area": "Without an area",
    "gini": "Gini coefficient",
    "top_k_share": "Share of runs in the top places",
    "top_5pct_share": "Share in the top 5% of neighbourhoods",
    "top_10pct_share": "Share in the top 10% of neighbourhoods",
    "top_5pct_areas": "Neighbourhoods in the top 5%",
    "top_10pct_areas": "Neighbourhoods in the top 10%",
    # risk
    "repeat_victims": "Repeat victims",
    "repeat_victim_share": "Victims who are repeats (%)",
    "repeat_incident_share": "Incidents suffered by repeat victims (%)",
    "incidents_by_repeat_victims": "Incidents suffered by repeat victims",
    "blank_victim_excluded": "Records without a victim (left out)",
    "vulnerability": "Vulnerability",
    "vulnerability_score": "Vulnerability score",
    "public_concern": "Public concern",
    # priorities
    "theme": "Theme",
    "criterion": "Criterion",
    "criterion_weight": "Criterion weight",
    "weight": "Weight",
    "weighted": "Weighted",
    "unweighted": "Unweighted",
    "threat": "Threat",
    "risk": "Risk",
    "response": "Response",
    "partnership_response": "Partnership response",
    "threat_basis": "Threat based on",
    "rank": "Rank",
    "base_rank": "Rank",
    "base_total": "Total score",
    "median_rank": "Median rank",
    "rank_low": "Best rank",
    "rank_high": "Worst rank",
    "agreement": "Agreement",
    "robust": "Robust",
    "contribution": "Contribution",
    "breakpoint_1": "Score 1 below",
    "breakpoint_2": "Score 2 below",
    "breakpoint_3": "Score 3 below",
    "breakpoint_4": "Score 4 from",
    "selected_by": "Selected by",
    "top10_share": "Share in the top 10%",
    # performance and definitions
    "id": "Measure",
    "indicator": "Indicator",
    "measure": "Measure",
    "polarity": "Better when",
    "target": "Target",
    "test": "Test",
    "unit": "Unit",
    "aggregation": "Aggregation",
    "filter": "Records counted",
    "source": "Source",
    "outcome": "Outcome",
    "coverage": "Coverage",
    # periods and notes
    "period": "Period",
    "month": "Month",
    "months": "Months",
    "month_of_year": "Month of the year",
    "window": "Window",
    "financial_year": "Financial year",
    "first_month": "First month",
    "last_month": "Last month",
    "last_period": "Last period",
    "latest_period": "Latest period",
    "previous_period": "Previous period",
    "last_12_months": "Last 12 months",
    "last_total": "Last total",
    "population_year": "Population estimate year",
    "complete": "Complete",
    "missing": "Missing",
    "category": "Category",
    "group": "Group",
    "series": "Series",
    "offence_code": "Home Office offence code",
    "offences_in_mix": "Offences in the mix",
    "highest_code_weight": "Highest offence weight",
    "lowest_code_weight": "Lowest offence weight",
    "codes": "Offence codes",
    "note": "Note",
    "reason": "Reason",
    "description": "Description",
    "meaning": "Meaning",
    "finding": "Finding",
    "stage": "Stage",
    "setting": "Setting",
    "comparison": "Comparison",
    "areas": "Areas",
    "rows": "Rows",
    "label": "Label",
}

#: Cell values that are code names -> reader text.
VALUE_LABELS: dict[str, str] = {
    "lower_is_better": "Lower is better",
    "higher_is_better": "Higher is better",
    "higher_is_worse": "Higher is worse",
    "lower_is_worse": "Lower is worse",
    "p_value": "p",
    "q_value": "q (false discovery rate)",
}

# Words inside generic names that read better spelt out or in capitals.
_WORDS = {
    "pct": "%",
    "pp": "percentage points",
    "asb": "ASB",
    "lsoa": "LSOA",
    "lsoas": "LSOAs",
    "imd": "IMD",
    "css": "CSS",
    "ci": "95% limit",
    "id": "ID",
    "mk": "Mann–Kendall",
    "yoy": "year-on-year",
    "rr": "rate ratio",
    "spc": "SPC",
    "dsva": "DSVA",
    "nb": "negative binomial",
    "q": "q",
    "p": "p",
    "uk": "UK",
}

_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
_CODE_NAME = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")
_P_OR_Q = re.compile(r"^(?:.*_)?[pq](?:_value)?$|^[pq]-value$")


def is_code_name(text: str) -> bool:
    """Whether ``text`` is a snake_case code name (lower case, at least one underscore).

    Examples
    --------
    >>> is_code_name("rate_ratio"), is_code_name("Rate ratio"), is_code_name("E01013836")
    (True, False, False)
    """
    return bool(_CODE_NAME.match(str(text)))


def is_p_or_q(name) -> bool:
    """Whether a column holds p or q values (shown as "< 0.001", "0.02").

    Examples
    --------
    >>> [is_p_or_q(n) for n in ("p_value", "mk_p_value", "q_value", "p-value", "p_high")]
    [True, True, True, True, False]
    """
    return bool(_P_OR_Q.match(str(name)))


def _words(name: str) -> str:
    parts = name.split("_")
    out = []
    for i, part in enumerate(parts):
        if part == "per" and i + 1 < len(parts) and parts[i + 1].isdigit():
            out.append("per")
            continue
        if part.isdigit() and i > 0 and parts[i - 1] == "per":
            out.append(f"{int(part):,}")
            continue
        m = re.fullmatch(r"(\d+)pct", part)
        out.append(f"{m.group(1)}%" if m else _WORDS.get(part, part))
    if len(out) > 1 and out[-1] == "%":
        text = " ".join(out[:-1]) + " (%)"
    else:
        text = " ".join(out)
    return text[:1].upper() + text[1:]


def label(name) -> str:
    """The reader label of a column: from :data:`LABELS`, else words for a code name,
    else the name as it is (it is already reader text, such as ``"2024/25"``).

    Examples
    --------
    >>> label("mk_p_value"), label("lsoa_count"), label("annual_change_pct")
    ('p (Mann–Kendall trend test)', 'LSOA count', 'Change a year (%)')
    >>> label("repeat_victim_share_score"), label("category")
    ('Repeat victim share score', 'Category')
    """
    if isinstance(name, tuple):
        return ", ".join(label(n) for n in name if str(n).strip())
    text = str(name)
    if text in LABELS:
        return LABELS[text]
    if is_code_name(text) or re.fullmatch(r"[a-z][a-z0-9]*", text):
        return _words(text)
    return text


def value_label(value: str) -> str:
    """A cell value as reader text: code names in words, anything else unchanged.

    Examples
    --------
    >>> value_label("lower_is_better"), value_label("survey_feel_safe"), value_label("Aspley")
    ('Lower is better', 'Survey feel safe', 'Aspley')
    >>> value_label("vulnerability, public_concern"), value_label("Bulwell, Basford")
    ('Vulnerability; Public concern', 'Bulwell, Basford')
    """
    if value in VALUE_LABELS:
        return VALUE_LABELS[value]
    if is_code_name(value):
        return LABELS.get(value) or _words(value)
    parts = [p.strip() for p in value.split(",")]
    if len(parts) > 1 and any(map(is_code_name, parts)) and all(map(_IDENTIFIER.match, parts)):
        return "; ".join(label(p) for p in parts)
    return value
