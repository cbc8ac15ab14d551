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

__all__ = ["Finding", "count_words", "volume_findings", "quality_findings"]


@dataclass(frozen=True)
class Finding:
    """A sentence and the chapter whose tables and charts support it."""

    text: str
    evidence: str  # chapter name, e.g. "01_volume"

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
    out.append(Finding(text + ".", "01_volume"))
    if n_crime:
        top = crime["count"].idxmax()
        share = crime.loc[top, "count"] / n_crime
        out.append(
            Finding(
                f"The largest category of crime was {top}: "
                f"{int(crime.loc[top, 'count']):,} crimes, {share:.1%} of all crime.",
                "01_volume",
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


def quality_findings(quality, threshold: int = 5) -> list[Finding]:
    """Data-quality warnings a reader of any chapter must know (missing, implausible months).

    A count below ``threshold`` is not stated (:func:`count_words`)."""
    out = []
    if not quality.missing.empty:
        months = ", ".join(f"{m:%b %Y}" for m in quality.missing["month"])
        out.append(
            Finding(
                f"Data are missing for {len(quality.missing)} month(s) ({months}); counts for "
                "those periods are incomplete, not low.",
                "01_volume",
            )
        )
    for row in quality.implausible.itertuples():
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
