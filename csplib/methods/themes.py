"""Themes: select a theme's incidents from the tidy tables, and count them.

A theme (:class:`csplib.params.ThemeSpec`) names police.uk ``categories`` and partner
``flags`` (``hate``, ``domestic``, ``weapon``). The selection rule:

1. **Category clause**: rows whose ``category`` is one of the theme's categories.
2. **Flag clause**: rows where *every* flag of the theme has the value given
   (``{hate: true, weapon: true}`` means hate AND weapon, as in a measure's ``flags:``
   filter). A missing flag value never matches.
3. A row belongs to the theme when it meets the category clause **OR** the flag clause. A
   clause the theme does not define selects nothing.

Which table each row comes from, so that no crime is counted twice:

* A theme **without flags** is counted from ``incidents`` (police.uk crime and ASB: the
  published, complete count), even when a partner extract is given.
* A theme **with flags** takes its crimes from ``partner``: the extract has both the
  category and the flags of each crime on one row, so a crime meeting both clauses counts
  once. Partner extracts hold crimes only, so anti-social behaviour named in the theme's
  categories still comes from ``incidents``. Without ``partner``, flags are read from
  ``incidents`` if it has the flag columns; otherwise a :class:`~csplib.core.errors.DataError`
  says the theme needs the partner extract.

A flag clause made only of ``false`` flags (``{domestic: false}``) OR'd with categories would
select every unflagged crime, which is never what a theme means: such a theme raises
:class:`~csplib.core.errors.DefinitionError`. (A theme of flags alone may use ``false``.)

Examples
--------
>>> import pandas as pd
>>> inc = pd.DataFrame({"month": pd.to_datetime(["2019-04-01"] * 3),
...                     "category": ["Burglary", "Anti-social behaviour", "Robbery"]})
>>> theme_incidents({"name": "Acquisitive", "categories": ["Burglary", "Robbery"]}, inc)[
...     "category"].tolist()
['Burglary', 'Robbery']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
from pydantic import ValidationError

from csplib.core.comparison import COMPARED_COLUMNS, compare_months
from csplib.core.errors import DataError, DefinitionError
from csplib.core.periods import Period, months_present
from csplib.core.schema import ASB
from csplib.methods.measures.change import compare_counts
from csplib.params import ThemeSpec

__all__ = [
    "FLAG_COLUMNS",
    "as_theme",
    "as_themes",
    "in_period",
    "theme_incidents",
    "theme_sources",
    "theme_volumes",
]

#: The partner flags a theme can select on.
FLAG_COLUMNS: tuple[str, ...] = ("hate", "domestic", "weapon")


def as_theme(theme) -> ThemeSpec:
    """A :class:`~csplib.params.ThemeSpec` from a spec or a mapping, validated.

    Raises
    ------
    DefinitionError
        Naming the theme and the problem.

    Examples
    --------
    >>> as_theme({"name": "Hate crime", "flags": {"hate": True}}).flags
    {'hate': True}
    """
    if isinstance(theme, ThemeSpec):
        spec = theme
    elif isinstance(theme, Mapping):
        try:
            spec = ThemeSpec.model_validate(dict(theme))
        except ValidationError as exc:
            name = theme.get("name", "?")
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            msg = first.get("ctx", {}).get("error", first["msg"])
            raise DefinitionError(f"theme {name!r}: {where + ': ' if where else ''}{msg}") from None
    else:
        raise DefinitionError(f"a theme must be a ThemeSpec or a mapping, got {theme!r}")
    if spec.categories and spec.flags and not any(spec.flags.values()):
        raise DefinitionError(
            f"theme {spec.name!r}: flags {dict(spec.flags)} are all false; OR'd with its "
            "categories they would select every unflagged crime (use flags alone, or a "
            "true flag)"
        )
    return spec


def as_themes(themes) -> dict[str, ThemeSpec]:
    """Themes keyed by display name, from a mapping (as in the parameters) or a list.

    Examples
    --------
    >>> list(as_themes({"hate": {"name": "Hate crime", "flags": {"hate": True}}}))
    ['Hate crime']
    """
    if isinstance(themes, ThemeSpec) or (
        isinstance(themes, Mapping) and isinstance(themes.get("name"), str)
    ):
        themes = [themes]
    items = themes.values() if isinstance(themes, Mapping) else themes
    if isinstance(items, str) or not isinstance(items, Iterable):
        raise DefinitionError(f"themes must be a mapping or a list of themes, got {themes!r}")
    out: dict[str, ThemeSpec] = {}
    for item in items:
        spec = as_theme(item)
        if spec.name in out:
            raise DefinitionError(f"two themes are named {spec.name!r}: names must differ")
        out[spec.name] = spec
    if not out:
        raise DefinitionError("no themes given")
    return out


def in_period(rows: pd.DataFrame, period, what: str = "incidents") -> pd.DataFrame:
    """Rows whose ``month`` lies in ``period`` (all rows when ``period`` is None).

    Parameters
    ----------
    rows : pandas.DataFrame
        Rows with a ``month`` column (dates, or text that parses as dates).
    period : Period, str or None
        The period (a :class:`~csplib.core.periods.Period` or its label).
    what : str, default "incidents"
        What the rows are, for the error message.

    Raises
    ------
    DataError
        When a period is given and the rows have no ``month`` column.

    Examples
    --------
    >>> rows = pd.DataFrame({"month": pd.to_datetime(["2019-03-01", "2019-04-01"])})
    >>> in_period(rows, "2019/20")["month"].dt.strftime("%b %Y").tolist()
    ['Apr 2019']
    """
    if period is None:
        return rows
    period = Period.parse(period)
    if "month" not in rows.columns:
        raise DataError(f"{what} have no 'month' column, so cannot be limited to {period}")
    month = rows["month"]
    if not pd.api.types.is_datetime64_any_dtype(month.dtype):
        month = pd.to_datetime(month, errors="coerce")
    keep = (month >= period.start) & (month < period.end_exclusive)
    return rows.loc[keep.fillna(False).to_numpy()]


def _flag_mask(rows: pd.DataFrame, flags: Mapping[str, bool]) -> np.ndarray:
    mask = np.ones(len(rows), dtype=bool)
    for flag, wanted in flags.items():
        values = rows[flag]
        mask &= values.eq(bool(wanted)).fillna(False).to_numpy(dtype=bool)
    return mask


def _require(rows: pd.DataFrame, columns, what: str, theme: str) -> None:
    missing = [c for c in columns if c not in rows.columns]
    if missing:
        raise DataError(f"theme {theme!r}: {what} have no column(s) {', '.join(missing)}")


def theme_sources(theme, incidents: pd.DataFrame, partner: pd.DataFrame | None = None):
    """Which table(s) a theme's rows come from (see the module rule).

    Returns
    -------
    list of (str, DataFrame)
        ``("incidents", table)`` and/or ``("partner", table)``.

    Examples
    --------
    >>> inc = pd.DataFrame({"category": ["Burglary"]})
    >>> [name for name, _ in theme_sources({"name": "B", "categories": ["Burglary"]}, inc)]
    ['incidents']
    """
    spec = as_theme(theme)
    if not spec.flags:
        return [("incidents", incidents)]
    flags = list(spec.flags)
    if partner is not None:
        sources = [("partner", partner)]
        if ASB in spec.categories:
            sources.insert(0, ("incidents", incidents))
        return sources
    if all(f in incidents.columns for f in flags):
        return [("incidents", incidents)]
    raise DataError(
        f"theme {spec.name!r} selects by flag(s) {', '.join(flags)}, which only a partner "
        "extract records: pass partner="
    )


def theme_incidents(
    theme, incidents: pd.DataFrame, partner: pd.DataFrame | None = None, *, period=None
) -> pd.DataFrame:
    """The rows of a theme, selected by the rule in the module notes.

    Parameters
    ----------
    theme : ThemeSpec or mapping
        ``name``, ``categories`` and/or ``flags``.
    incidents : pandas.DataFrame
        Tidy incidents (police.uk): at least ``category`` (and ``month`` with ``period``).
    partner : pandas.DataFrame, optional
        Tidy partner extract (``category`` and the flag columns).
    period : Period or str, optional
        Keep only rows whose ``month`` lies in the period.

    Returns
    -------
    pandas.DataFrame
        The selected rows with their own columns. From one table the original index is
        kept; when ASB comes from ``incidents`` and crimes from ``partner`` the two are
        stacked with a fresh index and a ``table`` column naming each row's table.
        ``attrs["theme"]`` and ``attrs["sources"]`` record the selection.

    Examples
    --------
    >>> inc = pd.DataFrame({"month": pd.to_datetime(["2019-04-01"] * 2),
    ...                     "category": ["Anti-social behaviour", "Robbery"]})
    >>> partner = pd.DataFrame({"month": pd.to_datetime(["2019-04-01"] * 3),
    ...                         "category": ["Robbery", "Burglary", "Drugs"],
    ...                         "hate": [False, True, False], "domestic": [False] * 3,
    ...                         "weapon": [False] * 3})
    >>> t = {"name": "Hate and robbery", "categories": ["Robbery"], "flags": {"hate": True}}
    >>> theme_incidents(t, inc, partner)["category"].tolist()
    ['Robbery', 'Burglary']
    """
    spec = as_theme(theme)
    sources = theme_sources(spec, incidents, partner)
    parts = []
    for name, table in sources:
        _require(table, ["category"], name, spec.name)
        rows = in_period(table, period, name)
        categories = list(spec.categories)
        if name == "incidents" and len(sources) == 2:
            categories = [c for c in categories if c == ASB]
        mask = rows["category"].isin(categories).to_numpy(dtype=bool)
        flagged = spec.flags and not (name == "incidents" and len(sources) == 2)
        if flagged:
            _require(rows, list(spec.flags), name, spec.name)
            mask = mask | _flag_mask(rows, spec.flags)
        parts.append((name, rows.loc[mask]))
    if len(parts) == 1:
        out = parts[0][1].copy()
    else:
        out = pd.concat([p.assign(table=name) for name, p in parts], ignore_index=True, sort=False)
    out.attrs = {"theme": spec.name, "sources": [name for name, _ in sources]}
    return out


def _months_of(sources) -> pd.DatetimeIndex:
    """Months present in every source table (a month missing from one is not covered)."""
    present = None
    for name, table in sources:
        if "month" not in table.columns:
            raise DataError(f"{name} have no 'month' column")
        months = set(months_present(table["month"]))
        present = months if present is None else present & months
    return pd.DatetimeIndex(sorted(present or []), name="month")


def theme_volumes(
    themes,
    incidents: pd.DataFrame,
    partner: pd.DataFrame | None = None,
    *,
    period=None,
    population: float | None = None,
    alpha: float = 0.05,
    exclude=(),
) -> pd.DataFrame:
    """Count each theme's incidents, with the change on the same period a year earlier.

    The change follows the one comparison rule (:func:`csplib.core.comparison.compare_months`):
    all months when both periods are complete, else the months present in both
    (like-for-like), else none (and ``comparison`` says why).

    Parameters
    ----------
    themes : mapping or list of ThemeSpec / mappings
    incidents, partner : pandas.DataFrame
        See :func:`theme_incidents`.
    period : Period or str, optional
        The period counted. Without it every row is counted and no change is given.
    population : float, optional
        Residents, for ``rate_per_1000`` (count per 1,000 residents over the period, not
        annualised).
    alpha : float, default 0.05
        Significance level of the exact Poisson test of the change
        (:func:`csplib.methods.measures.change.compare_counts`).
    exclude : iterable of month-like, optional
        Months left out of the comparison though they have data (e.g. flagged
        implausible); the counts of the periods keep them.

    Returns
    -------
    pandas.DataFrame
        Index ``theme``; columns ``source`` (tables used), ``count`` and ``months`` (the
        months of the period with data: ``all 12 months`` or ``11 of 12 months``),
        ``rate_per_1000``, ``previous`` and ``previous_months`` (the same for the period a
        year earlier; ``previous`` is NaN when it has no data at all), ``comparison`` (the
        months compared, in words), ``months_compared``, ``count_compared`` and
        ``previous_compared`` (the counts of the months compared; NaN when none),
        ``volume_change``, ``pct_change``, ``p_value``, ``significant``, ``direction``
        (``up``/``down``/``none``; of the compared counts) and ``complete`` (every month of
        both periods compared). A month counts as present when every table the theme reads
        has it.

    Examples
    --------
    >>> months = pd.date_range("2018-04-01", "2020-03-01", freq="MS")
    >>> inc = pd.DataFrame({"month": months.repeat(2),
    ...                     "category": ["Burglary", "Robbery"] * len(months)})
    >>> v = theme_volumes([{"name": "Burglary", "categories": ["Burglary"]}], inc,
    ...                   period="2019/20", population=1000)
    >>> v.loc["Burglary", ["count", "previous", "rate_per_1000"]].tolist()
    [12.0, 12.0, 12.0]
    >>> gap = inc[inc["month"] != "2018-08-01"]
    >>> v = theme_volumes([{"name": "Burglary", "categories": ["Burglary"]}], gap,
    ...                   period="2019/20")
    >>> row = v.loc["Burglary"]
    >>> float(row["previous"]), row["previous_months"], float(row["count_compared"])
    (11.0, '11 of 12 months', 11.0)
    >>> v.loc["Burglary", "comparison"]
    'like-for-like: Apr-Jul and Sep-Mar (11 of 12 months)'
    """
    specs = as_themes(themes)
    if population is not None and not (
        isinstance(population, int | float | np.integer | np.floating) and population > 0
    ):
        raise DataError(f"population must be a positive number, got {population!r}")
    cur_p = None if period is None else Period.parse(period)
    records = []
    for name, spec in specs.items():
        sources = theme_sources(spec, incidents, partner)
        rec = {"theme": name, "source": " + ".join(s for s, _ in sources)}
        if cur_p is None:
            rec.update(_no_change(float(len(theme_incidents(spec, incidents, partner)))))
        else:
            rec.update(_volume_change(spec, incidents, partner, cur_p, sources, alpha, exclude))
        rec["rate_per_1000"] = (
            rec["count"] / population * 1000 if population is not None else np.nan
        )
        records.append(rec)
    out = pd.DataFrame.from_records(records, index="theme")[_VOLUME_COLUMNS]
    out.attrs = {
        "period": None if cur_p is None else cur_p.label,
        "previous_period": None if cur_p is None else cur_p.previous_year().label,
    }
    return out


_VOLUME_COLUMNS = [
    "source",
    "count",
    "months",
    "rate_per_1000",
    *COMPARED_COLUMNS,
]

_NO_TEST = dict(volume_change=np.nan, pct_change=np.nan, p_value=np.nan, significant=False,
                direction="none")  # fmt: skip


def _no_change(count: float) -> dict:
    return dict(
        count=count,
        months="",
        previous=np.nan,
        previous_months="",
        comparison="not compared: no period given",
        months_compared=0,
        count_compared=np.nan,
        previous_compared=np.nan,
        complete=True,
        **_NO_TEST,
    )


def _volume_change(spec, incidents, partner, cur_p, sources, alpha, exclude) -> dict:
    """A theme's counts over ``cur_p`` and a year earlier, compared by the one rule."""
    prev_p = cur_p.previous_year()
    cmp = compare_months(cur_p, prev_p, _months_of(sources), exclude=exclude)
    rows = theme_incidents(spec, incidents, partner, period=cur_p)
    rec = dict(
        count=float(len(rows)),
        months=cmp.current_coverage.short(),
        previous=np.nan,
        previous_months=cmp.previous_coverage.short(),
        comparison=cmp.cell(),
        months_compared=cmp.n_months,
        count_compared=np.nan,
        previous_compared=np.nan,
        complete=cmp.kind == "complete",
        **_NO_TEST,
    )
    if cmp.previous_coverage.n_covered:
        before = theme_incidents(spec, incidents, partner, period=prev_p)
        rec["previous"] = float(len(before))
    if cmp.compared:
        now = float(len(cmp.select(rows)))
        then = float(len(cmp.select(before, "previous")))
        c = compare_counts(now, then, polarity="neutral", alpha=alpha)
        rec.update(
            count_compared=now,
            previous_compared=then,
            volume_change=c.volume_change,
            pct_change=np.nan if c.pct_change is None else c.pct_change,
            p_value=c.p_value,
            significant=c.significant,
            direction=c.direction,
        )
    return rec
