"""The offence mix: Home Office police recorded crime by offence code, for one force and
year, which weighs each offence code's harm weight within its police.uk category
(:func:`csplib.ingest.harm_weights.roll_up_weights`).

A file may hold every force and year (the Home Office's all-forces table, gzipped or not):
the parameters' ``harm.force`` and ``harm.financial_year`` choose the rows.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from csplib.core.errors import DataError
from csplib.ingest.harm_csv import _category, _number, _pick, _read_csv
from csplib.ingest.partner import (
    normalise_offence_code,
)

__all__ = ["load_offence_mix"]

_MIX_COLUMNS = {
    "offence_code": "Offence_Code",
    "offences": "Number_of_Offences",
    "category": "Policeuk_Cat",
}
_MIX_OPTIONAL = {
    "description": "Offence_Description",
    "force": "Force_Name",
    "financial_year": "Financial_Year",
}


def load_offence_mix(path, *, force: str | None = None, financial_year: str | None = None):
    """Read Home Office police recorded crime by offence code: the offence mix of a force.

    Parameters
    ----------
    path : str or path-like
        CSV with ``Offence_Code``, ``Number_of_Offences``, ``Policeuk_Cat`` and optionally
        ``Offence_Description``, ``Force_Name``, ``Financial_Year`` (names matched ignoring
        case), e.g. one row per code and quarter.
    force, financial_year : str, optional
        Keep only these rows; required when the file holds several forces or years.

    Returns
    -------
    pandas.DataFrame
        One row per offence code (quarters and repeated rows summed): index ``offence_code``;
        columns ``description``, ``category`` (police.uk) and ``offences``. ``attrs``:
        ``source``, ``force``, ``financial_year``.

    Raises
    ------
    DataError
        Naming the file (and data row): missing columns, a count that is not a whole number
        >= 0, an unknown category, a code under two categories, several forces or years.

    Examples
    --------
    >>> mix = load_offence_mix(
    ...     "data/reference/home_office/recorded_crime_nottinghamshire_offence_2017-18.csv")
    >>> int(mix["offences"].sum()), mix.attrs["force"], mix.attrs["financial_year"]
    (96327, 'Nottinghamshire', '2017/18')
    """
    path = Path(path)
    raw = _read_csv(path, "offence mix")
    cols = {k: _pick(raw, None, (v.casefold(),), v, path) for k, v in _MIX_COLUMNS.items()}
    opt = {
        k: _pick(raw, None, (v.casefold(),), v, path, required=False)
        for k, v in _MIX_OPTIONAL.items()
    }
    table = pd.DataFrame({k: raw[c] for k, c in {**cols, **opt}.items() if c is not None})
    table.index = pd.RangeIndex(1, len(table) + 1)
    for key, wanted in (("force", force), ("financial_year", financial_year)):
        if key not in table.columns:
            if wanted is not None:
                raise DataError(f"no {_MIX_OPTIONAL[key]} column to select {wanted!r}", path=path)
            continue
        values = table[key].str.strip()
        if wanted is not None:
            table = table[_same_name(values) == _same_name(pd.Series([str(wanted)])).iloc[0]]
            if table.empty:
                raise DataError(
                    f"no rows with {_MIX_OPTIONAL[key]} {wanted!r}; the file has "
                    f"{', '.join(sorted(values.unique()))}",
                    path=path,
                )
        elif values.nunique() > 1:
            raise DataError(
                f"the file holds several {_MIX_OPTIONAL[key]} values "
                f"({', '.join(sorted(values.unique()))}): name one with the parameters' "
                f"harm.{key}",
                path=path,
            )
    for row, rec in table.iterrows():
        n = _number(rec["offences"])
        # a quarter may be negative (the Home Office revises earlier quarters downwards);
        # only a code's total over the rows used must not be
        if n is None or not math.isfinite(n) or n != int(n):
            raise DataError(
                f"Number_of_Offences {rec['offences']!r} is not a whole number",
                path=path,
                row=row,
            )
        if _category(rec["category"]) is None:
            raise DataError(
                f"Policeuk_Cat {rec['category']!r} is not a police.uk category", path=path, row=row
            )
        if not normalise_offence_code(rec["offence_code"]):
            raise DataError("missing Offence_Code", path=path, row=row)
    table = table.assign(
        offence_code=table["offence_code"].map(normalise_offence_code),
        offences=table["offences"].map(_number).astype(float),
        category=table["category"].map(_category).astype("str"),
    )
    if "description" not in table.columns:
        table["description"] = ""
    by_code = table.groupby("offence_code", sort=True)
    n_cats = by_code["category"].nunique()
    if (n_cats > 1).any():
        code = n_cats[n_cats > 1].index[0]
        cats = sorted(table.loc[table["offence_code"] == code, "category"].unique())
        raise DataError(f"offence code {code} appears under {' and '.join(cats)}", path=path)
    out = by_code.agg(
        description=("description", "first"),
        category=("category", "first"),
        offences=("offences", "sum"),
    )
    if (out["offences"] < 0).any():
        code = out.index[out["offences"] < 0][0]
        raise DataError(
            f"offence code {code} has a negative total ({out.loc[code, 'offences']:.0f}) over "
            "the rows used; expected a count >= 0",
            path=path,
        )
    out.attrs = {
        "source": str(path),
        "force": table["force"].iloc[0].strip() if "force" in table.columns else force,
        "financial_year": (
            table["financial_year"].iloc[0].strip()
            if "financial_year" in table.columns
            else financial_year
        ),
    }
    return out


def _same_name(names: pd.Series) -> pd.Series:
    """Names compared without case, spacing or '&' against 'and' (the ONS lookup says
    'Devon & Cornwall', the Home Office tables 'Devon and Cornwall')."""
    return names.str.casefold().str.replace("&", " and ").str.split().str.join(" ")
