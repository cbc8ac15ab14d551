"""The threat chapter's analysis, run once: :func:`analyse_threat` and its :class:`ThreatAnalysis`.

:func:`analyse_threat` builds the monthly series once and runs the screen, the trends, the
series that stand out, the seasonal profiles, the lockdown model and the forecasts on them.
A part the data cannot support is left out and ``reasons`` says why in one sentence, so a
short extract gives a chapter of reasons rather than an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from csplib.chapters.threat.lockdown import (
    LOCKDOWN_MONTH,
    _its_sentence,
    lockdown_its,
    lockdown_problem,
)
from csplib.chapters.threat.outlook import forecast_problem, forecast_series, seasonal_profiles
from csplib.chapters.threat.screen import (
    run_screen,
    screen_problem,
    series_detail,
    series_of_concern,
)
from csplib.chapters.threat.series import (
    ALL_CRIME,
    VIOLENCE,
    _excluded_cells,
    area_frames,
    monthly_series,
)
from csplib.chapters.threat.text import (
    _add_months,
    _count_text,
    _label,
    _month,
    _months_list,
    month_span,
    months_used,
)
from csplib.chapters.threat.trends import (
    FLAT,
    MIN_MONTHS,
    trend_table,
    trend_windows,
    window_period,
)
from csplib.core.schema import ASB
from csplib.methods.covid import restriction_months
from csplib.methods.models import ScreenResults

__all__ = ["ThreatAnalysis", "analyse_threat"]


def _covid_clause(n: int) -> str:
    """The end of a sentence on the months a model used: which restriction months it left out.

    Examples
    --------
    >>> _covid_clause(0), _covid_clause(3)
    ('.', ' (its 3 months of Covid-19 restrictions left out).')
    """
    if not n:
        return "."
    return f" (its {n} month{'s' * (n != 1)} of Covid-19 restrictions left out)."


@dataclass
class ThreatAnalysis:
    """Everything the threat chapter shows, computed once by :func:`analyse_threat`.

    Parts that the data cannot support are ``None`` (or empty) and ``reasons`` says why,
    in one sentence, keyed by section: ``"screen"``, ``"concern"``, ``"trends"``,
    ``"ward_trends"``, ``"profiles"``, ``"lockdown"``, ``"forecast"``.

    Attributes
    ----------
    end : Timestamp
        Last month analysed (the end of the assessed period, or of the data if earlier).
    whole_area, wards : DataFrame
        Monthly series by category (with ``All crime``) and by category x ward.
    excluded : DataFrame
        (category, month) cells treated as missing (implausible months).
    windows : dict
        Trend windows (:func:`trend_windows`).
    recent : tuple of Timestamp
        First and last month of the screen's recent window.
    screen : ScreenResults or None
    area_trends, ward_trends : DataFrame or None
        :func:`trend_table` results.
    concern : DataFrame or None
        :func:`series_of_concern`.
    details : list of SeriesDetail
    profiles : dict of ProfileResults
    lockdown : dict of ITSResults
    forecasts : dict of ForecastResults
    settings : dict
        The settings used.
    """

    end: pd.Timestamp
    whole_area: pd.DataFrame
    wards: pd.DataFrame
    excluded: pd.DataFrame
    windows: dict
    recent: tuple
    screen: ScreenResults | None = None
    area_trends: pd.DataFrame | None = None
    ward_trends: pd.DataFrame | None = None
    concern: pd.DataFrame | None = None
    details: list = field(default_factory=list)
    profiles: dict = field(default_factory=dict)
    lockdown: dict = field(default_factory=dict)
    forecasts: dict = field(default_factory=dict)
    reasons: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)

    @property
    def recent_label(self) -> str:
        """The screen's recent months in words, saying how many had data when not all did
        (``"Oct 2023 to Mar 2024 (3 months with data)"``)."""
        return window_period(*self.recent, int(self.has_data(*self.recent).sum()))

    def has_data(self, start=None, end=None) -> pd.Series:
        """Whether each month from ``start`` to ``end`` (default: all) has data in any
        whole-area series (implausible cells left out)."""
        part = self.whole_area.loc[
            _month(start) if start is not None else None : _month(end) if end is not None else None
        ]
        return part.notna().any(axis=1)

    def window_period(self, label: str) -> str:
        """The trend window ``label``'s months in words, with how many had data when not
        all did (:func:`~csplib.chapters.threat.trends.window_period`)."""
        start, end = self.windows[label]
        return window_period(start, end, int(self.has_data(start, end).sum()))

    def baseline_months(self) -> pd.Series:
        """The screen's baseline months (the ``baseline_months`` before the recent window,
        or as many as the data reach back to), True where they have data. The expected
        ranges and SPC limits of the series that stand out come from the same months."""
        recent = self.settings["recent_months"]
        idx = self.whole_area.index
        stop = max(len(idx) - recent, 0)
        first = max(stop - self.settings["baseline_months"], 0)
        return self.has_data().iloc[first:stop]

    def windows_text(self) -> list[str]:
        """The months each part of the analysis used, one sentence per part that ran: the
        screen's recent and baseline windows, each trend window, the seasonal profiles,
        the lockdown model and the forecasts (their settings and the months with data).
        When no part ran, one sentence says so."""
        out = []
        rec = self.settings["recent_months"]
        if self.screen is not None:
            recent = self.has_data(*self.recent)
            out.append(
                f"The emerging-trend screen (recent window: the last {rec} months) compares "
                f"{months_used(recent)} with "
                f"{months_used(self.baseline_months(), relation='before them')}"
                + (
                    "; the series that stand out have their expected ranges and SPC limits "
                    "from the same baseline months."
                    if self.details
                    else "."
                )
            )
        if self.area_trends is not None:
            for label, (start, end) in self.windows.items():
                has = self.has_data(start, end)
                covid = has & restriction_months(has.index)
                out.append(
                    f"The trend window '{label}' uses {months_used(has & ~covid)}"
                    + _covid_clause(int(covid.sum()))
                )
        if self.profiles:
            label = next(iter(self.windows))
            out.append(f"The seasonal profiles use the months of the trend window '{label}'.")
        for name, res in self.lockdown.items():
            y = res.observed
            pre = y.loc[: _add_months(LOCKDOWN_MONTH, -1)].notna()
            post = y.loc[_add_months(LOCKDOWN_MONTH, 1) :].notna()
            out.append(
                f"The lockdown model of {name} uses "
                f"{months_used(pre, relation='before March 2020')} and "
                f"{months_used(post, relation='from April 2020')}."
            )
        if self.forecasts:
            used = {}
            for name, res in self.forecasts.items():
                history = res.history
                has = history.notna() | restriction_months(history.index)
                has &= self.has_data(history.index[0], history.index[-1]).reindex(
                    history.index, fill_value=False
                )
                covid = has & restriction_months(history.index)
                text = months_used(has & ~covid, relation=f"to {history.index[-1]:%b %Y}")
                used.setdefault(text + _covid_clause(int(covid.sum())), []).append(name)
            for text, names in used.items():
                out.append(
                    f"The forecast of {' and '.join(names)} (fitted to at most the last "
                    f"{self.settings['trend_months']} months) uses {text}"
                )
        return out or [
            "No model could be fitted to these data, so no window was used; each section says why."
        ]

    def coverage_text(self) -> str:
        """What the chapter rests on: months, gaps and cells treated as missing."""
        idx = self.whole_area.index
        with_data = int(self.whole_area.notna().any(axis=1).sum())
        text = (
            f"The analysis uses {_count_text(with_data, 'month')} of police.uk data, "
            f"{month_span(idx[0], idx[-1])}"
        )
        gaps = idx[self.whole_area.isna().all(axis=1)]
        if len(gaps):
            verb = "is" if len(gaps) == 1 else "are"
            text += (
                f"; {_count_text(len(gaps), 'month')} with no data ({_months_list(gaps)}) "
                f"{verb} left out, never counted as zero"
            )
        text += "."
        if len(self.excluded):
            cells = "; ".join(
                f"{r.category} in {r.month:%b %Y}" for r in self.excluded.itertuples()
            )
            text += (
                f" Months flagged as implausible by the quality check are treated as missing: "
                f"{cells}."
            )
        return text

    def screen_text(self) -> str:
        """The screen's result in one or two sentences (or why it was not run)."""
        if self.screen is None:
            return self.reasons.get("screen", "The screen was not run.")
        t = self.screen.table
        n_tested = int(t["p_value"].notna().sum())
        flagged = self.screen.flagged
        fdr = self.screen.config["fdr"]
        if flagged.empty:
            top = t.iloc[0]
            return (
                f"None of the {n_tested:,} category x ward series tested changed in "
                f"{self.recent_label} by more than the season and chance explain (false "
                f"discovery rate {fdr:.0%}). The strongest evidence was for "
                f"{_label(t.index[0])}: {top['observed']:,.0f} recorded against "
                f"{top['expected']:,.1f} expected (q = {top['q_value']:.2f})."
            )
        up = int((flagged["change"] == "increase").sum())
        down = len(flagged) - up
        return (
            f"{len(flagged)} of the {n_tested:,} category x ward series tested changed in "
            f"{self.recent_label} by more than the season and chance explain (false discovery "
            f"rate {fdr:.0%}): {up} rose and {down} fell. The strongest evidence was for "
            f"{_label(flagged.index[0])}, {flagged['rate_ratio'].iloc[0]:.2f} times its "
            "expected level."
        )

    def screen_title(self) -> str:
        """Title of the screen chart, stating the finding."""
        if self.screen is None:
            return "Emerging-trend screen not run"
        flagged = self.screen.flagged
        if flagged.empty:
            return (
                f"No ward series changed beyond chance in {self.recent_label};\n"
                f"strongest evidence: {_label(self.screen.table.index[0])}"
            )
        return (
            f"{len(flagged)} ward series changed beyond chance in {self.recent_label};\n"
            f"strongest: {_label(flagged.index[0])}"
        )

    def significant_ward_trends(self, window: str | None = None) -> pd.DataFrame:
        """Ward-level trends significant after FDR control in ``window`` (default: recent),
        largest changes first."""
        if self.ward_trends is None:
            return pd.DataFrame()
        window = window or next(iter(self.windows))
        part = self.ward_trends.xs(window, level="window", drop_level=False)
        part = part[part["direction"] != FLAT]
        return part.sort_values("annual_change_pct", ascending=False, kind="stable")

    def lockdown_sentences(self) -> list[str]:
        """The lockdown's level change for each series modelled, in words."""
        return [
            _its_sentence("anti-social behaviour" if name == ASB else "recorded crime", res)
            for name, res in self.lockdown.items()
        ]

    def concern_text(self) -> str:
        """How the series shown in detail were chosen (or why none are shown)."""
        if self.concern is None or self.concern.empty:
            return self.reasons.get("concern", "No series stands out.")
        by = self.concern["selected_by"]
        n_screen, n_trend = int((by == "screen").sum()), int((by == "trend").sum())
        parts = []
        if n_screen:
            parts.append(f"{n_screen} flagged by the screen")
        if n_trend:
            flagged = "none" if not n_screen else f"only {n_screen}"
            parts.append(
                f"{n_trend} with a significant ward-level trend over "
                f"{self.window_period(next(iter(self.windows)))} (rises first, largest first), "
                f"because the screen flagged {flagged}"
            )
        text = f"The {len(self.concern)} series shown below are: {' and '.join(parts)}."
        if not self.details:
            return text
        return (
            f"{text} Each is shown against the level the screen expected for "
            f"{self.recent_label} from {months_used(self.baseline_months(), relation='before it')}"
            " allowing for the season (the same expected count as the screen table), and on an "
            "SPC chart whose limits come from those months (has the process changed since?)."
        )


def analyse_threat(
    incidents: pd.DataFrame,
    *,
    months_present=None,
    end=None,
    exclude: pd.DataFrame | None = None,
    baseline=None,
    recent_months: int = 6,
    baseline_months: int = 36,
    trend_months: int = 36,
    fdr: float = 0.05,
    level: float = 0.95,
    horizon: int = 12,
    n_concern: int = 3,
    ward_column: str = "ward_name",
) -> ThreatAnalysis:
    """Run the threat chapter's analysis.

    Parameters
    ----------
    incidents : DataFrame
        Tidy incidents (``month``, ``category`` and ``ward_column``).
    months_present : iterable of dates, optional
        Months the source covers (the store's ``months_present``).
    end : date-like, optional
        End of the assessed period; later months are left out. Default: the last month.
    exclude : DataFrame, optional
        (month, category) cells to treat as missing (the quality report's implausible
        months).
    baseline : Window, optional
        The assessment's baseline period; adds a long-term trend window from its start.
    recent_months, baseline_months : int
        The screen's windows (6 and 36).
    trend_months : int
        The recent trend window (36).
    fdr, level : float
        False discovery rate (0.05) and confidence level (0.95).
    horizon : int
        Forecast months (12).
    n_concern : int
        Series shown in detail (3).
    ward_column : str
        Column naming the ward (``ward_name``; rows without a ward are left out of the
        ward series).

    Returns
    -------
    ThreatAnalysis
    """
    if end is not None:
        present = pd.DatetimeIndex(
            pd.to_datetime(pd.Series(list(months_present)))
            if months_present is not None
            else incidents["month"].unique()
        )
        if (present <= _month(end)).sum() == 0:
            raise ValueError(f"no month with data up to {_month(end):%Y-%m}")
    lacking = [c for c in ("month", "category", ward_column) if c not in incidents.columns]
    if lacking:
        raise ValueError(
            f"incidents lack column(s) {lacking}; expected month, category and {ward_column!r}"
        )
    raw, whole_area = area_frames(
        incidents, months_present=months_present, end=end, exclude=exclude
    )
    end = whole_area.index[-1]
    ward_rows = incidents[incidents[ward_column].notna()]
    ward_rows = ward_rows[["month", "category", ward_column]].rename(columns={ward_column: "ward"})
    wards = monthly_series(
        ward_rows, ["category", "ward"], months_present=months_present, end=end, exclude=exclude
    )
    windows = trend_windows(
        end, first=whole_area.index[0], recent_months=trend_months, baseline=baseline
    )
    recent = (whole_area.index[max(len(whole_area) - recent_months, 0)], end)
    analysis = ThreatAnalysis(
        end=end,
        whole_area=whole_area,
        wards=wards,
        excluded=_excluded_cells(whole_area, raw),
        windows=windows,
        recent=recent,
        settings={
            "recent_months": recent_months,
            "baseline_months": baseline_months,
            "trend_months": trend_months,
            "fdr": fdr,
            "level": level,
            "horizon": horizon,
        },
    )
    reasons = analysis.reasons
    n_months = int(whole_area.notna().any(axis=1).sum())

    # screen
    problem = screen_problem(wards, recent_months=recent_months)
    if problem:
        reasons["screen"] = f"The emerging-trend screen was not run. {problem}"
    else:
        analysis.screen = run_screen(
            wards,
            recent_months=recent_months,
            baseline_months=baseline_months,
            fdr=fdr,
            level=level,
        )

    # trends
    if n_months < MIN_MONTHS:
        why = (
            f"Trends need at least {MIN_MONTHS} months with data (24 to allow for the "
            f"season); the data cover {n_months}."
        )
        reasons["trends"] = f"No trends were estimated. {why}"
        reasons["ward_trends"] = f"No ward-level trends were estimated. {why}"
    else:
        analysis.area_trends = trend_table(whole_area, windows, level=level)
        analysis.ward_trends = trend_table(
            wards, windows, level=level, significance="q_value", mann_kendall=False
        )

    # the series that stand out
    if analysis.screen is not None or analysis.ward_trends is not None:
        concern = series_of_concern(
            analysis.screen, analysis.ward_trends, n=n_concern, recent_label=analysis.recent_label
        )
        analysis.concern = concern
        if concern.empty:
            reasons["concern"] = (
                "No series stands out: the screen flagged none and no ward-level trend is "
                "significant."
            )
        elif len(wards) > recent_months + 1:
            for row in concern.itertuples(index=False):
                key = (row.category, row.ward)
                analysis.details.append(
                    series_detail(
                        wards[key],
                        _label(key),
                        screen=analysis.screen,
                        key=key,
                        recent_months=recent_months,
                        baseline_months=baseline_months,
                    )
                )
    else:
        reasons["concern"] = (
            "No series can be singled out: neither the screen nor the ward-level trends could "
            "be computed from these data."
        )

    # seasonal profiles (recent trend window)
    first_window = next(iter(windows.values()))
    if n_months < MIN_MONTHS:
        reasons["profiles"] = (
            f"No seasonal profile: at least {MIN_MONTHS} months with data are needed (24 for "
            f"a modelled profile); the data cover {n_months}."
        )
    else:
        analysis.profiles = seasonal_profiles(
            whole_area, [ASB, VIOLENCE], start=first_window[0], end=first_window[1], level=level
        )

    # Covid-19 lockdown
    problems = {}
    for name in (ASB, ALL_CRIME):
        if name in whole_area.columns:
            problem = lockdown_problem(whole_area[name])
            if problem:
                problems[name] = problem
            else:
                analysis.lockdown[name] = lockdown_its(whole_area[name], level=level)
    if problems:
        first = next(iter(problems.values()))
        if analysis.lockdown:
            reasons["lockdown"] = f"The lockdown is not modelled for {', '.join(problems)}. {first}"
        else:
            reasons["lockdown"] = f"The Covid-19 lockdown cannot be modelled. {first}"
    elif not analysis.lockdown:
        reasons["lockdown"] = "The Covid-19 lockdown cannot be modelled: no ASB or crime series."

    # forecasts
    problems = {}
    for name in (ALL_CRIME, ASB):
        if name in whole_area.columns:
            problem = forecast_problem(whole_area[name], history_months=trend_months)
            if problem:
                problems[name] = problem
            else:
                analysis.forecasts[name] = forecast_series(
                    whole_area[name], horizon=horizon, history_months=trend_months, level=level
                )
    if problems:
        first = next(iter(problems.values()))
        if analysis.forecasts:
            reasons["forecast"] = f"No forecast for {', '.join(problems)}. {first}"
        else:
            reasons["forecast"] = f"No forecast was made. {first}"
    elif not analysis.forecasts:
        reasons["forecast"] = "No forecast was made: no ASB or crime series."
    return analysis
