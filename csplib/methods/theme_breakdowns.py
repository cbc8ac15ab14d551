"""The breakdowns a theme's sub-group asks for, where the partner extract records them.

A theme pack (:mod:`csplib.chapters.pack`) answers its sub-group's own questions as well as
the common ones (volume, trend, harm, repeat victims, wards, which every pack has):

* a theme selected by the **hate** flag is broken down by **strand**
  (:func:`strand_table`: race, religion, sexual orientation, ...; a crime recorded with two
  strands counts under both, so the rows then add up to more than the crimes);
* a theme selected by the **weapon** flag is split by whether each crime **carried the
  flag** (:func:`weapon_table`): for "possession of weapons or a weapon flag", how much is
  weapon-enabled crime and how much possession alone.

Both count the theme's crimes in the assessed period, from its rows
(:func:`csplib.methods.themes.theme_incidents`); a theme without the flag, or data without
the column, has no such table.
"""

from __future__ import annotations

import pandas as pd

from csplib.methods.themes import ThemeSpec, in_period

__all__ = ["NOT_RECORDED", "strand_table", "weapon_table"]

#: The row of crimes with no strand recorded.
NOT_RECORDED = "not recorded"


def _selects(spec: ThemeSpec, flag: str) -> bool:
    return bool(spec.flags) and bool(spec.flags.get(flag))


def strand_table(spec: ThemeSpec, rows: pd.DataFrame, period) -> pd.DataFrame | None:
    """The theme's crimes in ``period`` by hate crime strand (None when it does not apply).

    Returns
    -------
    DataFrame or None
        Index ``strand`` (most crimes first, :data:`NOT_RECORDED` last); ``count`` and
        ``share`` (% of the theme's crimes). ``attrs["exclusive"]`` is True when no crime has
        two strands (the rows then add up to the theme's total).

    Examples
    --------
    >>> from csplib.methods.themes import as_theme
    >>> rows = pd.DataFrame({"month": pd.to_datetime(["2024-04-01"] * 4),
    ...     "hate_strand": ["race", "race;religion", None, "disability"]})
    >>> t = strand_table(as_theme({"name": "Hate", "flags": {"hate": True}}), rows, "2024/25")
    >>> t["count"].to_dict(), t.attrs["exclusive"]
    ({'race': 2, 'disability': 1, 'religion': 1, 'not recorded': 1}, False)
    """
    if not _selects(spec, "hate") or "hate_strand" not in rows.columns:
        return None
    part = in_period(rows, period)
    strands = part["hate_strand"].fillna(NOT_RECORDED).astype(str).str.split(";")
    exclusive = bool((strands.str.len() <= 1).all())
    counts = strands.explode().str.strip().value_counts()
    order = sorted(counts.index, key=lambda s: (s == NOT_RECORDED, -counts[s], s))
    counts = counts.reindex(order)
    out = pd.DataFrame(
        {
            "count": counts.astype("int64"),
            "share": 100.0 * counts / len(part) if len(part) else float("nan"),
        }
    )
    out.index.name = "strand"
    out.attrs["exclusive"] = exclusive
    return out


def weapon_table(spec: ThemeSpec, rows: pd.DataFrame, period) -> pd.DataFrame | None:
    """The theme's crimes in ``period`` with and without a weapon flag (None when it does
    not apply).

    Examples
    --------
    >>> from csplib.methods.themes import as_theme
    >>> spec = as_theme({"name": "SV", "categories": ["Possession of weapons"],
    ...                  "flags": {"weapon": True}})
    >>> rows = pd.DataFrame({"month": pd.to_datetime(["2024-05-01"] * 3),
    ...                      "weapon": [True, True, False]})
    >>> weapon_table(spec, rows, "2024/25")["count"].tolist()
    [2, 1]
    """
    if not _selects(spec, "weapon") or "weapon" not in rows.columns:
        return None
    part = in_period(rows, period)
    flagged = part["weapon"].fillna(False).astype(bool)
    counts = pd.Series(
        [int(flagged.sum()), int((~flagged).sum())],
        index=pd.Index(["with a weapon flag", "without a weapon flag"], name="weapon"),
    )
    return pd.DataFrame(
        {
            "count": counts,
            "share": 100.0 * counts / len(part) if len(part) else float("nan"),
        }
    )
