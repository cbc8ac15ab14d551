"""How the priorities chapter words its lists and chart titles.

Examples
--------
>>> join_names(["Drugs", "Burglary", "Robbery"])
'Drugs, Burglary and Robbery'
"""

from __future__ import annotations

import pandas as pd

__all__ = ["join_names", "volume_harm_title", "rank_range_title"]


def join_names(items) -> str:
    """Names joined as in a sentence: ``A``, ``A and B``, ``A, B and C``."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


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


def rank_range_title(summary: pd.DataFrame, top_k: int) -> str:
    """A title stating how robust the ranking is.

    Examples
    --------
    >>> s = pd.DataFrame({"robust": [True, True, False]}, index=["A", "B", "C"])
    >>> rank_range_title(s, 3)
    '2 of 3 themes keep their place in or out of the top 3 under perturbed weights'
    """
    n_robust = int(summary["robust"].sum())
    if n_robust == len(summary):
        return f"Every theme keeps its place in or out of the top {top_k} under perturbed weights"
    return (
        f"{n_robust} of {len(summary)} themes keep their place in or out of the top {top_k} "
        "under perturbed weights"
    )
