"""Sentences from numbers: the standard findings a chapter or the summary states.

Each finding is text plus the chapter holding its evidence, so the summary can link every
finding to where it is shown. Text is plain; :func:`findings_html` escapes it.

Examples
--------
>>> table = pd.DataFrame({"count": [300, 100, 400], "rate_per_1000": [3.0, 1.0, 4.0],
...                       "share": [0.75, 0.25, 1.0]},
...                      index=pd.Index(["Violence", "Robbery", "All"], name="category"))
>>> for f in volume_findings(table, "Nottingham", "2019/20", asb="Robbery"):
...     print(f.text)
Nottingham recorded 300 crimes in 2019/20 (3.0 per 1,000 residents) and 100 anti-social
behaviour incidents (1.0 per 1,000).
The largest category of crime was Violence: 300 crimes, 100.0% of all crime.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from csplib.chapters.registry import chapter as _chapter
from csplib.core.schema import ASB
from csplib.ingest.gaps import MONTH_GAP_REASONS, gap_category

__all__ = ["Finding", "table_anchor", "count_words", "volume_findings", "quality_findings"]


def table_anchor(name: str) -> str:
    """The page anchor of a chapter's table ``name``: the ``id`` its page gives it
    (:meth:`csplib.run.context.Context.show`), so a finding can link to the table itself.

    Examples
    --------
    >>> table_anchor("screen_top")
    'table-screen_top'
    """
    return f"table-{name}"


@dataclass(frozen=True)
class Finding:
    """A sentence and the chapter whose tables and charts support it.

    ``anchor`` is where on the chapter's page: a table's anchor (:func:`table_anchor`,
    ``"table-<name>"``) or a section heading's id;
    empty for the chapter as a whole.
    """

    text: str
    evidence: str  # chapter name, e.g. "01_volume"
    anchor: str = ""

    def __post_init__(self):
        _chapter(self.evidence)  # an unknown chapter is a programming error


def volume_findings(
    table: pd.DataFrame, area: str, period_label: str, asb: str = ASB
) -> list[Finding]:
    """Headline volume findings from :func:`csplib.methods.volume.window_table`."""
    crime = table.drop(index=[asb, "All"], errors="ignore")
    n_crime = int(crime["count"].sum())
    rate_crime = float(crime["rate_per_1000"].sum())
    out = []
    text = (
        f"{area} recorded {n_crime:,} crimes in {period_label} "
        f"({rate_crime:,.1f} per 1,000 residents)"
    )
    if asb in table.index:
        row = table.loc[asb]
        text += (
            f" and {int(row['count']):,} anti-social behaviour incidents "
            f"({float(row['rate_per_1000']):,.1f} per 1,000)"
        )
    out.append(Finding(text + ".", "01_volume", table_anchor("assessed_period")))
    if n_crime:
        top = crime["count"].idxmax()
        share = crime.loc[top, "count"] / n_crime
        out.append(
            Finding(
                f"The largest category of crime was {top}: "
                f"{int(crime.loc[top, 'count']):,} crimes, {share:.1%} of all crime.",
                "01_volume",
                table_anchor("assessed_period"),
            )
        )
    return out


def count_words(n: float, threshold: int) -> str:
    """A count for a sentence, never a small one: counts from 1 to ``threshold - 1`` are
    said as "fewer than <threshold>", as the tables hide them.

    Examples
    --------
    >>> count_words(3, 5), count_words(1234, 5), count_words(0, 5)
    ('fewer than 5', '1,234', '0')
    """
    n = int(n)
    return f"fewer than {threshold}" if 0 < n < threshold else f"{n:,}"


def _month_runs(gaps: pd.DataFrame, group: str) -> list[str]:
    """Missing months as runs of consecutive months per group and reason.

    Examples
    --------
    >>> gaps = pd.DataFrame({"force": "notts", "reason": "no file",
    ...     "month": pd.to_datetime(["2019-03-01", "2019-04-01", "2019-05-01", "2019-08-01"])})
    >>> _month_runs(gaps, "force")
    ['notts Mar 2019 to May 2019: no file', 'notts Aug 2019: no file']
    """
    runs: list[list] = []  # [group, reason, first, last, month number of last]
    for r in gaps.sort_values([group, "reason", "month"]).itertuples():
        key, n = (getattr(r, group), r.reason), r.month.year * 12 + r.month.month
        if runs and tuple(runs[-1][:2]) == key and runs[-1][4] == n - 1:
            runs[-1][3:] = [r.month, n]
        else:
            runs.append([*key, r.month, r.month, n])
    runs.sort(key=lambda run: (str(run[0]), run[2]))
    return [
        f"{g} {first:%b %Y}{f' to {last:%b %Y}' if last != first else ''}: {reason}"
        for g, reason, first, last, _ in runs
    ]


def quality_findings(quality, threshold: int = 5, forces=None) -> list[Finding]:
    """Data-quality warnings a reader of any chapter must know: months missing from the
    download, categories missing from a month of a force's file, implausible months.

    Gaps are found against every month the whole download covers
    (:func:`csplib.ingest.gaps.missing_months`). With ``forces`` (the police.uk forces
    whose files hold the area's rows, e.g. from ``store.forces``), only their gaps are
    stated: another force's gap in a national download does not touch the area's counts.
    A month that a category gap explains gets no implausible-month finding as well. A count
    below ``threshold`` is not stated (:func:`count_words`).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> missing = pd.DataFrame({
    ...     "force": ["notts", "notts", "lancs"],
    ...     "month": pd.to_datetime(["2018-10-01", "2019-01-01", "2018-10-01"]),
    ...     "reason": ["no file", "no Anti-social behaviour rows", "no file"]})
    >>> quality = SimpleNamespace(missing=missing, implausible=pd.DataFrame())
    >>> for f in quality_findings(quality, forces=["notts"]):
    ...     print(f.text)
    Data are missing for 1 month (notts Oct 2018: no file); counts for that month are
    incomplete, not low.
    Anti-social behaviour has no row at all in the notts file for Jan 2019, though it is never
    that small: its count for that month is missing, not zero.
    """
    out = []
    gaps = quality.missing
    if gaps.empty:  # a report may hold an empty table without columns
        gaps = pd.DataFrame(columns=["force", "month", "reason"])
    group = gaps.columns[0]  # the series the gaps are listed by: the force
    if forces is not None:
        gaps = gaps[gaps[group].astype(str).isin([str(f) for f in forces])]
    whole = gaps[gaps["reason"].isin(MONTH_GAP_REASONS)]
    if not whole.empty:
        n = whole["month"].nunique()
        items = "; ".join(_month_runs(whole, group))
        out.append(
            Finding(
                f"Data are missing for {n} month{'s' * (n != 1)} ({items}); counts for "
                f"{'those months' if n != 1 else 'that month'} are incomplete, not low.",
                "01_volume",
            )
        )
    explained = set()  # (category, month) of a category gap: no implausible finding too
    for r in gaps.itertuples():
        category = gap_category(r.reason)
        if category is None:
            continue
        explained.add((category, r.month))
        out.append(
            Finding(
                f"{category} has no row at all in the {getattr(r, group)} file for "
                f"{r.month:%b %Y}, though it is never that small: its count for that month is "
                "missing, not zero.",
                "01_volume",
            )
        )
    for row in quality.implausible.itertuples():
        if (row.category, row.month) in explained:
            continue
        out.append(
            Finding(
                f"{row.category} in {row.month:%B %Y} is implausibly {row.direction} "
                f"({count_words(row.count, threshold)} records against about "
                f"{row.expected:,.0f} in neighbouring "
                "months): check the published release before reading it as a real change.",
                "01_volume",
            )
        )
    return out
