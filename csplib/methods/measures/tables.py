"""The partnership's performance and targets tables, as DataFrames and as HTML.

Two layouts, following the partnership's published reports:

* **Performance table** (report to scrutiny, Nov 2020, section 3.3):
  ``Area | Target | Indicator | Performance | Performance Period | % Change | Vol. Change |
  DOT``. ``% Change`` is the relative change for counts and rates and the
  percentage-point change for percentages; ``Vol. Change`` is the change in the count (n/a
  for percentages); ``DOT`` (direction of travel) is ↑ / ↓ for a significant change and ↔
  for no significant change.
* **Targets table** (Partnership Plan 2022-25, TARGETS): ``Target | Measure | Baseline
  (2018/19) | 2019/20 | 2020/21 | ...``, one column per year of the assessment period.

The builders return DataFrames whose numbers stay numeric (plus a few detail columns:
``measure``, ``unit``, the comparison period, p-value, test, outcome). The ``format_*``
functions turn them into display strings: thousands separators, signed changes
(``-16.8%``, ``+22.6%``, ``+0.7pp``, ``-6,280``), ``n/a`` for what does not apply, and
arrows; repeated Area / Target cells are left blank as in the published table. The
``*_html`` functions render those strings as an HTML table with every cell escaped.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd
from pandas.io.formats.style import Styler

from csplib.core.errors import ParamsError
from csplib.core.periods import Period
from csplib.methods.measures.change import Change
from csplib.methods.measures.compared import compare_periods
from csplib.methods.measures.measure import Measure
from csplib.methods.measures.registry import get_measure
from csplib.methods.measures.tracking import TargetStatus

__all__ = [
    "PERFORMANCE_COLUMNS",
    "DOT_WORDS",
    "PerformanceRow",
    "format_performance_table",
    "format_targets_table",
    "format_value",
    "performance_frame",
    "performance_table",
    "performance_table_html",
    "style_performance_table",
    "targets_table",
    "targets_table_html",
]

#: The published performance table's columns, in order.
PERFORMANCE_COLUMNS = (
    "Area",
    "Target",
    "Indicator",
    "Performance",
    "Performance Period",
    "% Change",
    "Vol. Change",
    "DOT",
)

#: The direction of travel in words, by the change's outcome (its polarity applied): an
#: arrow alone does not say whether up is good or bad.
DOT_WORDS = {
    "good": "improving",
    "bad": "deteriorating",
    "neutral": "significant change (neither better nor worse)",
    "no change": "no significant change",
}

_CSS = [
    {"selector": "", "props": "border-collapse: collapse; font-family: sans-serif;"},
    {"selector": "th", "props": "background: #1f3b57; color: white; padding: 4px 8px;"},
    {"selector": "td", "props": "border: 1px solid #ccc; padding: 4px 8px;"},
    {"selector": "td.good", "props": "color: #1a7f37; font-weight: bold;"},
    {"selector": "td.bad", "props": "color: #b42318; font-weight: bold;"},
    {"selector": "caption", "props": "caption-side: top; text-align: left; font-weight: bold;"},
]


@dataclass(frozen=True)
class PerformanceRow:
    """One row of a performance table, with optional overrides of the table's defaults.

    Parameters
    ----------
    measure : str or Measure
    period : Period or str, optional
        Performance period for this row (e.g. a survey year, or a lagged treatment period);
        default: the table's period.
    against : {"previous_year", "baseline"} or Period or str, optional
        Comparison; default: the table's.
    period_label : str, optional
        Display label for the period (e.g. ``"2019 Survey"``).
    label, target, area : str, optional
        Override the Indicator, Target and Area text.
    population, previous_population : float or mapping, optional
        For rates per 1,000 (default: the table's).
    """

    measure: str | Measure
    period: Period | str | None = None
    against: Period | str | None = None
    period_label: str | None = None
    label: str | None = None
    target: str | None = None
    area: str | None = None
    population: object = None
    previous_population: object = None


def performance_frame(changes: Iterable, *, registry=None) -> pd.DataFrame:
    """Build the performance table from :class:`Change` results.

    Parameters
    ----------
    changes : iterable of Change or (Change, PerformanceRow)
        Each change names its measure (``change.measure``), whose registry entry gives
        the Area (theme), Target text and Indicator (name); a :class:`PerformanceRow`
        alongside overrides them.
    registry : Registry, optional

    Returns
    -------
    pandas.DataFrame
        :data:`PERFORMANCE_COLUMNS` with numbers kept numeric (``Performance`` in the
        measure's unit, percentages as 0-100; ``% Change`` in % or, for percentages, in
        percentage points; ``Vol. Change`` NaN where it does not apply), followed by the
        detail columns ``measure``, ``unit``, ``change_unit`` (``"%"`` or ``"pp"``),
        ``Comparison Period``, ``Previous``, ``p-value``, ``Test``, ``Outcome``,
        ``Complete``.

    Examples
    --------
    >>> from csplib.methods.measures.change import compare_counts
    >>> c = compare_counts(31206, 37486, measure="victim_based_crime",
    ...                    current_period="Sep 19 - Aug 20", previous_period="Sep 18 - Aug 19")
    >>> df = performance_frame([c])
    >>> row = df.iloc[0]
    >>> row["Indicator"], float(row["Performance"]), float(row["Vol. Change"]), row["DOT"]
    ('Victim-Based Crime Volume', 31206.0, -6280.0, '↓')
    """
    records = []
    for item in changes:
        change, row = item if isinstance(item, tuple) else (item, None)
        if not isinstance(change, Change):
            raise ParamsError(f"performance_frame expects Change results, got {change!r}")
        if not change.measure:
            raise ParamsError("each Change must name its measure (measure=...) for the table")
        measure = (
            row.measure
            if row is not None and isinstance(row.measure, Measure)
            else get_measure(change.measure, registry)
        )
        pct = change.pp_change if change.unit == "percentage" else change.pct_change
        period_label = change.current_period
        if row is not None and row.period_label:
            period_label = row.period_label
        target_text = measure.target.text if measure.target is not None else ""
        records.append(
            {
                "Area": (row.area if row is not None and row.area else measure.theme),
                "Target": (row.target if row is not None and row.target else target_text),
                "Indicator": (row.label if row is not None and row.label else measure.name),
                "Performance": change.current,
                "Performance Period": period_label,
                "% Change": math.nan if pct is None else pct,
                "Vol. Change": (math.nan if change.volume_change is None else change.volume_change),
                "DOT": change.arrow,
                "measure": measure.id,
                "unit": change.unit,
                "change_unit": "pp" if change.unit == "percentage" else "%",
                "Comparison Period": change.previous_period,
                "Previous": change.previous,
                "p-value": change.p_value,
                "Test": change.test.name,
                "Outcome": change.outcome,
                "Complete": change.complete,
            }
        )
    columns = [
        *PERFORMANCE_COLUMNS,
        "measure",
        "unit",
        "change_unit",
        "Comparison Period",
        "Previous",
        "p-value",
        "Test",
        "Outcome",
        "Complete",
    ]
    df = pd.DataFrame.from_records(records, columns=columns)
    for col in ("Performance", "% Change", "Vol. Change", "Previous", "p-value"):
        df[col] = df[col].astype(float)
    df["Complete"] = df["Complete"].astype(bool)
    df.index.name = "row"
    return df


def performance_table(
    rows: Iterable,
    data,
    period=None,
    *,
    against="previous_year",
    registry=None,
    population=None,
    previous_population=None,
    alpha: float = 0.05,
    method: str = "auto",
    **compute_kwargs,
) -> pd.DataFrame:
    """Compute measures and build the performance table (see :func:`performance_frame`).

    Parameters
    ----------
    rows : iterable of str, Measure or PerformanceRow
    data : mapping of table name to DataFrame (or one DataFrame)
    period : Period or str, optional
        Default performance period (rows may set their own).
    against : {"previous_year", "baseline"} or Period or str
        Default comparison.
    population, previous_population : optional
        Residents, for rates per 1,000.
    alpha, method :
        Significance level and Poisson method (see :mod:`csplib.methods.measures.change`).
    **compute_kwargs
        Passed to :meth:`Measure.compute` (``months_present``, ``allow_incomplete``,
        ``area``, ``weights``).

    Examples
    --------
    >>> months = pd.date_range("2018-09-01", "2020-08-01", freq="MS")
    >>> incidents = pd.DataFrame({"month": months.repeat(3),
    ...     "category": ["Burglary", "Robbery", "Anti-social behaviour"] * len(months)})
    >>> t = performance_table(["victim_based_crime", "asb_police_recorded"],
    ...                       {"incidents": incidents}, "Sep 19 - Aug 20")
    >>> t[["Performance", "% Change", "DOT"]].values.tolist()
    [[24.0, 0.0, '↔'], [12.0, 0.0, '↔']]
    """
    items = []
    for entry in rows:
        row = entry if isinstance(entry, PerformanceRow) else PerformanceRow(entry)
        measure = (
            row.measure if isinstance(row.measure, Measure) else get_measure(row.measure, registry)
        )
        row_period = row.period if row.period is not None else period
        if row_period is None:
            raise ParamsError(
                f"no period for measure '{measure.id}': pass period= or set it on the row"
            )
        vs = row.against if row.against is not None else against
        pop = row.population if row.population is not None else population
        prev_pop = row.previous_population
        if prev_pop is None:
            prev_pop = previous_population if previous_population is not None else pop
        change = compare_periods(
            measure,
            data,
            row_period,
            against=vs,
            population=pop,
            previous_population=prev_pop,
            alpha=alpha,
            method=method,
            **compute_kwargs,
        )
        items.append((change, PerformanceRow(measure, **_overrides(row))))
    return performance_frame(items, registry=registry)


def _overrides(row: PerformanceRow) -> dict:
    return {
        "period_label": row.period_label,
        "label": row.label,
        "target": row.target,
        "area": row.area,
    }


# -- formatting -------------------------------------------------------------------------


def format_value(value, unit: str, *, pct_decimals: int = 1, missing: str = "n/a") -> str:
    """Display a measure's value: ``31,206``, ``9.2%``, ``85.3`` (rates), ``1,234.5`` (harm).

    Examples
    --------
    >>> format_value(31206.0, "count"), format_value(9.2, "percentage")
    ('31,206', '9.2%')
    >>> format_value(16.3, "percentage", pct_decimals=2), format_value(float("nan"), "count")
    ('16.30%', 'n/a')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return missing
    if unit == "count":
        return f"{value:,.0f}"
    if unit == "percentage":
        return f"{value:.{pct_decimals}f}%"
    return f"{value:,.1f}"


def _signed(value, fmt: str, suffix: str = "", missing: str = "n/a") -> str:
    """``+22.6%`` / ``-6,280`` / ``0.0pp``: a change with its sign (no sign on zero)."""
    if value is None or pd.isna(value):
        return missing
    text = format(value, fmt)
    if float(text.replace(",", "")) == 0:
        text = format(0.0, fmt)
    elif value > 0:
        text = "+" + text
    return text + suffix


def _dot_text(row: pd.Series) -> str:
    """The DOT cell: its arrow and, where the row says its outcome, the words."""
    arrow = str(row["DOT"])
    word = DOT_WORDS.get(row.get("Outcome")) if arrow in ("↑", "↓", "↔") else None
    return f"{arrow} {word}" if word else arrow


def format_performance_table(
    df: pd.DataFrame, *, repeat_labels: bool = False, missing: str = "n/a"
) -> pd.DataFrame:
    """Display strings for a performance table built by :func:`performance_table`.

    Parameters
    ----------
    df : pandas.DataFrame
        From :func:`performance_frame` / :func:`performance_table`.
    repeat_labels : bool, default False
        False blanks an Area or Target cell that repeats the row above (as published).
    missing : str, default "n/a"

    Returns
    -------
    pandas.DataFrame
        The :data:`PERFORMANCE_COLUMNS` as strings, same index. Changes carry their sign
        (``-16.8%``, ``+22.6%``, ``+0.7pp``, ``-6,280``); an incomplete period is marked
        with its months (``2019/20 (11 of 12 months)``, from a ``Months`` column), else
        ``(incomplete)``. The direction of travel gives its arrow and, where the frame has the
    change's ``Outcome``, what it means (:data:`DOT_WORDS`: "↓ improving").

    Examples
    --------
    >>> from csplib.methods.measures.change import compare_survey
    >>> c = compare_survey(9.2, 2000, 8.5, 2000, measure="experience_of_asb",
    ...                    current_period="2019", previous_period="2018")
    >>> format_performance_table(performance_frame([c])).iloc[0, 3:].tolist()
    ['9.2%', '2019', '+0.7pp', 'n/a', '↔ no significant change']
    """
    missing_cols = [c for c in (*PERFORMANCE_COLUMNS, "unit", "change_unit") if c not in df]
    if missing_cols:
        raise ParamsError(f"not a performance table: missing column(s) {', '.join(missing_cols)}")
    out = pd.DataFrame(index=df.index, columns=list(PERFORMANCE_COLUMNS), dtype="str")
    for idx, r in df.iterrows():
        unit = r["unit"]
        if r["change_unit"] == "pp":
            pct = _signed(r["% Change"], ".1f", "pp", missing)
        else:
            pct = _signed(r["% Change"], ".1f", "%", missing)
        vol_fmt = ",.0f" if unit == "count" else ",.1f"
        period = str(r["Performance Period"])
        if "Complete" in df and not bool(r["Complete"]):
            months = r["Months"] if "Months" in df else ""
            period += f" ({months})" if isinstance(months, str) and months else " (incomplete)"
        out.loc[idx] = [
            str(r["Area"]),
            str(r["Target"]) if isinstance(r["Target"], str) else "",
            str(r["Indicator"]),
            format_value(r["Performance"], unit, missing=missing),
            period,
            pct,
            _signed(r["Vol. Change"], vol_fmt, "", missing),
            _dot_text(r),
        ]
    if not repeat_labels:
        area = out["Area"]
        repeat_area = area.eq(area.shift())
        target = out["Target"]
        repeat_target = repeat_area & target.eq(target.shift())
        out.loc[repeat_area, "Area"] = ""
        out.loc[repeat_target | (repeat_area & target.eq("")), "Target"] = ""
    return out


def style_performance_table(df: pd.DataFrame, *, caption: str | None = None) -> Styler:
    """A pandas Styler of the formatted performance table, DOT coloured good / bad.

    All cell text (and the caption) is HTML-escaped.

    Examples
    --------
    >>> from csplib.methods.measures.change import compare_counts
    >>> c = compare_counts(18198, 14840, measure="asb_police_recorded", current_period="2020")
    >>> styler = style_performance_table(performance_frame([c]))
    >>> 'class="data row0 col7 bad"' in styler.to_html()
    True
    """
    shown = format_performance_table(df)
    classes = pd.DataFrame("", index=shown.index, columns=shown.columns)
    if "Outcome" in df:
        outcome = df["Outcome"].reindex(shown.index)
        classes.loc[outcome.eq("good").to_numpy(), "DOT"] = "good"
        classes.loc[outcome.eq("bad").to_numpy(), "DOT"] = "bad"
    styler = (
        shown.style.format(escape="html")
        .hide(axis="index")
        .set_td_classes(classes)
        .set_table_styles(_CSS)
    )
    if caption:
        styler = styler.set_caption(html.escape(caption))
    return styler


def performance_table_html(df: pd.DataFrame, *, caption: str | None = None) -> str:
    """The performance table as an HTML string (text escaped; DOT coloured by outcome).

    Examples
    --------
    >>> from csplib.methods.measures.change import compare_counts
    >>> c = compare_counts(155, 174, measure="hate_crime_repeat_victims",
    ...                    current_period="Sep 19 - Aug 20", previous_period="Sep 18 - Aug 19")
    >>> html_text = performance_table_html(performance_frame([c]))
    >>> "-10.9%" in html_text and "↔" in html_text
    True
    """
    return style_performance_table(df, caption=caption).to_html()


# -- targets table ----------------------------------------------------------------------


def targets_table(statuses: Iterable[TargetStatus]) -> pd.DataFrame:
    """The targets table: one row per measure, baseline and one column per year.

    Parameters
    ----------
    statuses : iterable of TargetStatus
        From :func:`csplib.methods.measures.tracking.track_target`.

    Returns
    -------
    pandas.DataFrame
        Columns ``Target``, ``Measure``, ``Baseline (2018/19)`` (or ``Baseline`` and
        ``Baseline Period`` when the baselines differ), one column per year label (NaN where
        there is no complete value yet), then ``Target Value``, ``Current Period``,
        ``Current``, ``Path Value``, ``On Track``, ``Projected``, ``Projected to Meet``,
        ``measure`` and ``unit``. Numbers stay numeric.

    Examples
    --------
    >>> from csplib.methods.measures.tracking import track_target
    >>> asb = get_measure("asb_police_recorded").with_target({"baseline": "2018/19",
    ...     "change": "-25%", "assessment": "2019/20 - 2022/23"})
    >>> s = track_target(asb, {"2018/19": 14840, "2019/20": 15182})
    >>> row = targets_table([s]).iloc[0]
    >>> float(row["Baseline (2018/19)"]), float(row["2019/20"]), bool(row["On Track"])
    (14840.0, 15182.0, False)
    """
    statuses = list(statuses)
    if not all(isinstance(s, TargetStatus) for s in statuses):
        raise ParamsError("targets_table expects TargetStatus results from track_target")
    baselines = {s.target.baseline.label for s in statuses}
    same_baseline = len(baselines) == 1
    base_col = f"Baseline ({next(iter(baselines))})" if same_baseline else "Baseline"
    year_labels: set[str] = set()
    for s in statuses:
        for label in s.annual.index:
            if label != s.target.baseline.label:
                year_labels.add(label)
        year_labels.update(p.label for p in s.target.assessment.financial_years())
    years = sorted(year_labels, key=Period.parse)
    records = []
    for s in statuses:
        rec = {"Target": s.target.text, "Measure": s.name, base_col: s.baseline_value}
        if not same_baseline:
            rec["Baseline Period"] = s.target.baseline.label
        for label in years:
            rec[label] = float(s.annual.get(label, math.nan))
        rec.update(
            {
                "Target Value": s.target_value,
                "Current Period": s.current_period.label,
                "Current": s.current_value,
                "Path Value": s.path_value,
                "On Track": s.on_track,
                "Projected": s.projected_value,
                "Projected to Meet": s.projected_to_meet,
                "measure": s.measure,
                "unit": s.unit,
            }
        )
        records.append(rec)
    columns = ["Target", "Measure", base_col]
    if not same_baseline:
        columns.append("Baseline Period")
    columns += [
        *years,
        "Target Value",
        "Current Period",
        "Current",
        "Path Value",
        "On Track",
        "Projected",
        "Projected to Meet",
        "measure",
        "unit",
    ]
    df = pd.DataFrame.from_records(records, columns=columns)
    df.index.name = "row"
    return df


def format_targets_table(
    df: pd.DataFrame,
    *,
    pct_decimals: int = 2,
    missing: str = "Awaiting data",
    status: bool = True,
) -> pd.DataFrame:
    """Display strings for :func:`targets_table` (``37,486``, ``16.30%``, ``Awaiting data``).

    Parameters
    ----------
    pct_decimals : int, default 2
        Decimals for percentages (the published targets table shows ``16.30%``).
    missing : str, default "Awaiting data"
        Shown for a year with no complete value yet.
    status : bool, default True
        Keep the target value, on-track and projection columns (False: the published
        layout only: target, measure, baseline and years).

    Examples
    --------
    >>> from csplib.methods.measures.tracking import track_target
    >>> share = get_measure("hate_crime_repeat_victim_share").with_target(
    ...     {"baseline": "2018/19", "change": "-10%", "assessment": "2019/20 - 2022/23"})
    >>> s = track_target(share, {"2018/19": 16.3, "2019/20": 13.5})
    >>> format_targets_table(targets_table([s]), status=False).iloc[0].tolist()[2:5]
    ['16.30%', '13.50%', 'Awaiting data']
    """
    if "unit" not in df or "Measure" not in df:
        raise ParamsError("not a targets table: expected the columns of targets_table()")
    columns = list(df.columns)
    first = 2  # after Target and Measure: the baseline, then the years
    last = columns.index("Target Value") if "Target Value" in columns else len(columns)
    year_cols = [c for c in columns[first:last] if c != "Baseline Period"]
    value_cols = [*year_cols, "Target Value", "Current", "Path Value", "Projected"]
    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        if col in ("measure", "unit"):
            continue
        if col in value_cols:
            out[col] = [
                format_value(v, u, pct_decimals=pct_decimals, missing=missing)
                for v, u in zip(df[col], df["unit"], strict=True)
            ]
        elif col == "On Track":
            out[col] = ["On track" if v else "Not on track" for v in df[col]]
        elif col == "Projected to Meet":
            out[col] = ["Yes" if v else "No" for v in df[col]]
        else:
            out[col] = df[col].astype("str")
    if not status:
        keep = ("Target", "Measure", "Baseline Period", *year_cols)
        out = out[[c for c in out.columns if c in keep]]
    return out


def targets_table_html(df: pd.DataFrame, *, caption: str | None = None, **format_kwargs) -> str:
    """The targets table as escaped HTML (arguments as :func:`format_targets_table`).

    Examples
    --------
    >>> from csplib.methods.measures.tracking import track_target
    >>> asb = get_measure("asb_police_recorded").with_target({"baseline": "2018/19",
    ...     "change": "-25%", "assessment": "2019/20 - 2022/23"})
    >>> s = track_target(asb, {"2018/19": 14840, "2019/20": 15182})
    >>> "14,840" in targets_table_html(targets_table([s]))
    True
    """
    shown = format_targets_table(df, **format_kwargs)
    styler = shown.style.format(escape="html").hide(axis="index").set_table_styles(_CSS)
    if caption:
        styler = styler.set_caption(html.escape(caption))
    return styler.to_html()
