"""Significance tests behind a direction of travel, on plain numbers.

:func:`poisson_test` (two Poisson counts with their exposures: the exact conditional
binomial test, or its normal approximation for very large counts) and
:func:`survey_difference_ci` (the confidence interval of the difference of two survey
proportions). :mod:`csplib.methods.measures.change` uses them to compare a measure between
two periods; the rules are set out there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real

from scipy import stats

from csplib.core.errors import ParamsError

__all__ = [
    "EXACT_LIMIT",
    "TestResult",
    "check_alpha",
    "check_count",
    "poisson_test",
    "survey_difference_ci",
]

#: Above this total count the Poisson comparison uses the normal approximation (auto).
EXACT_LIMIT = 1_000_000


@dataclass(frozen=True)
class TestResult:
    """Outcome of a significance test of a change.

    Attributes
    ----------
    name : str
        The test used, e.g. ``"exact Poisson (conditional binomial)"``.
    p_value : float
        Two-sided p-value (NaN when nothing can be tested).
    significant : bool
    ci : tuple of float or None
        Confidence interval for the difference (survey, harm), in the measure's unit.
    """

    __test__ = False  # not a pytest test class, despite its name

    name: str
    p_value: float
    significant: bool
    ci: tuple[float, float] | None = None


def check_alpha(alpha) -> None:
    """Raise ParamsError unless ``alpha`` is a significance level between 0 and 1."""
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise ParamsError(f"alpha must be between 0 and 1, got {alpha!r}")


def check_count(x, name: str) -> int:
    """``x`` as an int; ParamsError naming ``name`` unless it is a whole number >= 0."""
    if isinstance(x, bool) or not isinstance(x, Real) or not x >= 0 or x != int(x):
        raise ParamsError(f"{name} must be a whole number of at least 0, got {x!r}")
    return int(x)


def poisson_test(
    x1, x2, exposure1: float = 1.0, exposure2: float = 1.0, *, method: str = "auto"
) -> tuple[float, str]:
    """Two-sided test that two Poisson counts come from the same rate.

    Parameters
    ----------
    x1, x2 : int
        The counts (current, previous).
    exposure1, exposure2 : float
        Their exposures (e.g. months x residents); equal exposures compare counts directly.
    method : {"auto", "exact", "normal"}
        ``exact``: conditional binomial test (:func:`scipy.stats.binomtest`); ``normal``:
        its normal approximation; ``auto``: exact unless x1 + x2 > ``EXACT_LIMIT``.

    Returns
    -------
    (p_value, name of the test used)

    Examples
    --------
    >>> p, name = poisson_test(155, 174)
    >>> round(p, 3), name
    (0.321, 'exact Poisson (conditional binomial)')
    """
    x1, x2 = check_count(x1, "x1"), check_count(x2, "x2")
    if not (exposure1 > 0 and exposure2 > 0):
        raise ParamsError(f"exposures must be positive, got {exposure1!r} and {exposure2!r}")
    if method not in ("auto", "exact", "normal"):
        raise ParamsError(f"method must be 'auto', 'exact' or 'normal', got {method!r}")
    n = x1 + x2
    p0 = exposure1 / (exposure1 + exposure2)
    if method == "auto":
        method = "exact" if n <= EXACT_LIMIT else "normal"
    if method == "exact":
        name = "exact Poisson (conditional binomial)"
        if n == 0:
            return 1.0, name
        return float(stats.binomtest(x1, n, p0).pvalue), name
    name = "Poisson (normal approximation)"
    if n == 0:
        return 1.0, name
    z = (x1 - n * p0) / math.sqrt(n * p0 * (1 - p0))
    return float(2 * stats.norm.sf(abs(z))), name


def survey_difference_ci(
    p1: float, n1: float, p2: float, n2: float, *, alpha: float = 0.05, design_effect: float = 1.0
) -> tuple[float, float]:
    """Confidence interval for p1 - p2 from two independent survey samples (proportions 0-1).

    Examples
    --------
    >>> lo, hi = survey_difference_ci(0.092, 2000, 0.085, 2000)
    >>> round(lo, 4), round(hi, 4)
    (-0.0106, 0.0246)
    """
    check_alpha(alpha)
    for p in (p1, p2):
        if not 0 <= p <= 1:
            raise ParamsError(f"survey proportions must be between 0 and 1, got {p!r}")
    for n in (n1, n2):
        if not n > 0:
            raise ParamsError(f"survey sample sizes must be positive, got {n!r}")
    if not design_effect > 0:
        raise ParamsError(f"design_effect must be positive, got {design_effect!r}")
    se = math.sqrt(design_effect * (p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2))
    z = stats.norm.ppf(1 - alpha / 2)
    d = p1 - p2
    return float(d - z * se), float(d + z * se)
