"""The emerging-trend screen and the series that stand out from it.

* :func:`run_screen`, :func:`screen_table`: every category x ward series, the recent months
  (6 by default) against the level expected from the baseline months before them (36 by
  default, or as many as the data hold), with a seasonal index and
  overdispersion pooled by category and Benjamini-Hochberg control of the false discovery
  rate (:class:`csplib.methods.models.EmergingTrendScreen`); :func:`screen_problem` says why
  it cannot run on short data.
* :func:`series_of_concern`: the flagged series of the screen (then, if fewer than three, the
  ward series with a significant recent trend, rises first); :func:`series_detail` gives each
  a chart of its recent months against the screen's expected level (one expected level per
  series: table, chart and sentence agree) and an SPC chart, with titles that state the
  finding, and
  :func:`detail_tables` stacks their tables for the data annex.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from csplib.chapters.threat.text import _add_months, _count_text, month_span
from csplib.chapters.threat.trends import FLAT, _by_rise
from csplib.methods.models import (
    EmergingTrendScreen,
    ExpectedRange,
    ExpectedRangeResults,
    ScreenResults,
    SPCChart,
    SPCResults,
    as_monthly_counts,
)

__all__ = [
    "screen_problem",
    "run_screen",
    "screen_table",
    "series_of_concern",
    "SeriesDetail",
    "series_detail",
    "detail_tables",
]

#: SPC rules in words, in the order titles name them (at most two).
_RULE_WORDS = {
    "outside_limits": "beyond the process limits",
    "shift": "a run on one side of the mean",
    "trend": "a run of rises or falls",
    "two_of_three": "two of three near a limit",
}


def screen_problem(wide: pd.DataFrame, *, recent_months: int = 6, min_baseline: int = 12) -> str:
    """Why the emerging-trend screen cannot run on ``wide``; empty when it can.

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=3, freq="MS")
    >>> screen_problem(pd.DataFrame({"a": [1.0, 2, 3]}, index=idx))
    'The screen needs at least 18 months (6 recent and 12 baseline); the data cover 3.'
    """
    if wide.shape[1] == 0:
        return "There are no series to screen."
    needed = recent_months + min_baseline
    if len(wide) < needed:
        return (
            f"The screen needs at least {needed} months ({recent_months} recent and "
            f"{min_baseline} baseline); the data cover {len(wide)}."
        )
    if wide.iloc[-recent_months:].isna().all().all():
        return f"There are no data in the last {recent_months} months."
    if wide.iloc[:-recent_months].notna().sum().max() < min_baseline:
        return f"No series has {min_baseline} baseline months with data."
    return ""


def run_screen(
    wide: pd.DataFrame,
    *,
    recent_months: int = 6,
    baseline_months: int = 36,
    fdr: float = 0.05,
    level: float = 0.95,
) -> ScreenResults:
    """Run :class:`csplib.methods.models.EmergingTrendScreen` with the chapter's settings.

    Seasonal index and overdispersion are pooled by category when the series are keyed by
    category (each category its own season), across all series otherwise; change either way
    is tested.

    Examples
    --------
    >>> idx = pd.date_range("2020-01-01", periods=48, freq="MS")
    >>> rng = np.random.default_rng(0)
    >>> wide = pd.DataFrame(rng.poisson(20, (48, 20)), index=idx).add_prefix("w")
    >>> wide.iloc[-6:, 3] = rng.poisson(45, 6)
    >>> run_screen(wide).flagged.index.tolist()
    ['w3']
    """
    pool_by = "category" if "category" in wide.columns.names else None
    return EmergingTrendScreen(
        wide,
        recent_months=recent_months,
        baseline_months=baseline_months,
        pool_by=pool_by,
        fdr=fdr,
        level=level,
    ).fit()


def screen_table(
    results: ScreenResults, *, flagged_only: bool = False, top: int | None = None
) -> pd.DataFrame:
    """The screen's ranked table for showing: series keys as columns, indexed by rank.

    Columns: the series keys, ``recent`` (count in the recent months), ``expected``,
    ``rate_ratio`` with ``rr_lower`` / ``rr_upper``, ``pct_change``, ``p_value``,
    ``q_value`` (BH), ``flagged`` and ``change``.

    Examples
    --------
    >>> idx = pd.date_range("2020-01-01", periods=48, freq="MS")
    >>> rng = np.random.default_rng(0)
    >>> wide = pd.DataFrame(rng.poisson(20, (48, 20)), index=idx).add_prefix("w")
    >>> wide.iloc[-6:, 3] = rng.poisson(45, 6)
    >>> t = screen_table(run_screen(wide), top=2)
    >>> t.loc[1, "series"], bool(t.loc[1, "flagged"]), len(t)
    ('w3', True, 2)
    """
    t = results.table
    if flagged_only:
        t = t[t["flagged"]]
    if top is not None:
        t = t.head(top)
    names = [n if n is not None else "series" for n in t.index.names]
    if isinstance(t.index, pd.MultiIndex):
        keys = t.index.to_frame(index=False, name=names)
    else:
        keys = t.index.to_frame(index=False, name=names[0])
    out = pd.concat(
        [
            keys,
            pd.DataFrame(
                {
                    "recent": t["observed"].to_numpy(),
                    "expected": t["expected"].to_numpy(),
                    "rate_ratio": t["rate_ratio"].to_numpy(),
                    "rr_lower": t["rr_lower"].to_numpy(),
                    "rr_upper": t["rr_upper"].to_numpy(),
                    "pct_change": t["pct_change"].to_numpy(),
                    "p_value": t["p_value"].to_numpy(),
                    "q_value": t["q_value"].to_numpy(),
                    "flagged": t["flagged"].to_numpy(),
                    "change": t["change"].to_numpy(),
                }
            ),
        ],
        axis=1,
    )
    out.index = pd.Index(t["rank"].to_numpy(), name="rank")
    return out


def series_of_concern(
    screen: ScreenResults | None = None,
    trends: pd.DataFrame | None = None,
    *,
    n: int = 3,
    window: str | None = None,
    recent_label: str = "the recent months",
) -> pd.DataFrame:
    """The ``n`` series that stand out: flagged by the screen, then by a significant trend.

    Flagged series of the screen come first: rises, then falls, each in rank order. If fewer
    than ``n`` are
    flagged, the list is filled with series whose trend over ``window`` (default: the first
    window of ``trends``) is significant (``direction`` not ↔): rises first, largest first,
    then falls, largest first (a threat assessment looks for what is growing).

    Parameters
    ----------
    screen : ScreenResults, optional
    trends : DataFrame, optional
        A :func:`trend_table` of the same series.
    n : int
        How many series (3).
    window : str, optional
        Which trend window to draw from.
    recent_label : str
        How to name the screen's recent months in the finding text.

    Returns
    -------
    DataFrame
        One row per series: the key columns, ``selected_by`` (``"screen"`` or ``"trend"``)
        and ``finding`` (a sentence).

    Examples
    --------
    >>> trends = pd.DataFrame({"annual_change_pct": [40.0, -5.0], "lower_pct": [20.0, -9.0],
    ...     "upper_pct": [62.0, -1.0], "q_value": [0.001, 0.04], "direction": ["↑", "↓"],
    ...     "period": "Apr 2022 to Mar 2025"}, index=pd.MultiIndex.from_tuples(
    ...     [("Drugs", "A", "last 3 years"), ("Drugs", "B", "last 3 years")],
    ...     names=["category", "ward", "window"]))
    >>> series_of_concern(None, trends, n=1)[["ward", "selected_by"]]
      ward selected_by
    0    A       trend
    """
    rows: list[dict] = []
    names: list[str] | None = None
    if screen is not None:
        flagged = screen.flagged
        # rises first (a threat assessment looks for what is growing), each in rank order
        flagged = flagged.iloc[
            np.argsort((flagged["change"] != "increase").to_numpy(), kind="stable")
        ]
        names = [nm if nm is not None else "series" for nm in flagged.index.names]
        for key, r in flagged.head(n).iterrows():
            key = key if isinstance(key, tuple) else (key,)
            rows.append(
                {
                    **dict(zip(names, key, strict=True)),
                    "selected_by": "screen",
                    "finding": (
                        f"{r['observed']:,.0f} recorded in {recent_label} against "
                        f"{r['expected']:,.1f} expected ({r['rate_ratio']:.2f} times; 95% CI "
                        f"{r['rr_lower']:.2f} to {r['rr_upper']:.2f}; q = {r['q_value']:.3f})"
                    ),
                }
            )
    if len(rows) < n and trends is not None and len(trends):
        window = window or trends.index.get_level_values("window")[0]
        part = trends.xs(window, level="window")
        part = _by_rise(part[part["direction"] != FLAT])
        tnames = [nm if nm is not None else "series" for nm in part.index.names]
        names = names or tnames
        chosen = {tuple(r[k] for k in names) for r in rows}
        for key, r in part.iterrows():
            if len(rows) >= n:
                break
            key = key if isinstance(key, tuple) else (key,)
            if key in chosen:
                continue
            verb = "rising" if r["annual_change_pct"] > 0 else "falling"
            finding = (
                f"{verb} by {abs(r['annual_change_pct']):.0f}% a year (95% CI "
                f"{r['lower_pct']:+.0f}% to {r['upper_pct']:+.0f}%; q = "
                f"{r['q_value']:.3g}) over {r['period']}"
            )
            if screen is not None and key in screen.table.index:
                s = screen.table.loc[key]
                finding += (
                    f"; {s['observed']:,.0f} recorded in {recent_label} against "
                    f"{s['expected']:,.1f} expected ({s['rate_ratio']:.2f} times)"
                )
            rows.append(
                {**dict(zip(tnames, key, strict=True)), "selected_by": "trend", "finding": finding}
            )
    columns = [*(names or ["series"]), "selected_by", "finding"]
    return pd.DataFrame(rows, columns=columns)


@dataclass(frozen=True)
class SeriesDetail:
    """One series that stands out: its expected range and SPC chart, with finding titles.

    Attributes
    ----------
    key : tuple
        The series key, e.g. ``("Possession of weapons", "Bulwell")``.
    label : str
        The series in words.
    expected : ExpectedRangeResults
        The recent months against the screen's expected level and its range.
    spc : SPCResults
        SPC chart of the baseline and recent months (limits from the baseline).
    expected_title, spc_title : str
        Chart titles stating the finding.
    """

    key: tuple
    label: str
    expected: ExpectedRangeResults
    spc: SPCResults
    expected_title: str
    spc_title: str


def _expected_title(label: str, res: ExpectedRangeResults) -> str:
    t = res.table
    span = month_span(t.index[0], t.index[-1])
    has = t["observed"].notna()
    n = int(has.sum())
    if t["expected"].isna().all() or n == 0:
        return f"{label}:\nno expected level could be computed for {span}"
    observed, expected = t.loc[has, "observed"].sum(), t.loc[has, "expected"].sum()
    ratio = f", {observed / expected:.2f} times the {expected:,.1f} expected" if expected else ""
    above, below = int(t["above"].sum()), int(t["below"].sum())
    if n < len(t):
        span = f"the {_count_text(n, 'month')} with data of {span}"
    basis = _count_text(int(res.baseline.notna().sum()), "month")
    return (
        f"{label}: {observed:,.0f} recorded in {span}{ratio}\n"
        f"(expected: the level of the {basis} before, allowing for the season); "
        f"months above the expected range: {above} of {n}, below it: {below}"
    )


def _spc_title(label: str, res: SPCResults, recent_months: int) -> str:
    t = res.table.iloc[-recent_months:]
    t = t[t["value"].notna()]
    n = len(t)
    last = (
        f"the last {_count_text(n, 'month')}"
        if n == min(recent_months, len(res.table))
        else f"the {_count_text(n, 'month')} with data in the last {recent_months}"
    )
    if res.method.startswith("none"):
        return f"{label}:\nno SPC chart (too few baseline months)"
    for kind, word in (
        ("special_cause_concern", "concern"),
        ("special_cause_improvement", "improvement"),
    ):
        hit = t[t["variation"] == kind]
        if len(hit):
            rules = [w for r, w in _RULE_WORDS.items() if hit[r].any()][:2]
            return f"{label}:\nspecial-cause {word} in {len(hit)} of {last} ({'; '.join(rules)})"
    if t["special_cause"].any():
        return f"{label}:\nspecial-cause variation in {last}"
    return f"{label}:\ncommon-cause variation only in {last}"


def series_detail(
    series: pd.Series,
    label: str,
    *,
    screen: ScreenResults | None = None,
    key: tuple | None = None,
    recent_months: int = 6,
    baseline_months: int = 36,
    polarity: str = "down",
) -> SeriesDetail:
    """Expected range and SPC chart for one series, over the screen's windows.

    The expected range is the screen's own expected level, month by month
    (:meth:`csplib.methods.models.ScreenResults.expected_range`): the level of the
    baseline months allowing for the season, so the chart, its title and the screen table
    state one expected count and one ratio. Without a screen (or a series it did not
    screen), the same question is put by :class:`csplib.methods.models.ExpectedRange`
    without a trend. The SPC chart (:class:`csplib.methods.models.SPCChart`) covers the
    baseline and recent months with limits from the baseline months only, so a recent
    change shows against the earlier process.

    Examples
    --------
    >>> idx = pd.date_range("2021-01-01", periods=42, freq="MS")
    >>> rng = np.random.default_rng(5)
    >>> y = pd.Series(rng.poisson(np.r_[np.full(36, 20), np.full(6, 45)]), index=idx)
    >>> d = series_detail(y, "Drugs in Castle")
    >>> d.spc_title.splitlines()[1].startswith("special-cause concern in 6 of the last 6")
    True
    """
    y = as_monthly_counts(series)
    if len(y) <= recent_months:
        raise ValueError(
            f"series must cover more than recent_months ({recent_months}) months; "
            f"it covers {len(y)}"
        )
    start = y.index[-recent_months]
    window = y.iloc[-(recent_months + baseline_months) :]
    if screen is not None and key in screen.table.index:
        expected = screen.expected_range(key, y)
    else:
        expected = ExpectedRange(y, start=start, baseline_months=baseline_months, trend=False).fit()
    spc = SPCChart(
        window, baseline=(window.index[0], _add_months(start, -1)), polarity=polarity
    ).fit()
    return SeriesDetail(
        key=key if key is not None else (label,),
        label=label,
        expected=expected,
        spc=spc,
        expected_title=_expected_title(label, expected),
        spc_title=_spc_title(label, spc, recent_months),
    )


def detail_tables(details: Sequence[SeriesDetail]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The expected-range and SPC tables of several series, stacked for the data annex.

    Returns
    -------
    (DataFrame, DataFrame)
        Expected ranges (index ``series``, ``month``) and SPC tables (same index).

    Examples
    --------
    >>> idx = pd.date_range("2021-01-01", periods=42, freq="MS")
    >>> y = pd.Series(np.random.default_rng(5).poisson(20, 42), index=idx)
    >>> er, spc = detail_tables([series_detail(y, "Drugs in Castle")])
    >>> er.shape[0], spc.shape[0]
    (6, 42)
    """
    if not details:
        empty = pd.MultiIndex.from_tuples([], names=["series", "month"])
        return pd.DataFrame(index=empty), pd.DataFrame(index=empty)
    expected = pd.concat({d.label: d.expected.table for d in details}, names=["series", "month"])
    spc = pd.concat({d.label: d.spc.table for d in details}, names=["series", "month"])
    return expected, spc
