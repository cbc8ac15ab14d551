"""Read and validate an indicators table: measures that do not come from incident data.

Survey results, treatment completions, MARAC referrals, secondary fires, hospital
admissions... one row per indicator, area and period, in a UTF-8 CSV with a header naming
these columns (any order; matched after trimming spaces and ignoring case):

=================  ========  =================================================================
column             required  content
=================  ========  =================================================================
``indicator``      yes       short identifier, e.g. ``feel_safe_after_dark``
``area``           yes       area code or name, e.g. ``E06000018`` or ``Nottingham``
``period_start``   yes       first day covered, ``YYYY-MM-DD``
``period_end``     yes       last day covered, ``YYYY-MM-DD`` (on or after the start)
``numerator``      no        count (>= 0), e.g. respondents answering "safe"
``denominator``    no        base (> 0), e.g. respondents (the survey sample size)
``value``          see kind  the published figure; blank means "compute it" where possible
``source``         yes       where the figure comes from
``kind``           no        one of the kinds below; blank or absent means ``proportion``
                             when both numerator and denominator are given, else ``other``
``notes``          no        free text, kept as it is
=================  ========  =================================================================

Kinds and the rules each row must meet (numbers may carry thousands separators, ``1,234``):

=====================  ==========================================================================
kind                   rule
=====================  ==========================================================================
``count``              value >= 0; no denominator; numerator, if given, equals value
``proportion``         value in 0..1; numerator <= denominator; value = numerator / denominator
``percentage``         value in 0..100; numerator <= denominator; value = 100 x num / den
``rate_per_1000``      value >= 0; value = 1,000 x numerator / denominator
``rate_per_100000``    value >= 0; value = 100,000 x numerator / denominator
``survey``             a proportion (0..1) from a sample survey: the **denominator (sample
                       size) is required**, so a confidence interval can be computed; the
                       numerator may be left blank when the value is weighted
``other``              any finite value; no relation to numerator or denominator is checked
=====================  ==========================================================================

"value = numerator / denominator" is checked *within rounding*: the value must be within
half a unit of its last written decimal place (``0.33`` for 1/3 passes; ``0.34`` does
not). When ``value`` is blank it is computed from numerator and denominator (or equals
the numerator for a count).

Every data row is kept or rejected with a reason (rows read = kept + rejected): the
``reason`` is the first rule the row breaks, the ``detail`` lists every one. Rules:
``wrong number of fields``, ``missing required field``, ``bad date``, ``period end before
start``, ``bad number``, ``unknown kind``, ``missing value``, ``value out of range``,
``numerator exceeds denominator``, ``count with a denominator``, ``survey without sample
size``, ``value does not match numerator/denominator``, ``duplicate indicator/area/period``
(every copy is rejected). A file that cannot be read as a whole raises
:class:`~csplib.core.errors.DataError` naming the file.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np
import pandas as pd

from csplib.core.schema import INDICATOR_COLUMNS
from csplib.ingest._table import Problems, ReadResult, quoted, read_strict_csv

__all__ = ["INDICATOR_KINDS", "INDICATOR_REQUIRED", "read_indicators"]

#: Kinds of indicator and the multiplier linking value to numerator / denominator
#: (``None``: no such relation).
INDICATOR_KINDS: dict[str, float | None] = {
    "count": None,
    "proportion": 1.0,
    "percentage": 100.0,
    "rate_per_1000": 1_000.0,
    "rate_per_100000": 100_000.0,
    "survey": 1.0,
    "other": None,
}
#: Columns that must hold a value in every row.
INDICATOR_REQUIRED: tuple[str, ...] = ("indicator", "area", "period_start", "period_end", "source")

_OPTIONAL = ("kind", "notes")
_NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_THOUSANDS_RE = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_DATE_RE = r"^\d{4}-\d{2}-\d{2}$"
_UPPER = {"proportion": 1.0, "survey": 1.0, "percentage": 100.0}


def _numbers(text: pd.Series) -> tuple[pd.Series, np.ndarray, pd.Series]:
    """Parse numbers; return (values, bad mask, half-unit of the last decimal place)."""
    clean = text.where(~text.str.fullmatch(_THOUSANDS_RE.pattern), text.str.replace(",", ""))
    ok = clean.str.fullmatch(_NUMBER_RE.pattern)
    values = pd.to_numeric(clean.where(ok), errors="coerce").astype(float)
    bad = ((clean != "") & ~ok).to_numpy()

    def half_unit(t: str) -> float:
        try:
            exponent = Decimal(t).as_tuple().exponent
        except (InvalidOperation, ValueError):
            return np.nan
        return 0.5 * 10.0 ** int(exponent) if isinstance(exponent, int) else np.nan

    tolerance = clean.where(ok).map(lambda t: half_unit(t) if isinstance(t, str) else np.nan)
    return values, bad, tolerance.astype(float)


def read_indicators(path) -> ReadResult:
    """Read an indicators table, validating every row (see the module docstring).

    Parameters
    ----------
    path : str or path-like
        The table (UTF-8 CSV).

    Returns
    -------
    ReadResult
        ``data``: columns :data:`csplib.core.schema.INDICATOR_COLUMNS` then ``kind`` and
        ``notes``; periods are datetime64, numbers float (missing where blank).
        ``rejected``: the file's columns as text plus ``reason`` and ``detail``. Both
        indexed by the 1-based data row.

    Raises
    ------
    DataError
        The file is missing, empty, not UTF-8, has a wrong header or no data rows.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "indicators.csv"
    >>> _ = p.write_text(
    ...     "indicator,area,period_start,period_end,numerator,denominator,value,source,kind\\n"
    ...     "feel_safe,E06000018,2019-04-01,2020-03-31,412,1000,0.45,Survey,survey\\n"
    ...     "marac,E06000018,2019-04-01,2020-03-31,,,850,MARAC,count\\n"
    ...     "fires,E06000018,2019-04-01,2019-03-31,,,12,NFRS,count\\n")
    >>> res = read_indicators(p)
    >>> res.data[["indicator", "value"]].values.tolist()
    [['marac', 850.0]]
    >>> res.rejected["detail"].tolist()  # doctest: +NORMALIZE_WHITESPACE
    ['value does not match numerator/denominator: 0.45 given, 0.412 expected',
     'period end before start: 2019-03-31 is before 2019-04-01']
    """
    table, ragged = read_strict_csv(path, INDICATOR_COLUMNS, _OPTIONAL, what="indicators table")
    problems = Problems(table.index)
    for col in INDICATOR_REQUIRED:
        problems.add(table[col] == "", "missing required field", col)

    dates = {}
    for col in ("period_start", "period_end"):
        ok = table[col].str.fullmatch(_DATE_RE)
        dates[col] = pd.to_datetime(table[col].where(ok), format="%Y-%m-%d", errors="coerce")
        problems.add(
            dates[col].isna() & (table[col] != ""),
            "bad date",
            f"{col} " + quoted(table[col]) + " is not a date YYYY-MM-DD",
        )
    start, end = dates["period_start"], dates["period_end"]
    problems.add(
        (end < start).fillna(False),
        "period end before start",
        table["period_end"] + " is before " + table["period_start"],
    )

    num, num_bad, _ = _numbers(table["numerator"])
    den, den_bad, _ = _numbers(table["denominator"])
    value, value_bad, tolerance = _numbers(table["value"])
    for col, bad in (("numerator", num_bad), ("denominator", den_bad), ("value", value_bad)):
        problems.add(bad, "bad number", f"{col} " + quoted(table[col]) + " is not a number")
    problems.add((num < 0).to_numpy(), "bad number", "numerator must not be negative")
    problems.add((den <= 0).to_numpy(), "bad number", "denominator must be greater than 0")

    # checks on the figures themselves run only where every number is readable and sane
    sane = ~(num_bad | den_bad | value_bad | (num < 0).to_numpy() | (den <= 0).to_numpy())
    both = (num.notna() & den.notna()).to_numpy()
    given_kind = table["kind"].str.lower()
    kind = given_kind.where(given_kind != "", np.where(both, "proportion", "other"))
    problems.add(
        ~kind.isin(INDICATOR_KINDS).to_numpy(),
        "unknown kind",
        quoted(table["kind"]) + f" (expected one of {', '.join(INDICATOR_KINDS)})",
    )
    scale = kind.map(INDICATOR_KINDS).astype(float)
    is_count = (kind == "count").to_numpy()

    # compute a blank value where the numbers allow it
    expected = scale * num / den
    computed = value.isna() & pd.Series(sane, index=value.index)
    value = value.where(~computed, expected.where(scale.notna(), np.nan))
    value = value.where(~(computed & is_count), num)
    problems.add(
        (value.isna() & computed & kind.isin(INDICATOR_KINDS)).to_numpy(),
        "missing value",
        "no value, and none can be computed from numerator and denominator",
    )

    upper = kind.map(_UPPER).astype(float)
    lower_bound = np.where(kind == "other", -np.inf, 0.0)
    out_of_range = ~computed & ((value < lower_bound) | (value > upper.fillna(np.inf)))
    problems.add(
        out_of_range.to_numpy() & sane,
        "value out of range",
        "value "
        + quoted(table["value"])
        + " for kind "
        + kind
        + " (expected "
        + kind.map({"proportion": "0..1", "survey": "0..1", "percentage": "0..100"}).fillna(">= 0")
        + ")",
    )
    problems.add(
        (upper.notna() & (num > den)).to_numpy() & sane,
        "numerator exceeds denominator",
        table["numerator"] + " > " + table["denominator"],
    )
    problems.add(
        is_count & den.notna().to_numpy(), "count with a denominator", "leave denominator blank"
    )
    problems.add(
        ((kind == "count") & num.notna() & value.notna() & (num != value)).to_numpy() & sane,
        "value does not match numerator/denominator",
        "a count's numerator " + table["numerator"] + " differs from value " + table["value"],
    )
    problems.add(
        ((kind == "survey") & den.isna()).to_numpy() & ~den_bad,
        "survey without sample size",
        "give the sample size as denominator",
    )
    slack = tolerance.fillna(0.0) + 1e-9 * expected.abs().clip(lower=1.0)
    mismatch = scale.notna() & expected.notna() & ~computed & ((value - expected).abs() > slack)
    problems.add(
        mismatch.to_numpy() & sane,
        "value does not match numerator/denominator",
        table["value"] + " given, " + expected.map(lambda x: f"{x:.4g}") + " expected",
    )

    key_cols = ["indicator", "area", "period_start", "period_end"]
    key = table[key_cols].agg("|".join, axis=1)
    dup = key.duplicated(keep=False) & (table[key_cols] != "").all(axis=1)
    if dup.any():
        rows_of = (
            key.index.to_series().groupby(key.to_numpy()).agg(lambda s: ", ".join(map(str, s)))
        )
        problems.add(dup, "duplicate indicator/area/period", "rows " + key.map(rows_of))

    keep, rejected = problems.split(table, ragged)
    data = pd.DataFrame(index=table.index[keep])
    data["indicator"] = table["indicator"][keep]
    data["area"] = table["area"][keep]
    data["period_start"] = start[keep]
    data["period_end"] = end[keep]
    data["numerator"] = num[keep]
    data["denominator"] = den[keep]
    data["value"] = value[keep].astype(float)
    data["source"] = table["source"][keep]
    data["kind"] = kind[keep].astype("str")
    data["notes"] = table["notes"][keep].replace("", np.nan).astype("str")
    data = data[[*INDICATOR_COLUMNS, "kind", "notes"]]
    data.attrs["source_file"] = Path(path).name
    return ReadResult(data, rejected)
