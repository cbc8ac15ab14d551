"""How the priorities chapter words its lists and chart titles.

Examples
--------
>>> join_names(["Drugs", "Burglary", "Robbery"])
'Drugs, Burglary and Robbery'
"""

from __future__ import annotations

import pandas as pd

from csplib.core.comparison import month_span

__all__ = [
    "join_names",
    "month_span",
    "trend_window",
    "scale_names",
    "unscored_text",
    "volume_harm_title",
    "rank_range_title",
]


def join_names(items) -> str:
    """Names joined as in a sentence: ``A``, ``A and B``, ``A, B and C``."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


#: Indicator names as a reader says them; any other name is its words (``_`` -> space).
SCALE_NAMES = {
    "pct_change": "trend",
    "forecast_change": "forecast change",
    "repeat_victim_share": "repeat victims",
    "top10_share": "concentration",
    "top10_excess": "concentration beyond chance",
    "harm_share": "share of harm",
    "rate_per_1000_a_year": "rate per 1,000 residents",
}


def scale_names(names) -> list[str]:
    """Indicator names as words: ``public_concern`` -> ``public concern``.

    Examples
    --------
    >>> scale_names(["vulnerability", "public_concern", "top10_excess"])
    ['vulnerability', 'public concern', 'concentration beyond chance']
    """
    return [SCALE_NAMES.get(str(n), str(n).replace("_", " ")) for n in names]


def unscored_text(unscored, scale: tuple[int, int]) -> str:
    """Which scales no theme was scored on, and what robustness then means (empty when
    every scale was scored). Said before anything is called robust.

    Examples
    --------
    >>> print(unscored_text(["vulnerability", "public_concern"], (1, 5)))
    ... # doctest: +NORMALIZE_WHITESPACE
    Not scored for any theme: vulnerability and public concern. Their values are unknown, so
    the ranking is called robust only where it holds whatever values they take (each from
    1 to 5).
    """
    names = scale_names(unscored)
    if not names:
        return ""
    one = len(names) == 1
    return (
        f"Not scored for any theme: {join_names(names)}. {'Its' if one else 'Their'} "
        f"values are unknown, so the ranking is called robust only where it holds whatever "
        f"values {'it takes' if one else 'they take'} "
        f"({'' if one else 'each '}from {scale[0]} to {scale[1]})."
    )


def trend_window(monthly: pd.DataFrame, most: int) -> dict:
    """The trend window as the models used it: its first and last month with data (in any
    theme) and how many months had data, of at most ``most``.

    Parameters
    ----------
    monthly : pandas.DataFrame
        Months x themes, NaN where a month is missing
        (:func:`~csplib.chapters.priorities.trends.theme_monthly_counts`).
    most : int
        The window's length setting (``trend_months``).

    Returns
    -------
    dict
        ``first`` and ``last`` (``"Jan 2024"``; None without data), ``months_with_data``,
        ``months`` (the setting) and ``text``: the window in words, ending with the last
        month with data (not the period's end when the data stop earlier).

    Examples
    --------
    >>> idx = pd.date_range("2021-04-01", periods=36, freq="MS")
    >>> trend_window(pd.DataFrame({"A": 1.0}, index=idx), 36)["text"]
    'Apr 2021 to Mar 2024, 36 months with data'
    >>> short = pd.DataFrame({"A": [None] * 33 + [1.0, 2.0, None]}, index=idx)
    >>> trend_window(short, 36)["text"]
    'Jan 2024 to Feb 2024, 2 months with data (at most 36 are used)'
    """
    has = monthly.notna().any(axis=1) if monthly.shape[1] else pd.Series(False, monthly.index)
    n = int(has.sum())
    if n == 0:
        return {
            "first": None,
            "last": None,
            "months_with_data": 0,
            "months": most,
            "text": f"no month with data (at most {most} are used)",
        }
    months = has.index[has.to_numpy()]
    text = f"{month_span(months[0], months[-1])}, {n} month{'s' * (n != 1)} with data"
    if n < most:
        text += f" (at most {most} are used)"
    return {
        "first": f"{months[0]:%b %Y}",
        "last": f"{months[-1]:%b %Y}",
        "months_with_data": n,
        "months": most,
        "text": text,
    }


def volume_harm_title(scores: pd.DataFrame) -> str:
    """A title stating what the volume-harm chart shows (one line per theme named).

    Examples
    --------
    >>> t = pd.DataFrame({"rate_per_1000_a_year": [30.0, 3.0], "harm_per_offence": [100.0, 400.0],
    ...                   "threat": [2.0, 4.0]}, index=["Violence", "Weapons"])
    >>> print(volume_harm_title(t))
    Violence has the highest rate;
    Weapons the most harm per offence and the highest threat
    """
    t = scores.dropna(subset=["rate_per_1000_a_year", "harm_per_offence"])
    if t.empty:
        return "No theme has both a rate and a harm weight"
    parts = {
        "the highest rate": t["rate_per_1000_a_year"].idxmax(),
        "the most harm per offence": t["harm_per_offence"].idxmax(),
    }
    if "threat" in t.columns and t["threat"].notna().any():
        parts["the highest threat"] = t["threat"].idxmax()
    by_theme: dict[str, list[str]] = {}
    for what, theme in parts.items():
        by_theme.setdefault(str(theme), []).append(what)
    return ";\n".join(
        f"{theme} {'has ' if i == 0 else ''}{join_names(what)}"
        for i, (theme, what) in enumerate(by_theme.items())
    )


def rank_range_title(summary: pd.DataFrame, top_k: int, unscored=()) -> str:
    """A title stating how robust the ranking is, naming the unscored scales first.

    Examples
    --------
    >>> s = pd.DataFrame({"robust": [True, True, False]}, index=["A", "B", "C"])
    >>> rank_range_title(s, 3)
    '2 of 3 themes keep their place in or out of the top 3 under perturbed weights'
    >>> print(rank_range_title(s, 3, ["vulnerability", "public_concern"]))
    With vulnerability and public concern not scored, 2 of 3 themes keep their place
    in or out of the top 3 under perturbed weights and any values of those scales
    """
    n_robust = int(summary["robust"].sum())
    names = scale_names(unscored)
    lead = f"With {join_names(names)} not scored, " if names else ""
    under = "under perturbed weights"
    if names:
        under += f" and any values of {'that scale' if len(names) == 1 else 'those scales'}"
    if n_robust == len(summary):
        who = "every theme keeps its place" if names else "Every theme keeps its place"
    else:
        verb = "keeps its" if n_robust == 1 else "keep their"
        who = f"{n_robust} of {len(summary)} themes {verb} place"
    return f"{lead}{who}{chr(10) if names else ' '}in or out of the top {top_k} {under}"
