"""Reporting periods: financial and calendar years, quarters, rolling windows.

A :class:`Period` is a run of whole months (start month to end month, both included) with the
label the partnership prints for it:

=================  ============================  ======================
kind               example label                 months
=================  ============================  ======================
financial_year     ``2019/20``                   Apr 2019 - Mar 2020
calendar_year      ``2019``                      Jan 2019 - Dec 2019
financial_quarter  ``Q1 2020/21``                Apr 2020 - Jun 2020
calendar_quarter   ``Q1 2020``                   Jan 2020 - Mar 2020
window             ``Sep 19 - Aug 20``           Sep 2019 - Aug 2020
span               ``2019/20 - 2022/23``         Apr 2019 - Mar 2023
=================  ============================  ======================

Two-digit years in labels are read as 20yy. :meth:`Period.previous_year` gives the same
window a year earlier (with the label of the same kind), which is the partnership's usual
comparison; :func:`check_coverage` refuses (or, when asked, marks) a period that runs past
the data or covers a month with no data at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from csplib.core.errors import DataError, ParamsError

__all__ = [
    "Period",
    "Coverage",
    "check_coverage",
    "months_present",
    "financial_year_of",
]

_KINDS = (
    "financial_year",
    "calendar_year",
    "financial_quarter",
    "calendar_quarter",
    "window",
    "span",
)

_MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}


def _month_start(value, what: str = "month") -> pd.Timestamp:
    """Return the first day of the month containing ``value`` (no time, no zone)."""
    if isinstance(value, pd.Period):
        return value.asfreq("M").to_timestamp(how="start")
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ParamsError(f"{what} {value!r} is not a date (expected e.g. '2019-09')") from exc
    if ts is pd.NaT:
        raise ParamsError(f"{what} is missing (NaT)")
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return pd.Timestamp(year=ts.year, month=ts.month, day=1)


def _add_months(ts: pd.Timestamp, n: int) -> pd.Timestamp:
    index = ts.year * 12 + (ts.month - 1) + n
    return pd.Timestamp(year=index // 12, month=index % 12 + 1, day=1)


def _month_index(ts: pd.Timestamp) -> int:
    return ts.year * 12 + ts.month - 1


def _fy_label(start_year: int) -> str:
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def financial_year_of(month) -> str:
    """Label of the financial year (April to March) containing ``month``.

    Examples
    --------
    >>> financial_year_of("2020-03-15")
    '2019/20'
    >>> financial_year_of("2020-04-01")
    '2020/21'
    """
    ts = _month_start(month)
    return _fy_label(ts.year if ts.month >= 4 else ts.year - 1)


def _window_label(start: pd.Timestamp, end: pd.Timestamp) -> str:
    if start == end:
        return start.strftime("%b %y")
    return f"{start.strftime('%b %y')} - {end.strftime('%b %y')}"


def _label(kind: str, start: pd.Timestamp, end: pd.Timestamp) -> str:
    """The partnership's label for a period of ``kind`` (used after shifting a period)."""
    if kind == "financial_year":
        return _fy_label(start.year)
    if kind == "calendar_year":
        return str(start.year)
    if kind == "financial_quarter":
        fy = start.year if start.month >= 4 else start.year - 1
        q = ((start.month - 4) % 12) // 3 + 1
        return f"Q{q} {_fy_label(fy)}"
    if kind == "calendar_quarter":
        return f"Q{(start.month - 1) // 3 + 1} {start.year}"
    if kind == "span":
        if start.month == 4 and end.month == 3:
            return f"{_fy_label(start.year)} - {_fy_label(end.year - 1)}"
        if start.month == 1 and end.month == 12:
            return f"{start.year} - {end.year}"
    return _window_label(start, end)


@dataclass(frozen=True, eq=False)
class Period:
    """A run of whole months, ``start`` to ``end`` inclusive, with its display label.

    Build one with the constructors (:meth:`financial_year`, :meth:`calendar_year`,
    :meth:`financial_quarter`, :meth:`calendar_quarter`, :meth:`window`, :meth:`rolling`)
    or parse a label with :meth:`parse`. Two periods are equal when they cover the same
    months, whatever their labels.

    Parameters
    ----------
    start, end : pandas.Timestamp
        First and last month (first day of the month); ``end`` is included.
    label : str
        Display label, e.g. ``"2019/20"`` or ``"Sep 19 - Aug 20"``.
    kind : str
        One of ``financial_year``, ``calendar_year``, ``financial_quarter``,
        ``calendar_quarter``, ``window``, ``span``; decides the label after shifting.

    Examples
    --------
    >>> p = Period.parse("Sep 19 - Aug 20")
    >>> p.n_months, p.start.strftime("%Y-%m"), p.end.strftime("%Y-%m")
    (12, '2019-09', '2020-08')
    >>> p.previous_year().label
    'Sep 18 - Aug 19'
    >>> Period.parse("2019/20") == Period.window("2019-04", "2020-03")
    True
    """

    start: pd.Timestamp
    end: pd.Timestamp
    label: str = field(default="")
    kind: str = field(default="window")

    def __post_init__(self):
        start = _month_start(self.start, "start month")
        end = _month_start(self.end, "end month")
        if end < start:
            raise ParamsError(
                f"period end {end:%b %Y} is before its start {start:%b %Y}: "
                "the end month must be the same as or after the start month"
            )
        if self.kind not in _KINDS:
            raise ParamsError(f"period kind {self.kind!r} is not one of {', '.join(_KINDS)}")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)
        if not self.label:
            object.__setattr__(self, "label", _label(self.kind, start, end))

    # -- constructors -------------------------------------------------------------------
    @classmethod
    def financial_year(cls, start_year: int) -> Period:
        """April ``start_year`` to March of the next year, labelled ``"2019/20"``.

        Examples
        --------
        >>> p = Period.financial_year(2019)
        >>> p.label, f"{p.start:%b %Y}", f"{p.end:%b %Y}"
        ('2019/20', 'Apr 2019', 'Mar 2020')
        """
        year = _int_year(start_year)
        return cls(pd.Timestamp(year, 4, 1), pd.Timestamp(year + 1, 3, 1), kind="financial_year")

    @classmethod
    def calendar_year(cls, year: int) -> Period:
        """January to December of ``year``, labelled ``"2019"``.

        Examples
        --------
        >>> Period.calendar_year(2019).n_months
        12
        """
        year = _int_year(year)
        return cls(pd.Timestamp(year, 1, 1), pd.Timestamp(year, 12, 1), kind="calendar_year")

    @classmethod
    def financial_quarter(cls, start_year: int, quarter: int) -> Period:
        """Quarter ``quarter`` (1 = Apr-Jun ... 4 = Jan-Mar) of financial year ``start_year``.

        Examples
        --------
        >>> p = Period.financial_quarter(2020, 4)
        >>> p.label, f"{p.start:%b %Y}", f"{p.end:%b %Y}"
        ('Q4 2020/21', 'Jan 2021', 'Mar 2021')
        """
        year, q = _int_year(start_year), _quarter(quarter)
        start = _add_months(pd.Timestamp(year, 4, 1), 3 * (q - 1))
        return cls(start, _add_months(start, 2), kind="financial_quarter")

    @classmethod
    def calendar_quarter(cls, year: int, quarter: int) -> Period:
        """Quarter ``quarter`` (1 = Jan-Mar ... 4 = Oct-Dec) of calendar year ``year``.

        Examples
        --------
        >>> Period.calendar_quarter(2020, 2).label
        'Q2 2020'
        """
        year, q = _int_year(year), _quarter(quarter)
        start = pd.Timestamp(year, 3 * (q - 1) + 1, 1)
        return cls(start, _add_months(start, 2), kind="calendar_quarter")

    @classmethod
    def window(cls, start, end) -> Period:
        """Any run of months, labelled like ``"Sep 19 - Aug 20"``.

        Examples
        --------
        >>> Period.window("2019-09", "2020-08").label
        'Sep 19 - Aug 20'
        """
        return cls(start, end, kind="window")

    @classmethod
    def rolling(cls, end, months: int = 12) -> Period:
        """The ``months`` months ending with (and including) month ``end``.

        Examples
        --------
        >>> Period.rolling("2020-08").label
        'Sep 19 - Aug 20'
        >>> Period.rolling("2020-08", months=3).label
        'Jun 20 - Aug 20'
        """
        if not isinstance(months, int) or isinstance(months, bool) or months < 1:
            raise ParamsError(f"months must be a positive whole number, got {months!r}")
        end_ts = _month_start(end, "end month")
        return cls(_add_months(end_ts, -(months - 1)), end_ts, kind="window")

    @classmethod
    def coerce(cls, value) -> Period | None:
        """A Period from a Period, a label, or anything with a ``period`` (a parameters
        :class:`csplib.params.Window`); ``None`` stays ``None``.

        Examples
        --------
        >>> Period.coerce("2019/20").label
        '2019/20'
        >>> Period.coerce(None) is None
        True
        """
        if value is None or isinstance(value, Period):
            return value
        return value.period if hasattr(value, "period") else cls.parse(value)

    @classmethod
    def parse(cls, label) -> Period:
        """Read a period label.

        Accepted forms: ``"2019/20"`` (also ``"2019/2020"``, ``"2019-20"``), ``"2019"``,
        ``"Q1 2020/21"`` (financial quarter), ``"Q1 2020"`` (calendar quarter),
        ``"Sep 19"`` / ``"Sep 2019"`` / ``"2019-09"`` (one month), and any two of these joined
        by ``" - "``, ``" – "`` or ``" to "`` (``"Sep 19 - Aug 20"``,
        ``"2019/20 - 2022/23"``), which run from the start of the first to the end of the
        second. A :class:`Period` is returned unchanged.

        Raises
        ------
        ParamsError
            If the label is not in one of these forms.

        Examples
        --------
        >>> Period.parse("Q1 2020/21").label
        'Q1 2020/21'
        >>> p = Period.parse("2019/20 - 2022/23")
        >>> p.n_months, p.label
        (48, '2019/20 - 2022/23')
        >>> Period.parse("September 2019 to August 2020").label
        'Sep 19 - Aug 20'
        """
        if isinstance(label, Period):
            return label
        if isinstance(label, int) and not isinstance(label, bool):
            label = str(label)
        if not isinstance(label, str):
            raise ParamsError(f"period label must be text such as '2019/20', got {label!r}")
        text = " ".join(label.strip().split())
        single = _parse_single(text)
        if single is not None:
            return single
        parts = re.split(r"\s+(?:-|–|—|to)\s+", text, maxsplit=1, flags=re.IGNORECASE)
        if len(parts) == 2:
            first, last = _parse_single(parts[0]), _parse_single(parts[1])
            if first is not None and last is not None:
                if last.end < first.start:
                    raise ParamsError(
                        f"period {label!r} ends before it starts: write the earlier part first"
                    )
                both_months = first.n_months == 1 and last.n_months == 1
                both_months = both_months and first.kind == last.kind == "window"
                if both_months:
                    return cls(first.start, last.end, kind="window")
                return cls(first.start, last.end, kind="span")
        raise ParamsError(
            f"cannot read period {label!r}: expected a label such as '2019/20', '2019', "
            "'Q1 2020/21', 'Q1 2020', 'Sep 19 - Aug 20' or '2019/20 - 2022/23'"
        )

    # -- properties ---------------------------------------------------------------------
    @property
    def n_months(self) -> int:
        """Number of months in the period."""
        return _month_index(self.end) - _month_index(self.start) + 1

    @property
    def population_year(self) -> int:
        """Calendar year of the period's middle month: the mid-year population estimate to
        use for rates over the period (every chapter uses this one rule).

        Examples
        --------
        >>> Period.parse("2024/25").population_year, Period.parse("Jan 24").population_year
        (2024, 2024)
        """
        return int(_add_months(self.start, (self.n_months - 1) // 2).year)

    @property
    def months(self) -> pd.DatetimeIndex:
        """The months of the period as a month-start ``DatetimeIndex`` named ``month``."""
        return pd.date_range(self.start, self.end, freq="MS", name="month")

    @property
    def end_exclusive(self) -> pd.Timestamp:
        """First day of the month after the period (a half-open upper bound)."""
        return _add_months(self.end, 1)

    # -- arithmetic ---------------------------------------------------------------------
    def shift(self, months: int) -> Period:
        """The same window moved by ``months`` months, relabelled for its kind.

        Examples
        --------
        >>> Period.parse("Q1 2020/21").shift(-3).label
        'Q4 2019/20'
        """
        return Period(
            _add_months(self.start, months), _add_months(self.end, months), kind=self.kind
        )

    def previous_year(self) -> Period:
        """The same window a year earlier.

        Examples
        --------
        >>> Period.parse("2019/20").previous_year().label
        '2018/19'
        """
        return self.shift(-12)

    def contains(self, month) -> bool:
        """Whether the month containing ``month`` lies in the period.

        Examples
        --------
        >>> Period.parse("2019/20").contains("2020-03-31")
        True
        """
        ts = _month_start(month)
        return self.start <= ts <= self.end

    def financial_years(self) -> list[Period]:
        """The financial years that lie wholly inside the period, in order.

        Examples
        --------
        >>> [p.label for p in Period.parse("2019/20 - 2022/23").financial_years()]
        ['2019/20', '2020/21', '2021/22', '2022/23']
        """
        first = self.start.year if self.start.month <= 4 else self.start.year + 1
        years = []
        year = first
        while pd.Timestamp(year + 1, 3, 1) <= self.end:
            years.append(Period.financial_year(year))
            year += 1
        return years

    def months_between_ends(self, other: Period) -> int:
        """Months from the end of this period to the end of ``other`` (negative if earlier)."""
        return _month_index(other.end) - _month_index(self.end)

    # -- protocol -----------------------------------------------------------------------
    def __eq__(self, other):
        if not isinstance(other, Period):
            return NotImplemented
        return (self.start, self.end) == (other.start, other.end)

    def __hash__(self):
        return hash((self.start, self.end))

    def __lt__(self, other):
        if not isinstance(other, Period):
            return NotImplemented
        return (self.start, self.end) < (other.start, other.end)

    def __str__(self):
        return self.label

    def __repr__(self):
        return f"Period({self.label!r}: {self.start:%Y-%m} to {self.end:%Y-%m})"


def _int_year(year) -> int:
    if isinstance(year, bool) or not isinstance(year, int | str):
        raise ParamsError(f"year must be a four-digit year such as 2019, got {year!r}")
    text = str(year).strip()
    if not re.fullmatch(r"\d{4}", text):
        raise ParamsError(f"year must be a four-digit year such as 2019, got {year!r}")
    return int(text)


def _quarter(quarter) -> int:
    if isinstance(quarter, bool) or quarter not in (1, 2, 3, 4):
        raise ParamsError(f"quarter must be 1, 2, 3 or 4, got {quarter!r}")
    return int(quarter)


def _two_or_four(text: str) -> int:
    return int(text) if len(text) == 4 else 2000 + int(text)


def _parse_single(text: str) -> Period | None:
    """Parse a label that is not a range; None when it is not one of the single forms."""
    m = re.fullmatch(r"(\d{4})-(\d{2})", text)
    if m and 1 <= int(m.group(2)) <= 12:
        # ISO "2019-09" is a month (so "2011-12" is December 2011, not 2011/12)
        month = pd.Timestamp(int(m.group(1)), int(m.group(2)), 1)
        return Period.window(month, month)
    m = re.fullmatch(r"(\d{4})[/-](\d{2}|\d{4})", text)
    if m:
        first, second = int(m.group(1)), m.group(2)
        follows = int(second) == first + 1 if len(second) == 4 else int(second) == (first + 1) % 100
        if not follows:
            raise ParamsError(
                f"{text!r} is not a financial year: the second year must follow the first "
                f"(e.g. '{_fy_label(first)}')"
            )
        return Period.financial_year(first)
    m = re.fullmatch(r"(\d{4})", text)
    if m:
        return Period.calendar_year(int(m.group(1)))
    m = re.fullmatch(r"Q([1-4])\s+(\d{4})\s*/\s*(\d{2}|\d{4})", text, flags=re.IGNORECASE)
    if m:
        fy = _parse_single(f"{m.group(2)}/{m.group(3)}")
        return Period.financial_quarter(fy.start.year, int(m.group(1)))
    m = re.fullmatch(r"Q([1-4])\s+(\d{4})", text, flags=re.IGNORECASE)
    if m:
        return Period.calendar_quarter(int(m.group(2)), int(m.group(1)))
    m = re.fullmatch(r"([A-Za-z]+)\.?\s+'?(\d{2}|\d{4})", text)
    if m and m.group(1).lower() in _MONTHS:
        month = pd.Timestamp(_two_or_four(m.group(2)), _MONTHS[m.group(1).lower()], 1)
        return Period.window(month, month)
    return None


# -- coverage ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    """Which months of a period the data cover.

    Attributes
    ----------
    period : Period
    covered : tuple of pandas.Timestamp
        Months of the period that have data.
    missing : tuple of pandas.Timestamp
        Months of the period with no data at all.
    """

    period: Period
    covered: tuple
    missing: tuple

    @property
    def complete(self) -> bool:
        """True when every month of the period has data."""
        return not self.missing

    @property
    def n_covered(self) -> int:
        return len(self.covered)

    def short(self) -> str:
        """What a total over the period covers, stated beside it: ``"all 12 months"`` or
        ``"11 of 12 months"`` (a total of a period with a month missing is never shown as
        complete; :mod:`csplib.core.comparison`).

        Examples
        --------
        >>> months = pd.date_range("2019-09-01", "2020-07-01", freq="MS")
        >>> check_coverage("Sep 19 - Aug 20", months, allow_incomplete=True).short()
        '11 of 12 months'
        >>> check_coverage("Sep 19", months).short()
        '1 month'
        """
        total = self.period.n_months
        if self.complete:
            return "1 month" if total == 1 else f"all {total} months"
        return f"{self.n_covered} of {total} month{'' if total == 1 else 's'}"

    def describe(self) -> str:
        """A short note such as ``"11 of 12 months (missing: Aug 2020)"``."""
        if self.complete:
            return f"all {self.period.n_months} months"
        missing = ", ".join(f"{m:%b %Y}" for m in self.missing)
        return f"{self.n_covered} of {self.period.n_months} months (missing: {missing})"


def months_present(months) -> pd.DatetimeIndex:
    """Normalise an iterable of dates (or a ``month`` column) to sorted distinct month starts.

    Examples
    --------
    >>> list(months_present(["2019-09-15", "2019-09-01", "2019-10-01"]).strftime("%Y-%m"))
    ['2019-09', '2019-10']
    """
    if isinstance(months, pd.Series | pd.Index):
        values = months.dropna()
        if not pd.api.types.is_datetime64_any_dtype(values.dtype):
            try:
                values = pd.to_datetime(values)
            except (ValueError, TypeError) as exc:
                raise DataError(f"month values are not dates: {exc}") from exc
        idx = pd.DatetimeIndex(values.unique())
        if idx.tz is not None:
            idx = idx.tz_localize(None)
        idx = idx.to_period("M").unique().to_timestamp(how="start")
        return pd.DatetimeIndex(sorted(idx), name="month")
    if isinstance(months, Iterable) and not isinstance(months, str):
        return pd.DatetimeIndex(sorted({_month_start(m) for m in months}), name="month")
    raise ParamsError(f"months present must be a list of months, got {months!r}")


def check_coverage(
    period: Period,
    present,
    *,
    allow_incomplete: bool = False,
    what: str = "the data",
) -> Coverage:
    """Check that every month of ``period`` has data, refusing a short period by default.

    Parameters
    ----------
    period : Period or str
    present : iterable of month-like
        The months that have any data at all for the source (a month with zero crimes of
        one category still counts as present).
    allow_incomplete : bool, default False
        If True, return the :class:`Coverage` with the missing months listed instead of
        raising.
    what : str
        Name of the data in messages, e.g. ``"victim_based_crime (incidents)"``.

    Raises
    ------
    DataError
        Naming the period and the first missing month, and saying whether the period runs
        past the end (or start) of the data or covers a gap.

    Examples
    --------
    >>> months = pd.date_range("2019-09-01", "2020-07-01", freq="MS")
    >>> check_coverage(Period.parse("Sep 19 - Aug 20"), months, allow_incomplete=True).describe()
    '11 of 12 months (missing: Aug 2020)'
    """
    period = Period.parse(period)
    have = months_present(present)
    have_set = set(have)
    covered = tuple(m for m in period.months if m in have_set)
    missing = tuple(m for m in period.months if m not in have_set)
    coverage = Coverage(period, covered, missing)
    if coverage.complete or allow_incomplete:
        return coverage
    first = missing[0]
    if len(have) == 0:
        reason = f"{what} have no months at all"
    elif first > have.max():
        reason = (
            f"the period runs past the end of {what}: no data for {first:%b %Y} "
            f"(last month with data: {have.max():%b %Y})"
        )
    elif first < have.min():
        reason = (
            f"the period starts before {what}: no data for {first:%b %Y} "
            f"(first month with data: {have.min():%b %Y})"
        )
    else:
        reason = f"{what} have no rows at all for {first:%b %Y} (a missing month)"
    extra = f"; {len(missing)} of {period.n_months} months missing" if len(missing) > 1 else ""
    raise DataError(
        f"period {period.label}: {reason}{extra}. Use a period inside the data, or pass "
        "allow_incomplete=True to get a value flagged as incomplete"
    )
