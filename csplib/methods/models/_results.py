"""The part every results object shares: the settings used, the method and a plain note."""

from __future__ import annotations

from typing import Any

__all__ = ["ModelResults"]


class ModelResults:
    """Base of every results object returned by a model's ``fit()``.

    Attributes
    ----------
    config : dict
        The settings actually used (arguments after defaults, plus choices the model made
        from the data, such as the baseline months or the count family). Ready-made
        provenance for an output table.
    method : str
        The method used, in words, e.g. ``"negative binomial GLM: month of year + linear
        trend"``. When the data could not support the requested model this names the
        simpler method used instead.
    note : str
        Why a simpler method was used, or anything else a reader should know (missing
        months, overdispersion). Empty when there is nothing to say.
    """

    def __init__(self, *, config: dict[str, Any], method: str, note: str = ""):
        self.config = dict(config)
        self.method = method
        self.note = note

    def __repr__(self) -> str:
        text = f"<{type(self).__name__}: {self.method}>"
        if self.note:
            text += f"\nNote: {self.note}"
        return text


def join_notes(*notes: str) -> str:
    """Join non-empty sentences into one note."""
    return " ".join(n.strip() for n in notes if n and n.strip())
