"""The threat chapter (``notebooks/02_threat.ipynb``): its tables, findings and figures.

:func:`assess` runs :func:`~csplib.chapters.threat.analysis.analyse_threat` on the
assessment's data and parameters, and :func:`chapter_result` turns the analysis into what
the chapter states (a :class:`ThreatResult`):

- every table it shows or puts in the data annex, as a :class:`~csplib.chapters.result.Table`
  with its caption, display formats and the count columns disclosure control protects (only
  the screen's ``recent`` counts and the expected ranges' ``observed`` counts are counts of
  crimes in small areas; the rest are model estimates);
- its key findings (:func:`threat_findings`), headline figures and chart titles;
- the paragraphs the page states, by section, in ``notes`` (``"coverage"``, ``"screen"``,
  ``"concern"``, ``"trends"``, ``"ward_trends"``, ``"profiles"``, ``"lockdown_estimates"``,
  ``"lockdown"``, ``"forecast"``; a section with nothing to say has an empty list), and
  ``"windows"``: the months each part used, from the analysis itself (so no window is
  stated longer than the data it had).

The analysis itself stays on the result (``analysis``) for the charts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from csplib.chapters.findings import Finding, table_anchor
from csplib.chapters.result import ChapterResult, Table
from csplib.chapters.threat.analysis import ThreatAnalysis, analyse_threat
from csplib.chapters.threat.lockdown import its_table, its_title
from csplib.chapters.threat.outlook import (
    forecast_table,
    forecast_title,
    forecast_totals,
    profile_table,
    profile_title,
    total_range_text,
)
from csplib.chapters.threat.screen import detail_tables, screen_table
from csplib.chapters.threat.series import ALL_CRIME
from csplib.chapters.threat.text import month_span
from csplib.chapters.threat.trends import DOWN, FLAT, UP, _by_rise, covid_sentences
from csplib.core.schema import ASB

__all__ = [
    "CHAPTER",
    "SOURCE",
    "TREND_COLUMNS",
    "FORMATS",
    "table_formats",
    "ThreatResult",
    "assess",
    "chapter_result",
    "threat_findings",
    "forecast_sentence",
]

#: The chapter's name (its notebook, annex tables and saved result).
CHAPTER = "02_threat"
EVIDENCE = CHAPTER
#: Source line of the chapter's charts.
SOURCE = "police.uk street-level data"
#: Columns of a :func:`~csplib.chapters.threat.trends.trend_table` worth showing in a chapter
#: (the rest go to the annex).
TREND_COLUMNS = [
    "period",
    "annual_change_pct",
    "lower_pct",
    "upper_pct",
    "p_value",
    "q_value",
    "direction",
    "covid_rule",
    "family",
]
#: The screen tables' count column and the columns computed from it.
SCREEN_COUNTS = ("recent",)
SCREEN_DERIVED = {
    c: SCREEN_COUNTS
    for c in (
        "rate_ratio",
        "rr_lower",
        "rr_upper",
        "pct_change",
        "p_value",
        "q_value",
        "flagged",
        "change",
    )
}

#: Display formats of the columns this module's tables hold.
FORMATS = {
    **{
        c: "{:+.1f}%"
        for c in (
            "annual_change_pct",
            "lower_pct",
            "upper_pct",
            "pct_change",
            "estimate_pct",
            "change_pct",
        )
    },
    **{c: "{:.3g}" for c in ("p_value", "q_value", "mk_p_value", "mk_tau")},
    **{c: "{:.2f}" for c in ("rate_ratio", "rr_lower", "rr_upper")},
    "expected": "{:,.1f}",
    "expected_total": "{:,.0f}",
    "total_lower": "{:,.0f}",
    "total_upper": "{:,.0f}",
    "last_total": "{:,.0f}",
}


def table_formats(frame: pd.DataFrame) -> dict[str, str]:
    """The display formats (:data:`FORMATS`) of the columns ``frame`` has, for
    :meth:`csplib.run.context.Context.show`.

    Examples
    --------
    >>> table_formats(pd.DataFrame(columns=["p_value", "category"]))
    {'p_value': '{:.3g}'}
    """
    return {c: f for c, f in FORMATS.items() if c in frame.columns}


# ---------------------------------------------------------------------------- the result


@dataclass
class ThreatResult(ChapterResult):
    """The threat chapter's :class:`~csplib.chapters.result.ChapterResult`, with the analysis
    it states (``analysis``, for the charts; not saved)."""

    analysis: ThreatAnalysis | None = field(default=None, repr=False, compare=False)


def assess(ctx) -> ThreatResult:
    """Run the threat chapter on a context's data and parameters.

    Parameters
    ----------
    ctx : object with ``params`` and ``store``
        The chapter's context (:class:`csplib.run.context.Context`): the assessed period's
        end and the baseline come from ``params.assessment``; the incidents, the months the
        source covers and the quality report's implausible months from ``store``.

    Returns
    -------
    ThreatResult
        See :func:`chapter_result`.
    """
    params, store = ctx.params, ctx.store
    analysis = analyse_threat(
        store.incidents,
        months_present=store.months_present,
        end=params.assessment.period.end,
        exclude=store.quality.implausible,
        baseline=params.assessment.baseline,
    )
    return chapter_result(analysis)


def chapter_result(analysis: ThreatAnalysis) -> ThreatResult:
    """What the chapter states from ``analysis``: tables, findings, headline, figures, notes.

    Tables, in the order the chapter shows or saves them (each only when its part of the
    analysis was computed): ``screen_all``, ``screen_top``, ``series_of_concern``,
    ``concern_expected_ranges``, ``concern_spc``, ``category_trends_detail``,
    ``category_trends``, ``ward_trends``, ``ward_trends_significant``,
    ``seasonal_profiles``, ``lockdown_its``, ``forecast_totals``, ``forecast_monthly``.

    Examples
    --------
    >>> idx = pd.date_range("2019-04-01", periods=72, freq="MS")
    >>> inc = pd.DataFrame({"month": np.repeat(idx, 30), "category": "Drugs",
    ...                     "ward_name": np.tile(["A", "B", "C"], 720)})
    >>> result = chapter_result(analyse_threat(inc))
    >>> list(result.tables)  # doctest: +NORMALIZE_WHITESPACE
    ['screen_all', 'screen_top', 'category_trends_detail', 'category_trends', 'ward_trends',
     'ward_trends_significant', 'forecast_totals', 'forecast_monthly']
    >>> result.table("screen_top").counts, result.headline["series_flagged"]
    (('recent',), 0)
    >>> result.notes["concern"]
    ['No series stands out: the screen flagged none and no ward-level trend is significant.']
    """
    a = analysis
    result = ThreatResult(CHAPTER, analysis=a)
    for table in _tables(a):
        result.add(table)
    result.findings = threat_findings(a)
    result.headline = _headline(a)
    result.figures = _figures(a)
    result.notes = _notes(a)
    return result


def _table(name: str, frame: pd.DataFrame, caption: str, **declared) -> Table:
    """A table of this chapter: no totals (no row or column adds up the others as counts)
    and the display formats of its columns."""
    return Table(
        name, frame, caption=caption, totals=None, formats=table_formats(frame), **declared
    )


def _tables(a: ThreatAnalysis) -> list[Table]:
    out = []
    if a.screen is not None:
        ranked = screen_table(a.screen)
        screen = dict(counts=SCREEN_COUNTS, derived=SCREEN_DERIVED)
        out.append(
            _table(
                "screen_all",
                ranked,
                f"Every category x ward series screened, {a.recent_label} against the "
                "expected level, by strength of evidence of change",
                **screen,
            )
        )
        out.append(
            _table(
                "screen_top",
                ranked.head(15),
                f"The 15 category x ward series with the strongest evidence of change, "
                f"{a.recent_label} against the expected level (flagged: q below 0.05; "
                "every series is in the data annex)",
                **screen,
            )
        )
    if a.concern is not None and len(a.concern):
        out.append(
            _table(
                "series_of_concern",
                a.concern,
                "The series that stand out, and why they were chosen",
            )
        )
        if a.details:
            expected, spc = detail_tables(a.details)
            out.append(
                _table(
                    "concern_expected_ranges",
                    expected,
                    "The series that stand out: each recent month against its expected range",
                    counts=("observed",),
                    derived={
                        c: ("observed",)
                        for c in ("p_high", "p_low", "above", "below", "run_high", "run_low")
                        if c in expected.columns
                    },
                )
            )
            out.append(
                _table(
                    "concern_spc",
                    spc,
                    "The series that stand out: SPC chart values, limits and special causes",
                    counts=("value",),
                    derived={
                        c: ("value",)
                        for c in (
                            "outside_limits",
                            "two_of_three",
                            "shift",
                            "trend",
                            "special_cause",
                            "direction",
                            "variation",
                        )
                        if c in spc.columns
                    },
                )
            )
    if a.area_trends is not None:
        out.append(
            _table(
                "category_trends_detail",
                a.area_trends,
                "Area-wide annual % change by category over each window, with the "
                "Mann-Kendall check and the model used",
            )
        )
        out.append(
            _table(
                "category_trends",
                a.area_trends[[*TREND_COLUMNS, "mk_p_value", "mk_agrees"]],
                "Area-wide annual % change by category, with 95% confidence interval, "
                "p-value and direction (↑ ↓ significant at 5%, ↔ not); Mann-Kendall as a check; "
                "Covid-19 rule: the months of the restrictions left out, or no trend where "
                "too few other months remain",
            )
        )
    if a.ward_trends is not None:
        out.append(
            _table(
                "ward_trends",
                a.ward_trends,
                "Annual % change of every category x ward series over each window "
                "(direction on the Benjamini-Hochberg q-value)",
            )
        )
        out.append(
            _table(
                "ward_trends_significant",
                a.significant_ward_trends()[TREND_COLUMNS],
                "Category x ward series with a significant trend over "
                f"{a.window_period(next(iter(a.windows)))}",
            )
        )
    if a.profiles:
        out.append(
            _table(
                "seasonal_profiles",
                profile_table(a.profiles),
                "Seasonal profiles: each calendar month against a typical month, with 95% "
                "confidence intervals",
            )
        )
    if a.lockdown:
        out.append(
            _table(
                "lockdown_its",
                its_table(a.lockdown),
                "Covid-19 lockdown: level change in April 2020 and change in the annual trend, "
                "against the pre-pandemic trend and season (95% confidence intervals)",
            )
        )
    if a.forecasts:
        totals = forecast_totals(a.forecasts, a.whole_area)
        out.append(
            _table(
                "forecast_totals",
                totals,
                f"Expected totals for the next {a.settings['horizon']} months, with "
                f"{a.settings['level']:.0%} prediction intervals (from the model's simulated "
                "years, not the monthly bounds added up), against "
                + (
                    f"the last {a.settings['horizon']} months recorded"
                    if (totals["months_with_data"] == a.settings["horizon"]).all()
                    else f"the months with data in the {a.settings['horizon']} before them "
                    "(months_with_data; a change is stated only when every month has data)"
                ),
            )
        )
        out.append(
            _table(
                "forecast_monthly",
                forecast_table(a.forecasts),
                f"Forecast of each of the next {a.settings['horizon']} months, with "
                f"{a.settings['level']:.0%} prediction intervals (each month's own: adding "
                "them up overstates the range of the total, given in forecast_totals)",
            )
        )
    return out


def _notes(a: ThreatAnalysis) -> dict[str, list[str]]:
    """The paragraphs the chapter states, by section (see the module docstring)."""

    def reason(section: str) -> list[str]:
        return [a.reasons[section]] if section in a.reasons else []

    if a.ward_trends is None:
        ward_trends = reason("ward_trends")
    else:
        ward_trends = [
            f"{len(a.significant_ward_trends())} of {a.wards.shape[1]} category x ward series "
            f"have a significant trend over {a.window_period(next(iter(a.windows)))} after "
            "controlling the false discovery rate at 5% (below, rises first); every series and "
            "every window are in the data annex (its table of ward trends)."
        ]
    return {
        "coverage": [a.coverage_text()],
        "screen": [a.screen_text()],
        "concern": [a.concern_text()],
        "trends": reason("trends") + covid_sentences(a.area_trends),
        "ward_trends": ward_trends,
        "profiles": reason("profiles"),
        "lockdown_estimates": a.lockdown_sentences(),
        "lockdown": reason("lockdown"),
        "forecast": reason("forecast"),
        "windows": a.windows_text(),
    }


def _figures(a: ThreatAnalysis) -> dict[str, str]:
    """Chart titles: ``"screen"``, then ``"<kind>: <series>"`` for the expected ranges and
    SPC charts of the series that stand out (``expected_range``, ``spc``), the seasonal
    profiles (``seasonal_profile``), the lockdown models (``lockdown``) and the forecasts
    (``forecast``)."""
    figures = {}
    if a.screen is not None:
        figures["screen"] = a.screen_title()
    for detail in a.details:
        figures[f"expected_range: {detail.label}"] = detail.expected_title
        figures[f"spc: {detail.label}"] = detail.spc_title
    for name, profile in a.profiles.items():
        figures[f"seasonal_profile: {name}"] = profile_title(name, profile, sep="\n")
    for name, model in a.lockdown.items():
        figures[f"lockdown: {name}"] = its_title(name, model)
    if a.forecasts:
        totals = forecast_totals(a.forecasts, a.whole_area)
        for name in a.forecasts:
            figures[f"forecast: {name}"] = forecast_title(name, totals, a.settings["level"])
    return figures


def _headline(a: ThreatAnalysis) -> dict:
    """The figures the chapter states: coverage, the screen, the trends of all crime and ASB
    over the recent window, the lockdown's level change and the forecast totals."""
    idx = a.whole_area.index
    head = {
        "period": month_span(idx[0], idx[-1]),
        "months_with_data": int(a.whole_area.notna().any(axis=1).sum()),
        "recent_months": a.recent_label,
    }
    if a.screen is not None:
        flagged = a.screen.flagged
        rises = int((flagged["change"] == "increase").sum())
        head.update(
            series_screened=int(a.screen.table["p_value"].notna().sum()),
            series_flagged=len(flagged),
            flagged_rises=rises,
            flagged_falls=len(flagged) - rises,
        )
    if a.concern is not None:
        head["series_of_concern"] = [
            " in ".join(map(str, key))
            for key in a.concern.drop(columns=["selected_by", "finding"]).itertuples(index=False)
        ]
    window = next(iter(a.windows))
    if a.ward_trends is not None:
        head["ward_trends_significant"] = len(a.significant_ward_trends(window))
    if a.area_trends is not None:
        part = a.area_trends.xs(window, level="window")
        head["area_trends"] = {
            name: part.loc[
                name, ["period", "annual_change_pct", "lower_pct", "upper_pct", "direction"]
            ].to_dict()
            for name in (ALL_CRIME, ASB)
            if name in part.index
        }
    if a.lockdown:
        head["lockdown_level_change_pct"] = {
            name: 100 * float(model.table.loc["level change", "estimate"])
            for name, model in a.lockdown.items()
        }
    if a.forecasts:
        totals = forecast_totals(a.forecasts, a.whole_area)
        head["forecasts"] = {
            name: row[
                ["forecast_period", "expected_total", "total_lower", "total_upper", "change_pct"]
            ].to_dict()
            for name, row in totals.iterrows()
        }
    return head


# ---------------------------------------------------------------------------- findings


def _covid_text(row: pd.Series) -> str:
    """The restriction months a trend left out, in words (empty when it left none out)."""
    if row.get("covid_rule") != "left out":
        return ""
    n = int(row["covid_months"])
    return f" (its {n} month{'s' * (n != 1)} of Covid-19 restrictions left out)"


def _trend_sentence(name: str, row: pd.Series, qualifier: str = "") -> str:
    change = row["annual_change_pct"]
    verb = "rose" if change > 0 else "fell"
    return (
        f"{name} {verb} by {abs(change):.0f}% a year (95% CI {row['lower_pct']:+.0f}% to "
        f"{row['upper_pct']:+.0f}%){qualifier} over {row['period']}{_covid_text(row)}; the "
        f"{'rise' if change > 0 else 'fall'} is statistically significant"
    )


#: The tables the trend findings point to.
AREA, WARDS = "category_trends", "ward_trends_significant"


def threat_findings(analysis: ThreatAnalysis, max_trends: int = 3) -> list[Finding]:
    """The chapter's key findings as sentences for the summary.

    In order: the screen's result; the most significant ward-level trends (up to
    ``max_trends``); all crime and ASB across the whole area, then the categories with a significant
    area-wide trend over the recent window; the lockdown; the forecasts. Each links to the
    table that shows it.

    Examples
    --------
    >>> idx = pd.date_range("2019-04-01", periods=72, freq="MS")
    >>> rng = np.random.default_rng(0)
    >>> inc = pd.DataFrame({"month": np.repeat(idx, 30), "category": "Drugs",
    ...                     "ward_name": np.tile(["A", "B", "C"], 720)})
    >>> findings = threat_findings(analyse_threat(inc))
    >>> findings[0].evidence
    '02_threat'
    """
    out: list[tuple[str, str]] = []  # (sentence, the table that shows it)
    out.append((analysis.screen_text(), "screen_top" if analysis.screen is not None else ""))
    recent = next(iter(analysis.windows))
    wt = analysis.ward_trends
    if wt is not None:
        part = wt.xs(recent, level="window")
        sig = _by_rise(part[part["direction"] != FLAT])
        for key, row in sig.head(max_trends).iterrows():
            text = _trend_sentence(f"{key[0]} in {key[1]}", row)
            out.append((text + " after allowing for testing every category in every ward.", WARDS))
    ct = analysis.area_trends
    if ct is not None:
        part = ct.xs(recent, level="window")
        for name in (ALL_CRIME, ASB):
            label = "Recorded crime" if name == ALL_CRIME else "Anti-social behaviour"
            if name in part.index and part.loc[name, "covid_rule"] == "not estimated":
                why = str(part.loc[name, "note"]).removeprefix("No trend is stated: ")
                period = part.loc[name, "period"]
                out.append((f"No trend of {label.lower()} is stated over {period}: {why}", AREA))
            if name in part.index and np.isfinite(part.loc[name, "annual_change_pct"]):
                row = part.loc[name]
                if row["direction"] == FLAT:
                    text = (
                        f"{label} showed no statistically significant trend over "
                        f"{row['period']}{_covid_text(row)}: {row['annual_change_pct']:+.0f}% a "
                        f"year (95% CI {row['lower_pct']:+.0f}% to {row['upper_pct']:+.0f}%)."
                    )
                    out.append((text, AREA))
                else:
                    out.append((_trend_sentence(label, row) + " (across the whole area).", AREA))
        cats = part.drop(index=[ALL_CRIME, ASB], errors="ignore")
        rising = cats[cats["direction"] == UP].sort_values("annual_change_pct", ascending=False)
        for name, row in rising.iterrows():
            out.append((_trend_sentence(name, row) + " (across the whole area).", AREA))
        falling = cats[cats["direction"] == DOWN].sort_values("annual_change_pct")
        if len(falling):
            items = ", ".join(
                f"{name} ({row['annual_change_pct']:+.0f}% a year)"
                for name, row in falling.iterrows()
            )
            text = (
                f"Across the whole area, {len(falling)} categories fell significantly over "
                f"{analysis.window_period(recent)}: {items}."
            )
            out.append((text, AREA))
    out.extend((text, "lockdown_its") for text in analysis.lockdown_sentences())
    if analysis.forecasts:
        totals = forecast_totals(analysis.forecasts, analysis.whole_area)
        for name, row in totals.iterrows():
            text = forecast_sentence(name, row, analysis.settings["level"])
            out.append((text, "forecast_totals"))
    return [Finding(text, EVIDENCE, table_anchor(name) if name else "") for text, name in out]


def forecast_sentence(name: str, row: pd.Series, level: float = 0.95) -> str:
    """The finding on a forecast total: the expected total and its prediction interval in
    plain words, and how it compares with the last period recorded (a row of
    :func:`~csplib.chapters.threat.outlook.forecast_totals`).

    Examples
    --------
    >>> row = pd.Series({"expected_total": 4132.4, "total_lower": 3817.5,
    ...                  "total_upper": 4441.2, "forecast_period": "Apr 2025 to Mar 2026",
    ...                  "last_total": 4320.0, "last_period": "Apr 2024 to Mar 2025",
    ...                  "change_pct": -4.3})
    >>> print(forecast_sentence(ALL_CRIME, row))  # doctest: +NORMALIZE_WHITESPACE
    About 4,100 recorded crimes (95% range 3,800 to 4,400) are expected in Apr 2025 to
    Mar 2026 if the recent trend and season continue: 4% fewer than the 4,320 recorded in
    Apr 2024 to Mar 2025, which is within that range.
    """
    noun = "recorded crimes" if name == ALL_CRIME else "incidents of anti-social behaviour"
    if name not in (ALL_CRIME, ASB):
        noun = f"{name} crimes"
    about = total_range_text(
        row["expected_total"], row["total_lower"], row["total_upper"], level, noun=noun
    )
    text = (
        f"{about[0].upper()}{about[1:]} are expected in {row['forecast_period']} if the "
        "recent trend and season continue"
    )
    if np.isfinite(row["change_pct"]):
        text += (
            f": {abs(row['change_pct']):.0f}% "
            f"{'more' if row['change_pct'] > 0 else 'fewer'} than the "
            f"{row['last_total']:,.0f} recorded in {row['last_period']}"
        )
        lower, upper, last = row["total_lower"], row["total_upper"], row["last_total"]
        if np.isfinite(lower) and np.isfinite(upper):
            where = "below" if last < lower else "above" if last > upper else "within"
            text += f", which is {where} that range"
    return text + "."
