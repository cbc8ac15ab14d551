"""A measure's target, as a partnership's framework file declares it (``targets:``).

A target says: change the value by ``change`` against a **baseline** period, by the end of an
**assessment** period, e.g. "reduce ASB by 25% against the 2018/19 baseline, assessed over
2019-23" is ``baseline: 2018/19``, ``change: -25%``, ``assessment: 2019/20 - 2022/23``.
``-10%`` is a relative change (16.3% becomes 14.67%); ``-2pp`` is a change in percentage
points (for percentage measures); ``0%`` (or ``maintain``) means "at least hold the
baseline". Tracking a measure against its target is :mod:`csplib.methods.measures.tracking`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from csplib.core.errors import DefinitionError, ParamsError
from csplib.core.periods import Period

__all__ = ["Target"]


@dataclass(frozen=True)
class Target:
    """A target: change a measure by ``change`` from a baseline over an assessment period.

    Parameters
    ----------
    baseline : Period
        The baseline period (e.g. financial year 2018/19).
    change : float
        The change sought: a fraction for ``change_type="relative"`` (``-0.25`` = -25%), or
        percentage points for ``change_type="points"``.
    assessment : Period
        The period over which the target is assessed (e.g. ``2019/20 - 2022/23``); the
        target value is due at its end.
    change_type : {"relative", "points"}
    text : str, optional
        Wording shown in the performance table ("Reduce ASB by 25%"); made up from the
        change when absent.

    Examples
    --------
    >>> t = Target.from_spec({"baseline": "2018/19", "change": "-25%",
    ...                       "assessment": "2019/20 - 2022/23"}, measure="asb")
    >>> t.target_value(14840)
    11130.0
    >>> t.text
    'Reduce by 25%'
    """

    baseline: Period
    change: float
    assessment: Period
    change_type: str = "relative"
    text: str = ""

    def __post_init__(self):
        if self.change_type not in ("relative", "points"):
            raise ParamsError(
                f"change_type must be 'relative' or 'points', got {self.change_type!r}"
            )
        if self.assessment.end <= self.baseline.end:
            raise ParamsError(
                f"the assessment period {self.assessment.label} must end after the baseline "
                f"{self.baseline.label}"
            )
        if not self.text:
            object.__setattr__(self, "text", self._default_text())

    def _default_text(self) -> str:
        if self.change == 0:
            return "Maintain performance"
        size = abs(self.change) * 100 if self.change_type == "relative" else abs(self.change)
        suffix = "%" if self.change_type == "relative" else "pp"
        verb = "Reduce" if self.change < 0 else "Increase"
        return f"{verb} by {size:g}{suffix}"

    @classmethod
    def from_spec(cls, spec, measure: str = "?") -> Target:
        """Build a target from its registry entry, raising :class:`DefinitionError`.

        ``spec`` keys: ``baseline`` (period label), ``change`` (``"-25%"``, ``"-2pp"``,
        ``"0%"`` or ``"maintain"``), ``assessment`` (period label), optional ``text``.
        """

        def fail(problem):
            raise DefinitionError(f"measure '{measure}': target: {problem}")

        if not isinstance(spec, dict):
            fail(f"expected a mapping with baseline, change and assessment, got {spec!r}")
        unknown = set(spec) - {"baseline", "change", "assessment", "text"}
        if unknown:
            fail(
                f"unknown key(s) {', '.join(sorted(map(str, unknown)))}; expected baseline, "
                "change, assessment and optionally text"
            )
        for key in ("baseline", "change", "assessment"):
            if key not in spec:
                fail(f"missing '{key}'")
        try:
            baseline = Period.parse(str(spec["baseline"]))
            assessment = Period.parse(str(spec["assessment"]))
        except ParamsError as exc:
            fail(str(exc))
        change, change_type = _parse_change(spec["change"], fail)
        text = spec.get("text") or ""
        if not isinstance(text, str):
            fail(f"text must be a string, got {text!r}")
        try:
            return cls(baseline, change, assessment, change_type, text)
        except ParamsError as exc:
            fail(str(exc))

    def target_value(self, baseline_value: float) -> float:
        """The value the target asks for, given the baseline value."""
        if self.change_type == "relative":
            return baseline_value * (1 + self.change)
        return baseline_value + self.change

    def to_spec(self) -> dict:
        """The registry form of this target."""
        if self.change_type == "relative":
            change = f"{self.change * 100:+g}%"
        else:
            change = f"{self.change:+g}pp"
        return {
            "baseline": self.baseline.label,
            "change": change,
            "assessment": self.assessment.label,
            "text": self.text,
        }


def _parse_change(value, fail):
    if isinstance(value, str):
        text = value.strip().lower().replace(" ", "")
        if text in ("maintain", "hold"):
            return 0.0, "relative"
        m = re.fullmatch(r"([+-]?\d+(?:\.\d+)?)(%|pp)", text)
        if m:
            number = float(m.group(1))
            if m.group(2) == "%":
                if number <= -100:
                    fail(f"change {value!r} would take the value to zero or below")
                return number / 100, "relative"
            return number, "points"
    fail(f"change {value!r} must be written like '-25%', '-2pp', '0%' or 'maintain'")
