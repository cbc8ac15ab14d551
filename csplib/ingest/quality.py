"""The ingest quality report: rows accounted for, missing months, implausible months.

:class:`QualityReport` answers three questions about the data a strategic assessment stands
on, in tables a notebook can show:

**Were all rows accounted for?** Rows read = rows kept + rows rejected, exactly; rejections
are counted by stage (``police.uk ingest`` first; later steps such as the geography add
their own with :meth:`QualityReport.add_rejections`) and reason.

**Are months missing?** Every force must have a street file with rows for every month the
whole download covers, and within a month its file must have a row of every category that is
never that small (:mod:`csplib.ingest.gaps`, :func:`missing_months`). A missing month, or a
category missing from a month, is listed, and it is never a zero.

**Are some months implausible?** A month whose count for a category is implausibly low or
high against its neighbouring months, e.g. the real Nottinghamshire January 2024 release
with about 100 ASB rows against about 2,000 in February and March. The rule, applied to each
series (one category in one area) by :func:`implausible_months`:

1. Neighbours of month *t* are the months present within ``window`` calendar months either
   side (default 2), excluding *t*, missing months and months already flagged. The
   *expected* count *m* is their median; at least ``min_neighbours`` (default 2) are
   needed, so an edge month works with its one-sided neighbours, and a three-month series
   can be checked.
2. The robust ratio is ``q = (count + 0.5) / (m + 0.5)``; the 0.5 keeps zeros finite.
3. Poisson-aware test: the one-sided tail probability of the count under a Poisson
   distribution with mean ``m + 0.5``: ``P(X <= count)`` for a low month, ``P(X >= count)``
   for a high one. Small counts vary a lot by chance, so this keeps noise from being
   flagged (3 against neighbours of 8 is not flagged: p = 0.03).
4. A month is flagged when ``q <= 1 / ratio`` or ``q >= ratio`` (default ratio 2.5)
   **and** the tail probability is below ``alpha`` (default 0.0001). Both are needed: the
   ratio stops large, over-dispersed or seasonal series being flagged for ordinary
   variation, the tail probability stops small ones being flagged for noise.
5. Masking: the month with the largest ``|log q|`` among those meeting the rule is flagged
   first, then the rule is applied again without it, until no month meets it. So one bad
   month does not make its neighbours look bad.

The defaults were chosen on simulated Poisson series (``tests/test_ingest_quality.py``):
they flag fewer than 0.1% of months of steady series (means 1 to 50) and of strongly
seasonal ones (peak three times the trough, mean 60; a window of 3 months and a ratio of 2
flagged 1 to 3% of those, and the real Nottingham bicycle thefts of October 2018), while a
month cut to a fifth is found at least 97% of the time at a mean of 50 and always at 300.
A month cut by less than 60% may be missed: the rule looks for gaps in a release, not for
trends.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import stats

from csplib.ingest.gaps import (
    MONTH_GAP_REASONS,
    _from_month_number,
    _month_number,
    category_gap_reason,
    check_settings,
    gap_category,
    missing_months,
)
from csplib.ingest.policeuk_schema import REJECTION_WORDS

__all__ = [
    "INGEST_STAGE",
    "QualityReport",
    "MONTH_GAP_REASONS",
    "category_gap_reason",
    "gap_category",
    "missing_months",
    "implausible_months",
]

#: Stage name of the rejections made by :func:`csplib.ingest.read_policeuk`.
INGEST_STAGE = "police.uk ingest"

_IMPLAUSIBLE_COLUMNS = (
    "month",
    "count",
    "expected",
    "neighbours",
    "ratio",
    "p_value",
    "direction",
)


# ----------------------------------------------------------------------------- implausible


def _check_params(window: int, ratio: float, alpha: float, min_neighbours: int) -> None:
    if not (isinstance(ratio, (int, float)) and ratio > 1):
        raise ValueError("ratio must be a number greater than 1")
    check_settings(window, alpha, min_neighbours)


def _flag_series(
    months: np.ndarray, counts: np.ndarray, window: int, ratio: float, alpha: float, min_nb: int
) -> list[tuple]:
    """Flag months of one series (``months`` as month numbers, sorted, unique)."""
    flagged: list[tuple] = []
    active = np.ones(len(months), dtype=bool)
    log_ratio = math.log(ratio)
    while True:
        best = None
        for t in np.flatnonzero(active):
            near = active & (np.abs(months - months[t]) <= window)
            near[t] = False
            if near.sum() < min_nb:
                continue
            expected = float(np.median(counts[near]))
            c = float(counts[t])
            q = (c + 0.5) / (expected + 0.5)
            lq = math.log(q)
            if abs(lq) < log_ratio:
                continue
            mean = expected + 0.5
            if lq < 0:
                p, direction = float(stats.poisson.cdf(c, mean)), "low"
            else:
                p, direction = float(stats.poisson.sf(c - 1, mean)), "high"
            if p >= alpha:
                continue
            if best is None or abs(lq) > abs(best[4]):
                best = (t, int(c), expected, int(near.sum()), lq, p, direction)
        if best is None:
            return flagged
        t, c, expected, n_nb, lq, p, direction = best
        flagged.append((months[t], c, expected, n_nb, math.exp(lq), p, direction))
        active[t] = False


def implausible_months(
    counts: pd.DataFrame,
    *,
    by: str | list[str] | None = None,
    months: pd.DataFrame | None = None,
    window: int = 2,
    ratio: float = 2.5,
    alpha: float = 1e-4,
    min_neighbours: int = 2,
) -> pd.DataFrame:
    """Months whose count is implausibly low or high against their neighbours.

    The rule and its parameters are described in the module docstring.

    Parameters
    ----------
    counts : pandas.DataFrame
        Tidy counts: ``month``, ``category``, ``count`` and the ``by`` columns. Missing
        combinations of a present month and a category seen in the series' group count as
        zero.
    by : str or list of str, optional
        Columns identifying the area (e.g. ``"force"`` or ``"ward"``); each category in
        each area is one series.
    months : pandas.DataFrame, optional
        The months present for each area (columns ``by`` and ``month``); default: the
        months appearing in ``counts`` for the area. Months not present are missing, not
        zero, and are neither checked nor used as neighbours.
    window : int
        Neighbours are the present months at most this many calendar months away.
    ratio : float
        Minimum ratio (or its inverse) between the count and the neighbours' median.
    alpha : float
        Maximum one-sided Poisson tail probability.
    min_neighbours : int
        Neighbours needed for a month to be checked.

    Returns
    -------
    pandas.DataFrame
        One row per flagged month: the ``by`` columns, ``category``, ``month``, ``count``,
        ``expected`` (neighbours' median), ``neighbours`` (how many), ``ratio`` (robust
        ratio q), ``p_value`` and ``direction`` (``"low"``/``"high"``).

    Examples
    --------
    Nottingham city's ASB rows in the January 2024 release:

    >>> counts = pd.DataFrame({
    ...     "month": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"]),
    ...     "category": "Anti-social behaviour", "count": [47, 875, 1052]})
    >>> implausible_months(counts)[["month", "count", "expected", "direction"]]
           month  count  expected direction
    0 2024-01-01     47     963.5       low
    """
    _check_params(window, ratio, alpha, min_neighbours)
    by = [by] if isinstance(by, str) else list(by or [])
    need = ["month", "category", "count", *by]
    missing = [c for c in need if c not in counts.columns]
    if missing:
        raise ValueError(f"counts needs columns {need}; missing {missing}")
    frame = counts[need].copy()
    frame["_m"] = _month_number(frame["month"])
    if months is None:
        present = frame[[*by, "_m"]].drop_duplicates()
    else:
        absent = [c for c in ["month", *by] if c not in months.columns]
        if absent:
            raise ValueError(f"months needs columns {['month', *by]}; missing {absent}")
        present = months[by].copy()
        present["_m"] = _month_number(months["month"])
        present = present.drop_duplicates()
    rows = []
    area_groups = frame.groupby(by, sort=True, observed=True) if by else [((), frame)]
    present_by = (
        {(k if isinstance(k, tuple) else (k,)): g for k, g in present.groupby(by, observed=True)}
        if by
        else None
    )
    for key, area in area_groups:
        key = key if isinstance(key, tuple) else (key,)
        area_months = present if not by else present_by.get(key)
        if area_months is None:
            continue
        grid_months = np.sort(area_months["_m"].unique())
        for category, series in area.groupby("category", sort=True, observed=True):
            tally = series.groupby("_m")["count"].sum()
            values = tally.reindex(grid_months, fill_value=0).to_numpy(dtype=float)
            for m, c, expected, n_nb, q, p, direction in _flag_series(
                grid_months, values, window, ratio, alpha, min_neighbours
            ):
                rows.append((*key, category, m, c, expected, n_nb, q, p, direction))
    result = pd.DataFrame(rows, columns=[*by, "category", "_m", *_IMPLAUSIBLE_COLUMNS[1:]])
    result.insert(len(by) + 1, "month", _from_month_number(result.pop("_m").to_numpy()))
    result["month"] = result["month"].astype("datetime64[us]")
    return result.sort_values([*by, "category", "month"], ignore_index=True)


# ----------------------------------------------------------------------------- report


@dataclass(frozen=True)
class QualityReport:
    """Rows read, kept and rejected (by stage and reason); missing and implausible months.

    Build it with :meth:`from_read`; later steps add their rejections with
    :meth:`add_rejections`, which returns a new report. The invariant
    ``rows_read == rows_kept + rejected rows`` is checked on construction.

    Parameters
    ----------
    rows_read : int
        Rows read from the sources.
    rejections : pandas.DataFrame
        Columns ``stage``, ``reason``, ``rows``.
    rows_kept : int, optional
        Rows kept after every stage; checked against ``rows_read`` minus the rejections
        when given.
    files, missing, implausible : pandas.DataFrame, optional
        The files read, missing months (:func:`missing_months`) and implausible months
        (:func:`implausible_months`).
    notes : tuple of str
        Notes from the reader (files skipped or ignored) and on caches rebuilt from the
        raw files because they could not be read.
    settings : dict
        The parameters the implausible months were checked with.

    Examples
    --------
    >>> report = QualityReport(100, pd.DataFrame(
    ...     {"stage": ["police.uk ingest"], "reason": ["no_lsoa"], "rows": [2]}))
    >>> report = report.add_rejections("outside the area", 30, stage="geography")
    >>> report.rows_kept
    68
    >>> report.to_frame()["rows"].tolist()
    [100, 2, 30, 68]
    """

    rows_read: int
    rejections: pd.DataFrame
    rows_kept: int | None = None
    files: pd.DataFrame = field(default_factory=pd.DataFrame)
    missing: pd.DataFrame = field(default_factory=pd.DataFrame)
    implausible: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: tuple[str, ...] = ()
    settings: dict = field(default_factory=dict)

    def __post_init__(self):
        cols = {"stage", "reason", "rows"}
        if not cols <= set(self.rejections.columns):
            raise ValueError(f"rejections needs columns {sorted(cols)}")
        rejected = int(self.rejections["rows"].sum())
        if (self.rejections["rows"] < 0).any():
            raise ValueError("rejected row counts must not be negative")
        kept = self.rows_read - rejected
        if kept < 0:
            raise ValueError(f"{rejected:,} rows rejected but only {self.rows_read:,} read")
        if self.rows_kept is not None and self.rows_kept != kept:
            raise ValueError(
                f"rows read ({self.rows_read:,}) != kept ({self.rows_kept:,}) + rejected "
                f"({rejected:,})"
            )
        object.__setattr__(self, "rows_kept", kept)
        object.__setattr__(self, "rejections", self.rejections.reset_index(drop=True))

    @property
    def rows_rejected(self) -> int:
        """Rows rejected at every stage."""
        return int(self.rejections["rows"].sum())

    @classmethod
    def from_read(
        cls,
        read,
        *,
        window: int = 2,
        ratio: float = 2.5,
        alpha: float = 1e-4,
        min_neighbours: int = 2,
    ) -> QualityReport:
        """Build the report of a :class:`~csplib.ingest.PoliceUkRead`.

        Missing months are listed per force (from the file names) against every month the
        download covers, with each force's category gaps (:func:`missing_months`);
        implausible months are checked per force on the monthly counts by category
        (parameters as in :func:`implausible_months`, also used for the category gaps).
        """
        from csplib.ingest.policeuk import REJECTION_REASONS

        files = read.files[read.files["kind"] == "street"].reset_index(drop=True)
        rejected = read.rejected[read.rejected["kind"] == "street"]
        by_reason = rejected["reason"].value_counts()
        rejections = pd.DataFrame(
            {
                "stage": INGEST_STAGE,
                "reason": list(REJECTION_REASONS),
                "rows": [int(by_reason.get(r, 0)) for r in REJECTION_REASONS],
            }
        )
        if int(by_reason.sum()) != read.rows_rejected or rejections["rows"].sum() != len(rejected):
            raise ValueError("rejected rows do not match the per-file counts of the read")
        counts = read.monthly_counts(by="force")
        counts["force"] = counts["force"].astype(str)
        present = files.loc[files["rows_read"] > 0, ["force", "month"]]
        implausible = implausible_months(
            counts,
            by="force",
            months=present,
            window=window,
            ratio=ratio,
            alpha=alpha,
            min_neighbours=min_neighbours,
        )
        return cls(
            rows_read=read.rows_read,
            rejections=rejections,
            rows_kept=read.rows_kept,
            files=files,
            missing=missing_months(
                files,
                by="force",
                counts=counts,
                window=window,
                alpha=alpha,
                min_neighbours=min_neighbours,
            ),
            implausible=implausible,
            notes=tuple(read.notes),
            settings={
                "window": window,
                "ratio": ratio,
                "alpha": alpha,
                "min_neighbours": min_neighbours,
                "level": "force",
            },
        )

    def add_rejections(self, reason: str, rows, *, stage: str) -> QualityReport:
        """A new report with ``rows`` more rows rejected at ``stage`` for ``reason``.

        Parameters
        ----------
        reason : str
            Why the rows were rejected, e.g. ``"LSOA outside the area"``.
        rows : int or pandas.DataFrame or pandas.Series
            How many rows (or the rejected rows themselves; their number is used).
        stage : str
            The step rejecting them, e.g. ``"geography"``.
        """
        if not (isinstance(reason, str) and reason and isinstance(stage, str) and stage):
            raise ValueError("reason and stage must be non-empty strings")
        n = len(rows) if isinstance(rows, (pd.DataFrame, pd.Series)) else rows
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError("rows must be a non-negative integer or a table of rows")
        if n > self.rows_kept:
            raise ValueError(f"cannot reject {n:,} rows: only {self.rows_kept:,} are kept")
        more = pd.DataFrame({"stage": [stage], "reason": [reason], "rows": [int(n)]})
        return replace(
            self,
            rejections=pd.concat([self.rejections, more], ignore_index=True),
            rows_kept=self.rows_kept - int(n),
        )

    def with_notes(self, *notes: str) -> QualityReport:
        """A new report with ``notes`` added (e.g. a cache rebuilt from the raw files).

        Examples
        --------
        >>> report = QualityReport(1, pd.DataFrame(columns=["stage", "reason", "rows"]))
        >>> report.with_notes("A note.").notes
        ('A note.',)
        """
        return replace(self, notes=(*self.notes, *notes))

    def with_implausible(self, counts: pd.DataFrame, **kwargs) -> QualityReport:
        """A new report whose implausible months are checked on other ``counts``.

        For example the partnership area's counts after the geography step; keyword
        arguments are passed to :func:`implausible_months`.
        """
        flagged = implausible_months(counts, **kwargs)
        scalars = {k: v for k, v in kwargs.items() if isinstance(v, (int, float, str, list))}
        settings = {**self.settings, "level": "counts given", **scalars}
        return replace(self, implausible=flagged, settings=settings)

    def to_frame(self) -> pd.DataFrame:
        """The rows accounted for: read, each rejection (stage, reason), kept, with shares.

        Returns
        -------
        pandas.DataFrame
            Columns ``stage``, ``reason``, ``rows`` and ``share`` (of the rows read).
        """
        read = pd.DataFrame({"stage": ["input"], "reason": ["read"], "rows": [self.rows_read]})
        kept = pd.DataFrame({"stage": ["output"], "reason": ["kept"], "rows": [self.rows_kept]})
        table = pd.concat(
            [read, self.rejections[["stage", "reason", "rows"]], kept], ignore_index=True
        )
        table["rows"] = table["rows"].astype("int64")
        table["share"] = table["rows"] / self.rows_read if self.rows_read else np.nan
        return table

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table of the report, by name, for a notebook or the data annex."""
        return {
            "rows": self.to_frame(),
            "files": self.files,
            "missing_months": self.missing,
            "implausible_months": self.implausible,
        }

    def summary(self) -> str:
        """A few sentences summarising the report."""
        lines = [
            f"Read {self.rows_read:,} rows; kept {self.rows_kept:,}; "
            f"rejected {self.rows_rejected:,}"
            + (
                " ("
                + ", ".join(
                    f"{REJECTION_WORDS.get(r.reason, r.reason)} {r.rows:,}"
                    for r in self.rejections.itertuples()
                    if r.rows > 0
                )
                + ")."
                if self.rows_rejected
                else "."
            )
        ]
        if self.missing.empty:
            lines.append("Missing months: none.")
        else:
            items = [
                f"{getattr(r, self.missing.columns[0])} {r.month:%Y-%m} ({r.reason})"
                for r in self.missing.itertuples()
            ]
            lines.append(f"Missing months ({len(items)}): " + "; ".join(items) + ".")
        if self.implausible.empty:
            lines.append("Implausible months: none.")
        else:
            area_cols = [
                c
                for c in self.implausible.columns[
                    : list(self.implausible.columns).index("category")
                ]
            ]
            items = []
            for r in self.implausible.itertuples():
                area = " ".join(str(getattr(r, c)) for c in area_cols)
                items.append(
                    f"{area + ' ' if area else ''}{r.category} {r.month:%Y-%m}: {r.count:,} "
                    f"against about {r.expected:,.0f} ({r.direction})"
                )
            lines.append(f"Implausible months ({len(items)}): " + "; ".join(items) + ".")
        return "\n".join(lines)
