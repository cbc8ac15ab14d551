"""Repeat victimisation: the rule, and the partnership's repeat measures by year and period.

Repeat victimisation
    A victim is a **repeat victim** when at least ``min_incidents`` (2) of their incidents
    fall within ``window_months`` (12) calendar months of each other: the last of them is
    *before* the same day ``window_months`` months after the first (15 Jan 2019 and 14 Jan
    2020 are within 12 months; 15 Jan 2019 and 15 Jan 2020 are not). Dates come from
    ``date`` when the rows have it, else from ``month`` (then two incidents count as within
    12 months when their months are at most 11 months apart). Rows with a blank
    ``victim_id`` cannot be linked to a victim: they are left out and counted. Reported:
    the share of victims who are repeat victims and the share of incidents suffered by
    repeat victims (all of their incidents, the first one included).
Repeat victimisation by year
    For each financial year, a victim is a repeat victim when two or more of their incidents
    of the kind (hate crime, domestic abuse: :data:`REPEAT_GROUPS`) fall in that year: the
    partnership's measure "% of hate crime victims that are repeats". Within one financial
    year every pair of incidents is less than 12 months apart, so this is
    :func:`repeat_victimisation` (two or more within 12 months) applied to the year's
    incidents only; incidents of the previous year are not counted (:func:`repeats_by_year`).
    Victims are linked by the partner extract's pseudonymous ``victim_id``.

Examples
--------
>>> rows = pd.DataFrame({"victim_id": ["A", "A", "B", "C", "C"], "hate": [True] * 5,
...                      "domestic": [False] * 5,
...                      "date": pd.to_datetime(["2019-04-02", "2019-05-01", "2019-06-01",
...                                              "2020-03-30", "2020-04-02"])})
>>> rows["month"] = rows["date"].dt.to_period("M").dt.to_timestamp()
>>> r = repeats_by_year(rows, {"Hate crime": "hate"})
>>> r["repeat_victim_share"].round(1).tolist()  # 2019/20: A of A, B, C; 2020/21: none of C
[33.3, 0.0]
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from csplib.core.errors import DataError, ParamsError
from csplib.core.periods import financial_year_of, months_present
from csplib.methods.themes import in_period

__all__ = [
    "REPEAT_GROUPS",
    "REPEAT_COUNTS",
    "REPEAT_SHARES",
    "repeat_victimisation",
    "repeats_by_year",
    "repeats_in_period",
    "repeat_measure_table",
]

#: The kinds of victimisation whose repeats are reported: display name -> partner flag.
REPEAT_GROUPS: dict[str, str] = {"Hate crime": "hate", "Domestic abuse": "domestic"}

#: The count columns of a repeat-victimisation table (:func:`repeat_victimisation`).
REPEAT_COUNTS: tuple[str, ...] = (
    "incidents",
    "victims",
    "repeat_victims",
    "incidents_by_repeat_victims",
    "blank_victim_excluded",
)
#: Its shares, each with the counts it is computed from (a table hides them together).
REPEAT_SHARES: dict[str, tuple[str, str]] = {
    "repeat_victim_share": ("repeat_victims", "victims"),
    "repeat_incident_share": ("incidents_by_repeat_victims", "incidents"),
}


def _repeat_flags(victims: np.ndarray, dates: pd.Series, window: int, k: int) -> pd.Series:
    """Whether each victim has ``k`` incidents before the window end of the first of them.

    ``victims`` and ``dates`` are sorted by victim then date. With the dates sorted, ``k``
    incidents fall within the window starting at incident ``i`` exactly when incident
    ``i + k - 1`` of the same victim falls before ``i``'s window end, so one shifted
    comparison over all rows decides every victim at once.
    """
    ends = (dates + pd.DateOffset(months=window)).to_numpy()
    values = dates.to_numpy()
    n = len(values)
    hit = np.zeros(n, dtype=bool)
    if n >= k:
        later = values[k - 1 :]
        same = victims[k - 1 :] == victims[: n - k + 1]
        hit[: n - k + 1] = same & (later < ends[: n - k + 1])
    return pd.Series(hit).groupby(victims, sort=True).any()


def _repeat_one(rows: pd.DataFrame, date_col: str, window: int, k: int) -> dict:
    victims = rows["victim_id"]
    blank = victims.isna() | (victims.astype("str").str.strip() == "")
    linked = rows.loc[~blank.to_numpy()]
    ids = linked["victim_id"].astype("str").str.strip()
    dates = pd.to_datetime(linked[date_col])
    if dates.isna().any():
        raise DataError(f"{int(dates.isna().sum())} row(s) with a victim have no {date_col}")
    if date_col == "month":
        dates = dates.dt.to_period("M").dt.to_timestamp()
    frame = pd.DataFrame({"victim": ids.to_numpy(), "date": dates.to_numpy()}).sort_values(
        ["victim", "date"], kind="stable"
    )
    victim_arr = frame["victim"].to_numpy(dtype=object)
    is_rep_by_victim = _repeat_flags(victim_arr, frame["date"].reset_index(drop=True), window, k)
    per_victim = frame.groupby("victim", sort=True).size()
    is_rep = is_rep_by_victim.reindex(per_victim.index).fillna(False).to_numpy(dtype=bool)
    n_victims, n_inc = len(per_victim), int(per_victim.sum())
    n_rep = int(is_rep.sum())
    inc_rep = int(per_victim[is_rep].sum())
    return {
        "incidents": float(n_inc),
        "victims": float(n_victims),
        "repeat_victims": float(n_rep),
        "repeat_victim_share": 100 * n_rep / n_victims if n_victims else np.nan,
        "incidents_by_repeat_victims": float(inc_rep),
        "repeat_incident_share": 100 * inc_rep / n_inc if n_inc else np.nan,
        "blank_victim_excluded": float(blank.sum()),
    }


def repeat_victimisation(
    rows: pd.DataFrame,
    *,
    period=None,
    window_months: int = 12,
    min_incidents: int = 2,
    by: str | None = None,
):
    """Repeat victims and the incidents they suffer (see the module notes for the rule).

    Parameters
    ----------
    rows : pandas.DataFrame
        Incidents with ``victim_id`` and ``date`` (or ``month``): e.g. a partner extract's
        hate crimes or domestic abuse.
    period : Period or str, optional
        Consider only incidents whose ``month`` lies in the period.
    window_months : int, default 12
    min_incidents : int, default 2
    by : str, optional
        Column to report separately (e.g. ``hate_strand``).

    Returns
    -------
    pandas.Series or pandas.DataFrame
        ``incidents`` (with a victim), ``victims``, ``repeat_victims``,
        ``repeat_victim_share`` (% of victims), ``incidents_by_repeat_victims``,
        ``repeat_incident_share`` (% of incidents) and ``blank_victim_excluded``; a Series
        named ``repeat_victimisation``, or one row per ``by`` group.

    Examples
    --------
    >>> rows = pd.DataFrame({"victim_id": ["V1", "V1", "V2", "V3", None],
    ...                      "date": pd.to_datetime(["2019-01-15", "2020-01-14", "2019-05-01",
    ...                                              "2019-06-01", "2019-06-02"])})
    >>> r = repeat_victimisation(rows)
    >>> r[["victims", "repeat_victims", "incidents_by_repeat_victims"]].tolist()
    [3.0, 1.0, 2.0]
    >>> round(float(r["repeat_incident_share"]), 1), float(r["blank_victim_excluded"])
    (50.0, 1.0)
    """
    checks = (("window_months", window_months, 1), ("min_incidents", min_incidents, 2))
    for name, value, low in checks:
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ParamsError(f"{name} must be a whole number of at least {low}, got {value!r}")
    if "victim_id" not in rows.columns:
        raise DataError("incidents have no 'victim_id' column: repeat victimisation needs one")
    date_col = "date" if "date" in rows.columns else "month"
    if date_col not in rows.columns:
        raise DataError("incidents have neither 'date' nor 'month'")
    rows = in_period(rows, period)
    if by is None:
        out = pd.Series(_repeat_one(rows, date_col, window_months, min_incidents))
        out.name = "repeat_victimisation"
    else:
        if by not in rows.columns:
            raise DataError(f"incidents have no column {by!r} to split by")
        out = pd.DataFrame.from_dict(
            {
                key: _repeat_one(g, date_col, window_months, min_incidents)
                for key, g in rows.groupby(by, sort=True)
            },
            orient="index",
        )
        out.index.name = by
    out.attrs = {
        "window_months": window_months,
        "min_incidents": min_incidents,
        "date": date_col,
        "period": None if period is None else str(period),
    }
    return out


# ----------------------------------------------------------------------------- by year and period
def _flagged(partner: pd.DataFrame, flag: str) -> pd.DataFrame:
    if flag not in partner.columns:
        raise DataError(f"the partner extract has no {flag!r} flag column")
    return partner[partner[flag].fillna(False).to_numpy(dtype=bool)]


def _fy_labels(month: pd.Series) -> pd.Series:
    """Financial-year label of each month (each distinct month labelled once)."""
    return month.map({m: financial_year_of(m) for m in month.dropna().unique()})


def repeats_by_year(
    partner: pd.DataFrame,
    groups: Mapping[str, str] | None = None,
    *,
    window_months: int = 12,
    min_incidents: int = 2,
) -> pd.DataFrame:
    """Repeat victims of each kind, by financial year (see the module notes).

    Parameters
    ----------
    partner : pandas.DataFrame
        The partner extract (``victim_id``, ``date`` or ``month``, ``month``, the flags).
    groups : mapping, optional
        Display name -> flag column; default :data:`REPEAT_GROUPS`.
    window_months, min_incidents : int
        Passed to :func:`repeat_victimisation`.

    Returns
    -------
    pandas.DataFrame
        Index (``group``, ``financial_year``); the columns of
        :func:`repeat_victimisation` plus ``months`` (months of the year with
        partner data) and ``complete``.
    """
    groups = dict(REPEAT_GROUPS if groups is None else groups)
    if "month" not in partner.columns:
        raise DataError("the partner extract has no 'month' column")
    fy = _fy_labels(partner["month"])
    month_counts = (
        pd.Series(months_present(partner["month"]))
        .map(financial_year_of)
        .value_counts()
        .rename("months")
    )
    parts = []
    for name, flag in groups.items():
        rows = _flagged(partner, flag)
        rows = rows.assign(financial_year=fy.loc[rows.index].to_numpy())
        if rows.empty:
            continue
        table = repeat_victimisation(
            rows,
            by="financial_year",
            window_months=window_months,
            min_incidents=min_incidents,
        )
        table["months"] = month_counts.reindex(table.index).fillna(0).astype(int).to_numpy()
        table["complete"] = table["months"] == 12
        parts.append(pd.concat({name: table}, names=["group"]))
    if not parts:
        raise DataError(
            f"the partner extract has no rows flagged {', '.join(groups.values())}: no "
            "repeat victimisation to measure"
        )
    return pd.concat(parts)


def repeats_in_period(
    partner: pd.DataFrame,
    period,
    groups: Mapping[str, str] | None = None,
    *,
    window_months: int = 12,
    min_incidents: int = 2,
) -> pd.DataFrame:
    """Repeat victims of each kind among the incidents of one period.

    Returns
    -------
    pandas.DataFrame
        Index ``group``; the columns of :func:`repeat_victimisation`.

    Examples
    --------
    >>> rows = pd.DataFrame({"victim_id": ["A", "A", "B"], "hate": [True, True, True],
    ...                      "month": pd.to_datetime(["2020-01-01", "2020-02-01",
    ...                                               "2020-02-01"])})
    >>> repeats_in_period(rows, "2019/20", {"Hate crime": "hate"})["repeat_victims"].tolist()
    [1.0]
    """
    groups = dict(REPEAT_GROUPS if groups is None else groups)
    out = {
        name: repeat_victimisation(
            _flagged(partner, flag),
            period=period,
            window_months=window_months,
            min_incidents=min_incidents,
        )
        for name, flag in groups.items()
    }
    return pd.DataFrame(out).T.rename_axis("group")


def repeat_measure_table(repeats: pd.DataFrame) -> pd.DataFrame:
    """The partnership's repeat measures by financial year, one column per kind and measure.

    Returns
    -------
    pandas.DataFrame
        Index ``financial_year``; for each group ``% of <group> victims that are repeats``
        and ``% of <group> incidents suffered by repeat victims``.

    Examples
    --------
    >>> idx = pd.MultiIndex.from_tuples([("Hate crime", "2019/20")],
    ...                                 names=["group", "financial_year"])
    >>> t = repeat_measure_table(pd.DataFrame({"repeat_victim_share": [14.0],
    ...                                        "repeat_incident_share": [30.0]}, index=idx))
    >>> for column in t.columns:
    ...     print(column)
    % of hate crime victims that are repeats
    % of hate crime incidents suffered by repeat victims
    """
    parts = {}
    for group in dict.fromkeys(repeats.index.get_level_values(0)):
        part = repeats.xs(group, level=0)
        noun = group[0].lower() + group[1:]
        parts[f"% of {noun} victims that are repeats"] = part["repeat_victim_share"]
        parts[f"% of {noun} incidents suffered by repeat victims"] = part["repeat_incident_share"]
    out = pd.DataFrame(parts)
    out.index.name = repeats.index.names[1] or "financial_year"
    return out
