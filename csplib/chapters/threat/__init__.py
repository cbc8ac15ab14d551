"""The threat chapter: what is changing, where, and what is expected next year.

This package joins the time-series models of :mod:`csplib.methods.models` into the analysis
the threat chapter (``notebooks/02_threat.ipynb``) shows, and says in words what could not be
computed and why when the data are short. The notebook calls :func:`assess` once and lays out
the :class:`ThreatResult` it returns.

Modules, by concept:

* :mod:`~csplib.chapters.threat.series`: monthly series by category (with ``All crime``) and
  by category x ward, missing months kept missing (:func:`monthly_series`,
  :func:`area_series`).
* :mod:`~csplib.chapters.threat.trends`: annual % change over the trend windows, with
  Mann-Kendall as a check and a direction arrow (:func:`trend_windows`, :func:`trend_table`).
* :mod:`~csplib.chapters.threat.screen`: the emerging-trend screen of every category x ward
  series and the series that stand out, each with an expected range and an SPC chart
  (:func:`run_screen`, :func:`screen_table`, :func:`series_of_concern`,
  :func:`series_detail`).
* :mod:`~csplib.chapters.threat.lockdown`: the first Covid-19 lockdown as an interrupted time
  series at April 2020 (:func:`lockdown_its`).
* :mod:`~csplib.chapters.threat.outlook`: seasonal profiles and forecasts of the next 12
  months (:func:`seasonal_profiles`, :func:`forecast_series`, :func:`forecast_totals`).
* :mod:`~csplib.chapters.threat.analysis`: :func:`analyse_threat` runs all of it once and
  returns a :class:`ThreatAnalysis`, with a reason for every part the data cannot support.
* :mod:`~csplib.chapters.threat.chapter`: the chapter's tables, findings
  (:func:`threat_findings`), headline figures and chart titles (:func:`assess`,
  :func:`chapter_result`).
* :mod:`~csplib.chapters.threat.text`: how months, counts and series are worded, and the
  months a window used (:func:`months_used`: how many had data, of how many, and their
  span), so that no window is stated as longer than the data it had.
"""

from csplib.chapters.threat.analysis import ThreatAnalysis, analyse_threat
from csplib.chapters.threat.chapter import (
    CHAPTER,
    FORMATS,
    SOURCE,
    TREND_COLUMNS,
    ThreatResult,
    assess,
    chapter_result,
    table_formats,
    threat_findings,
)
from csplib.chapters.threat.lockdown import (
    LOCKDOWN_MONTH,
    its_table,
    its_title,
    lockdown_its,
    lockdown_problem,
)
from csplib.chapters.threat.outlook import (
    forecast_problem,
    forecast_series,
    forecast_table,
    forecast_title,
    forecast_totals,
    profile_table,
    profile_title,
    seasonal_profiles,
)
from csplib.chapters.threat.screen import (
    SeriesDetail,
    detail_tables,
    run_screen,
    screen_problem,
    screen_table,
    series_detail,
    series_of_concern,
)
from csplib.chapters.threat.series import (
    ALL_CRIME,
    VIOLENCE,
    area_frames,
    area_series,
    monthly_series,
)
from csplib.chapters.threat.text import month_span, months_used
from csplib.chapters.threat.trends import (
    DOWN,
    FLAT,
    MIN_MONTHS,
    UP,
    trend_table,
    trend_windows,
    window_period,
)

__all__ = [
    "ALL_CRIME",
    "VIOLENCE",
    "UP",
    "DOWN",
    "FLAT",
    "MIN_MONTHS",
    "LOCKDOWN_MONTH",
    "TREND_COLUMNS",
    "FORMATS",
    "CHAPTER",
    "SOURCE",
    "table_formats",
    "month_span",
    "months_used",
    "window_period",
    "monthly_series",
    "area_series",
    "area_frames",
    "trend_windows",
    "trend_table",
    "screen_problem",
    "run_screen",
    "screen_table",
    "series_of_concern",
    "SeriesDetail",
    "series_detail",
    "detail_tables",
    "lockdown_problem",
    "lockdown_its",
    "its_table",
    "its_title",
    "seasonal_profiles",
    "profile_table",
    "profile_title",
    "forecast_problem",
    "forecast_series",
    "forecast_table",
    "forecast_totals",
    "forecast_title",
    "ThreatAnalysis",
    "analyse_threat",
    "ThreatResult",
    "assess",
    "chapter_result",
    "threat_findings",
]
