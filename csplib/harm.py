"""Harm: offence weights, their roll-up to police.uk categories, harm-weighted counts.

Weights
-------
By default the weights are the ONS **Crime Severity Score** (CSS) weights by Home Office
offence code (``harm/ons_css_weights_by_offence_code.csv`` in the reference directory; its
comment header gives the provenance). Any other table of the same shape (an offence code
column and a weight column, e.g. the Cambridge Crime Harm Index) can be read with
:func:`load_weights`, which checks every row.

Roll-up to police.uk categories
-------------------------------
police.uk data carry a category, not an offence code. A category's weight is the average of
its codes' weights over the force's **offence mix** (Home Office recorded crime by offence
code)::

    weight(category) = sum over codes c in the category of  weight(c) x n(c) / N

where n(c) is the number of offences of code c and N the number of the category's offences
*whose code has a weight* (codes without a weight are left out of the mix and listed in the
result, with the share of offences covered). Exceptions, always reported in ``note`` and never
turned into a zero:

* **Anti-social behaviour** has no offence codes and no CSS weight: harm for ASB is not
  defined by the CSS, so its weight is NaN and ASB is left out of harm totals and shares.
* **Other crime**: fraud (Action Fraud, CIFAS, UK Finance codes) is recorded nationally,
  not by forces; it is neither in a force's offence mix nor in the CSS table, and police.uk
  "Other crime" holds no fraud either, so the roll-up covers the force's miscellaneous
  crimes only.
* A category with no offences in the mix gets NaN.

When the rows carry Home Office offence codes (a partner extract), pass ``code_weights=``:
each row is weighted by its own code directly, which is more exact than the category
average. A row whose code has no weight stays unweighted (NaN): it does not take its
category's average, which would misstate offences the weights table leaves out on purpose.

Crime Severity Score
--------------------
ONS defines the CSS of an area as the sum of offences x weights divided by the **number of
residents** (not per 1,000): e.g. 10.1 for England and Wales in 2015/16, which is about
4.5 million offences with a mean weight near 130 (days of custody equivalent) over 58 million
people. :func:`crime_severity_score` follows that convention (``per=1``); pass ``per=1000``
for a score per 1,000 residents.

Examples
--------
>>> w = css_weights("data/reference")
>>> mix = load_offence_mix(
...     "data/reference/home_office/recorded_crime_nottinghamshire_offence_2017-18.csv")
>>> cat = roll_up_weights(w, mix)
>>> round(float(cat.loc["Burglary", "weight"]), 1), bool(pd.isna(cat.loc[ASB, "weight"]))
(381.7, True)
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pandas as pd

from csplib.errors import DataError, DefinitionError, ParamsError
from csplib.ingest.partner import (
    OFFENCE_CODES_FILE,
    load_offence_codes,
    normalise_offence_code,
    offence_code_keys,
)
from csplib.metrics.periods import financial_year_of, months_present
from csplib.schema import ASB, POLICE_UK_CATEGORIES
from csplib.themes import _in_period, as_themes, theme_incidents, theme_sources

__all__ = [
    "CSS_WEIGHTS_FILE",
    "NOTES",
    "load_weights",
    "css_weights",
    "load_offence_mix",
    "roll_up_weights",
    "incident_weights",
    "harm_table",
    "theme_harm",
    "crime_severity_score",
    "harm_series",
]

#: The ONS CSS weights, relative to the reference directory.
CSS_WEIGHTS_FILE = "harm/ons_css_weights_by_offence_code.csv"

#: Notes attached to categories whose weight needs explaining.
NOTES: dict[str, str] = {
    ASB: (
        "ASB incidents are not notifiable crimes and have no offence code or CSS weight: "
        "harm for ASB is not defined by the CSS, so it is left out of harm (NaN), not zero"
    ),
    "Other crime": (
        "fraud (Action Fraud, CIFAS, UK Finance codes) is recorded nationally, not by the "
        "force: it is in neither the offence mix nor the CSS table (nor in police.uk Other "
        "crime), so the weight covers the force's miscellaneous crimes only"
    ),
}

_CODE_COLUMNS = ("ho_offence_code", "offence_code", "code")
_WEIGHT_COLUMNS = ("css_weight", "weight", "harm_weight", "chi_weight")
_CATEGORY_COLUMNS = ("police_uk_category", "policeuk_cat", "police.uk_cat", "category")
_LABEL_COLUMNS = (
    "ons_css_offence_label",
    "prc_offence_description",
    "offence_description",
    "description",
    "label",
)
_CATEGORY_KEYS = {c.casefold(): c for c in POLICE_UK_CATEGORIES}


# ----------------------------------------------------------------------------- helpers
def _category(name) -> str | None:
    if name is None or (isinstance(name, float) and math.isnan(name)):
        return None
    return _CATEGORY_KEYS.get(" ".join(str(name).split()).casefold())


def _read_csv(path, what: str) -> pd.DataFrame:
    """A CSV as text columns; lines starting with ``#`` are comments (provenance headers)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DataError(f"{what} not found", path=path) from None
    except UnicodeDecodeError as exc:
        raise DataError(f"{what} is not UTF-8 text ({exc.reason})", path=path) from None
    except OSError as exc:
        raise DataError(f"cannot read the {what}: {exc}", path=path) from None
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("#")]
    if not any(ln.strip() for ln in lines):
        raise DataError(f"{what} is empty", path=path)
    try:
        raw = pd.read_csv(io.StringIO("\n".join(lines)), dtype=str, keep_default_na=False)
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"cannot read the {what} as CSV: {exc}", path=path) from None
    raw.columns = [str(c).strip() for c in raw.columns]
    if raw.empty:
        raise DataError(f"{what} has a header but no data rows", path=path)
    return raw


def _pick(raw, given, candidates, what, path, *, required=True) -> str | None:
    lower = {c.casefold(): c for c in raw.columns}
    if given is not None:
        if given.casefold() not in lower:
            raise DataError(
                f"no column {given!r} (the {what}); columns are {', '.join(raw.columns)}",
                path=path,
            )
        return lower[given.casefold()]
    for cand in candidates:
        if cand in lower:
            return lower[cand]
    if required:
        raise DataError(
            f"no {what} column: expected one of {', '.join(candidates)}; columns are "
            f"{', '.join(raw.columns)}",
            path=path,
        )
    return None


def _number(text: str) -> float | None:
    try:
        return float(str(text).strip().replace(",", ""))
    except ValueError:
        return None


def _offence_code_table(offence_codes) -> pd.DataFrame | None:
    if offence_codes is None or isinstance(offence_codes, pd.DataFrame):
        return offence_codes
    return load_offence_codes(offence_codes)


# ----------------------------------------------------------------------------- weights
def load_weights(
    path,
    *,
    offence_codes=None,
    code_column: str | None = None,
    weight_column: str | None = None,
    scheme: str | None = None,
) -> pd.DataFrame:
    """Read and check an offence-code weights table (CSS, Cambridge Crime Harm Index, ...).

    Lines starting with ``#`` are comments. Column names are matched ignoring case; the
    code column is the first of ``ho_offence_code``, ``offence_code``, ``code`` and the weight
    column the first of ``css_weight``, ``weight``, ``harm_weight``, ``chi_weight`` (or name
    them). An optional ``police_uk_category`` (or ``category``) column gives the category of
    codes the Home Office list lacks. A joined code (``1/4.1/4.10/4.2``) applies to each part.

    Parameters
    ----------
    path : str or path-like
    offence_codes : pandas.DataFrame or path, optional
        The Home Office offence code list (:func:`csplib.ingest.partner.load_offence_codes`).
        When given, every code must be in it or carry a police.uk category in the file.
    code_column, weight_column : str, optional
    scheme : str, optional
        Name of the weighting scheme, recorded in ``attrs["scheme"]``.

    Returns
    -------
    pandas.DataFrame
        Index ``offence_code`` (normalised: upper case, no leading zeros); columns ``weight``
        (float), ``category`` (police.uk category: from the Home Office list, else the
        file's), ``label`` and ``row`` (1-based data row). ``attrs``: ``source``, ``scheme``.

    Raises
    ------
    DataError
        Naming the file and data row (comment lines are not counted): missing columns or
        codes, a weight that is not a finite number >= 0, a code given two different weights,
        an unknown code, a category that is not a police.uk category.

    Examples
    --------
    >>> w = load_weights("data/reference/" + CSS_WEIGHTS_FILE)
    >>> round(float(w.loc["105A", "weight"]), 2), w.loc["105A", "category"]
    (13.51, 'Violence and sexual offences')
    """
    path = Path(path)
    raw = _read_csv(path, "weights table")
    code_col = _pick(raw, code_column, _CODE_COLUMNS, "offence code", path)
    weight_col = _pick(raw, weight_column, _WEIGHT_COLUMNS, "weight", path)
    cat_col = _pick(raw, None, _CATEGORY_COLUMNS, "category", path, required=False)
    label_col = _pick(raw, None, _LABEL_COLUMNS, "label", path, required=False)
    codes = _offence_code_table(offence_codes)
    known = {} if codes is None else codes["category"].to_dict()

    records: dict[str, dict] = {}
    for i, rec in enumerate(raw.to_dict("records"), start=1):
        code = normalise_offence_code(rec[code_col])
        if not code:
            raise DataError("missing offence code", path=path, row=i)
        text = rec[weight_col]
        weight = _number(text)
        if weight is None or not math.isfinite(weight):
            raise DataError(
                f"weight {text!r} for offence code {code} is not a number", path=path, row=i
            )
        if weight < 0:
            raise DataError(
                f"negative weight {weight:g} for offence code {code}: weights must be >= 0",
                path=path,
                row=i,
            )
        file_cat = None
        if cat_col is not None and rec[cat_col].strip():
            file_cat = _category(rec[cat_col])
            if file_cat is None:
                raise DataError(
                    f"category {rec[cat_col]!r} is not a police.uk category", path=path, row=i
                )
        keys = offence_code_keys(code)
        category = next((known[k] for k in keys if k in known), None) or file_cat
        if codes is not None and category is None:
            raise DataError(
                f"unknown offence code {code!r}: not in the Home Office offence code list and "
                "no police.uk category given",
                path=path,
                row=i,
            )
        label = rec[label_col].strip() if label_col else ""
        for key in keys:
            if key in records and not math.isclose(records[key]["weight"], weight):
                prev = records[key]
                raise DataError(
                    f"offence code {key} has two weights: {prev['weight']:g} (row "
                    f"{prev['row']}) and {weight:g}",
                    path=path,
                    row=i,
                )
            if key not in records or key == code:
                records[key] = {
                    "offence_code": key,
                    "weight": weight,
                    "category": category,
                    "label": label or None,
                    "row": i,
                }
    out = pd.DataFrame(list(records.values())).set_index("offence_code")
    out["weight"] = out["weight"].astype(float)
    out["row"] = out["row"].astype(int)
    out["category"] = out["category"].astype("str")
    out["label"] = out["label"].astype("str")
    out.attrs = {"source": str(path), "scheme": scheme or path.stem}
    return out


def css_weights(reference_dir) -> pd.DataFrame:
    """The ONS Crime Severity Score weights shipped in the reference directory, checked.

    Examples
    --------
    >>> w = css_weights("data/reference")
    >>> w.attrs["scheme"], round(w.loc["4.1", "weight"])
    ('ONS Crime Severity Score', 7973)
    """
    ref = Path(reference_dir)
    return load_weights(
        ref / CSS_WEIGHTS_FILE,
        offence_codes=ref / OFFENCE_CODES_FILE,
        scheme="ONS Crime Severity Score",
    )


# ----------------------------------------------------------------------------- offence mix
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
            table = table[values.str.casefold() == str(wanted).strip().casefold()]
            if table.empty:
                raise DataError(
                    f"no rows with {_MIX_OPTIONAL[key]} {wanted!r}; the file has "
                    f"{', '.join(sorted(values.unique()))}",
                    path=path,
                )
        elif values.nunique() > 1:
            raise DataError(
                f"the file holds several {_MIX_OPTIONAL[key]} values "
                f"({', '.join(sorted(values.unique()))}): pass {key}=",
                path=path,
            )
    for row, rec in table.iterrows():
        n = _number(rec["offences"])
        if n is None or not math.isfinite(n) or n < 0 or n != int(n):
            raise DataError(
                f"Number_of_Offences {rec['offences']!r} is not a whole number >= 0",
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


def _as_code_weights(weights) -> pd.Series:
    """Offence code -> weight, codes normalised and joined codes split into parts."""
    if isinstance(weights, pd.DataFrame):
        if "weight" not in weights.columns:
            raise ParamsError("code weights need a 'weight' column indexed by offence code")
        weights = weights["weight"]
    series = pd.Series(weights, dtype=float)
    out: dict[str, float] = {}
    for code, w in series.items():
        if not (w >= 0):  # catches NaN too
            raise DefinitionError(f"weight of offence code {code!r} must be a number >= 0")
        norm = normalise_offence_code(code)
        for key in offence_code_keys(norm):
            if key == norm or key not in out:
                out[key] = float(w)
    return pd.Series(out, dtype=float, name="weight")


def _lookup_codes(codes: pd.Series, weights: pd.Series) -> pd.Series:
    """Weight of each code; a joined code not listed whole takes its parts' common weight."""
    distinct = codes.unique()  # normalise each distinct code once (fast on big tables)
    norm = codes.map(
        {c: normalise_offence_code(c) if isinstance(c, str) and c.strip() else "" for c in distinct}
    )
    found = norm.map(weights)
    joined = found.isna() & norm.str.contains("/", regex=False)
    for idx in found.index[joined.to_numpy()]:
        parts = norm[idx].split("/")
        values = {weights.get(p) for p in parts}
        if len(values) == 1 and None not in values:
            found[idx] = values.pop()
    return found.astype(float)


def roll_up_weights(weights, mix: pd.DataFrame) -> pd.DataFrame:
    """Weight of each police.uk category: its codes' weights averaged over the offence mix.

    See the module notes for the rule and its exceptions (ASB, fraud, empty categories).

    Parameters
    ----------
    weights : pandas.DataFrame or Series or mapping
        Offence code -> weight (as from :func:`load_weights`).
    mix : pandas.DataFrame
        As from :func:`load_offence_mix`: index ``offence_code``, columns ``category``,
        ``offences``.

    Returns
    -------
    pandas.DataFrame
        Index ``category`` (every police.uk category); columns ``weight`` (NaN where not
        defined), ``offences``, ``offences_weighted``, ``coverage`` (% of the category's
        offences whose code has a weight), ``codes`` (codes with offences),
        ``codes_without_weight`` and ``note``.

    Examples
    --------
    >>> mix = pd.DataFrame({"category": ["Burglary", "Burglary", "Robbery"],
    ...                     "offences": [30, 10, 5]}, index=["28E", "30C", "34B"])
    >>> out = roll_up_weights({"28E": 100.0, "30C": 20.0}, mix)
    >>> float(out.loc["Burglary", "weight"]), bool(pd.isna(out.loc["Robbery", "weight"]))
    (80.0, True)
    >>> out.loc["Robbery", "codes_without_weight"]
    '34B (5)'
    """
    code_w = _as_code_weights(weights)
    for col in ("category", "offences"):
        if col not in mix.columns:
            raise ParamsError(f"the offence mix needs a {col!r} column (see load_offence_mix)")
    mix = mix.assign(
        weight=_lookup_codes(pd.Series(mix.index.astype(str), index=mix.index), code_w)
    )
    mix = mix[mix["offences"] > 0]
    rows = []
    for cat in POLICE_UK_CATEGORIES:
        part = mix[mix["category"] == cat]
        has_w = part["weight"].notna()
        n_all = float(part["offences"].sum())
        n_w = float(part.loc[has_w, "offences"].sum())
        weight = float((part["weight"] * part["offences"])[has_w].sum() / n_w) if n_w else np.nan
        missing = part[~has_w]
        notes = []
        if cat in NOTES:
            notes.append(NOTES[cat])
        if n_all == 0 and cat != ASB:
            notes.append("no offences of this category in the offence mix: no weight")
        if len(missing):
            notes.append(
                f"{len(missing)} code(s) without a weight left out of the mix "
                f"({n_all - n_w:g} offences)"
            )
        rows.append(
            {
                "category": cat,
                "weight": weight,
                "offences": n_all,
                "offences_weighted": n_w,
                "coverage": 100 * n_w / n_all if n_all else np.nan,
                "codes": len(part),
                "codes_without_weight": ", ".join(
                    f"{c} ({n:g})" for c, n in missing["offences"].items()
                ),
                "note": "; ".join(notes),
            }
        )
    out = pd.DataFrame(rows).set_index("category")
    out.attrs = {
        "scheme": getattr(weights, "attrs", {}).get("scheme", ""),
        "mix": dict(mix.attrs),
    }
    return out


# ----------------------------------------------------------------------------- weighting rows
def _as_category_weights(category_weights) -> pd.Series:
    if isinstance(category_weights, pd.DataFrame):
        if "weight" not in category_weights.columns:
            raise ParamsError("category weights need a 'weight' column (see roll_up_weights)")
        category_weights = category_weights["weight"]
    series = pd.Series(category_weights, dtype=float)
    for cat, w in series.items():
        if cat not in POLICE_UK_CATEGORIES:
            raise DefinitionError(
                f"category weights: {cat!r} is not a police.uk category "
                f"(expected one of {', '.join(POLICE_UK_CATEGORIES)})"
            )
        if not (w >= 0) and not math.isnan(w):
            raise DefinitionError(f"category weights: {cat}: expected a number >= 0, got {w}")
    return series


def incident_weights(rows: pd.DataFrame, *, category_weights=None, code_weights=None):
    """The harm weight of each row (NaN where harm is not defined).

    Rows with an ``offence_code`` are weighted by their code when ``code_weights`` is given
    (a code without a weight stays NaN); other rows by their category's rolled-up weight
    (``category_weights``; ASB is NaN).

    Returns
    -------
    pandas.Series
        Float, aligned with ``rows``, named ``harm_weight``.

    Examples
    --------
    >>> rows = pd.DataFrame({"category": ["Burglary", ASB, "Robbery"],
    ...                      "offence_code": [None, None, "34B"]})
    >>> incident_weights(rows, category_weights={"Burglary": 80.0, ASB: float("nan")},
    ...                  code_weights={"34B": 150.0}).tolist()
    [80.0, nan, 150.0]
    """
    if category_weights is None and code_weights is None:
        raise ParamsError("pass category_weights= or code_weights= to weight incidents")
    out = pd.Series(np.nan, index=rows.index, dtype=float, name="harm_weight")
    has_code = pd.Series(False, index=rows.index)
    if code_weights is not None and "offence_code" in rows.columns:
        codes = rows["offence_code"]
        has_code = codes.notna() & (codes.astype("str").str.strip() != "")
        out[has_code] = _lookup_codes(codes[has_code].astype("str"), _as_code_weights(code_weights))
    if category_weights is not None:
        if "category" not in rows.columns:
            raise DataError("incidents have no 'category' column to weight by")
        by_cat = rows["category"].map(_as_category_weights(category_weights)).astype(float)
        out[~has_code] = by_cat[~has_code]
    return out


def _weighted(rows, category_weights, code_weights) -> pd.DataFrame:
    return rows.assign(
        harm_weight=incident_weights(
            rows, category_weights=category_weights, code_weights=code_weights
        )
    )


def _summarise(groups) -> pd.DataFrame:
    out = groups.agg(
        count=("harm_weight", "size"),
        weighted=("harm_weight", "count"),
        harm=("harm_weight", "sum"),
    )
    out["count"] = out["count"].astype(float)
    out["weighted"] = out["weighted"].astype(float)
    out["unweighted"] = out["count"] - out["weighted"]
    out.loc[out["weighted"] == 0, "harm"] = np.nan
    return out


def _shares(out: pd.DataFrame, total_weighted: float, total_harm: float) -> pd.DataFrame:
    out["harm_per_offence"] = out["harm"] / out["weighted"].where(out["weighted"] > 0)
    out["volume_share"] = 100 * out["weighted"] / total_weighted if total_weighted else np.nan
    out["harm_share"] = 100 * out["harm"] / total_harm if total_harm else np.nan
    out["harm_volume_ratio"] = out["harm_share"] / out["volume_share"].where(
        out["volume_share"] > 0
    )
    cols = [
        "count",
        "weighted",
        "unweighted",
        "harm",
        "harm_per_offence",
        "volume_share",
        "harm_share",
        "harm_volume_ratio",
    ]
    return out[cols]


def harm_table(
    rows: pd.DataFrame,
    *,
    category_weights=None,
    code_weights=None,
    by: str = "category",
    period=None,
    total: bool = True,
) -> pd.DataFrame:
    """Harm-weighted counts, and harm share against volume share, by category (or ``by``).

    Shares are taken over the rows that have a weight (crime; ASB and unweighted codes are
    counted in ``count`` and ``unweighted`` but left out of both shares), so the two shares
    describe the same crimes.

    Returns
    -------
    pandas.DataFrame
        Index the ``by`` groups (plus ``All`` when ``total``); columns ``count``,
        ``weighted``, ``unweighted``, ``harm`` (sum of weights), ``harm_per_offence``,
        ``volume_share`` and ``harm_share`` (% of all weighted rows / of all harm) and
        ``harm_volume_ratio`` (harm share / volume share: above 1, more harmful than its
        volume suggests).

    Examples
    --------
    >>> rows = pd.DataFrame({"category": ["Burglary"] * 3 + ["Shoplifting"] * 2 + [ASB]})
    >>> t = harm_table(rows, category_weights={"Burglary": 100.0, "Shoplifting": 5.0})
    >>> t.loc["Burglary", ["harm", "volume_share"]].round(1).tolist()
    [300.0, 60.0]
    >>> round(float(t.loc["Burglary", "harm_share"]), 2), float(t.loc[ASB, "unweighted"])
    (96.77, 1.0)
    """
    rows = _weighted(_in_period(rows, period), category_weights, code_weights)
    if by not in rows.columns:
        raise DataError(f"incidents have no column {by!r} to group by")
    out = _summarise(rows.groupby(by, sort=True, dropna=False))
    tw, th = float(out["weighted"].sum()), float(out["harm"].sum())
    if total:
        out.loc["All"] = [out["count"].sum(), tw, th, out["unweighted"].sum()]
    out = _shares(out, tw, th)
    out.index.name = by
    return out


def theme_harm(
    themes,
    incidents: pd.DataFrame,
    partner: pd.DataFrame | None = None,
    *,
    category_weights=None,
    code_weights=None,
    period=None,
) -> pd.DataFrame:
    """Harm of each theme, and its harm share against its volume share.

    Rows are selected by :func:`csplib.themes.theme_incidents` and weighted by
    :func:`incident_weights` (partner rows by their offence code when ``code_weights`` is
    given). Shares are relative to all weighted rows of ``incidents`` in the period, so themes
    may overlap and their shares need not add up to 100.

    Returns
    -------
    pandas.DataFrame
        Index ``theme``; columns ``source`` then those of :func:`harm_table`.

    Examples
    --------
    >>> inc = pd.DataFrame({"category": ["Burglary"] * 3 + ["Shoplifting"] * 2})
    >>> t = theme_harm({"b": {"name": "Burglary", "categories": ["Burglary"]}}, inc,
    ...                category_weights={"Burglary": 100.0, "Shoplifting": 5.0})
    >>> t.loc["Burglary", ["harm", "volume_share"]].round(1).tolist()
    [300.0, 60.0]
    """
    specs = as_themes(themes)
    base = _weighted(_in_period(incidents, period), category_weights, code_weights)
    tw, th = float(base["harm_weight"].notna().sum()), float(base["harm_weight"].sum())
    parts = []
    for name, spec in specs.items():
        rows = theme_incidents(spec, incidents, partner, period=period)
        rows = _weighted(rows, category_weights, code_weights).assign(theme=name)
        parts.append(_summarise(rows.groupby("theme")))
        if rows.empty:
            parts[-1] = pd.DataFrame(
                {"count": [0.0], "weighted": [0.0], "harm": [np.nan], "unweighted": [0.0]},
                index=pd.Index([name], name="theme"),
            )
    out = _shares(pd.concat(parts), tw, th)
    out.insert(
        0,
        "source",
        [" + ".join(s for s, _ in theme_sources(specs[n], incidents, partner)) for n in out.index],
    )
    out.index.name = "theme"
    return out


def crime_severity_score(
    rows: pd.DataFrame,
    population,
    *,
    category_weights=None,
    code_weights=None,
    by: str | None = None,
    period=None,
    per: float = 1.0,
):
    """Crime Severity Score: sum of incident weights divided by residents (ONS convention).

    ``CSS = sum(count x weight) / population x per``, with ``per=1`` as ONS publishes it
    (see the module notes); rows without a weight (ASB, codes with no weight) are left out.

    Parameters
    ----------
    rows : pandas.DataFrame
        Incidents (``category``; ``offence_code`` when weighting by code; ``month`` when
        ``period`` is given).
    population : float or pandas.Series
        Residents; a Series indexed by the ``by`` groups (e.g. LSOA or ward) when ``by``.
    category_weights, code_weights
        As for :func:`incident_weights`.
    by : str, optional
        Column to score separately (``lsoa``, ``ward``, ...).
    period : Period or str, optional
    per : float, default 1
        1 for the ONS score per resident, 1000 for a score per 1,000 residents.

    Returns
    -------
    float or pandas.Series
        A Series named ``css`` indexed like ``population`` when ``by`` is given (groups
        without incidents score 0; groups without a population raise).

    Examples
    --------
    >>> rows = pd.DataFrame({"category": ["Burglary"] * 3 + ["Shoplifting"] * 2 + [ASB]})
    >>> w = {"Burglary": 100.0, "Shoplifting": 5.0}
    >>> crime_severity_score(rows, 1000, category_weights=w)
    0.31
    >>> crime_severity_score(rows, 1000, category_weights=w, per=1000)
    310.0
    """
    if not (isinstance(per, int | float) and per > 0):
        raise ParamsError(f"per must be a positive number, got {per!r}")
    rows = _weighted(_in_period(rows, period), category_weights, code_weights)
    if by is None:
        if isinstance(population, pd.Series) or not population > 0:
            raise DataError(f"population must be a positive number, got {population!r}")
        return float(rows["harm_weight"].sum()) / float(population) * per
    if not isinstance(population, pd.Series):
        raise DataError("with by=, population must be a Series indexed by the groups")
    if by not in rows.columns:
        raise DataError(f"incidents have no column {by!r} to group by")
    harm = rows.groupby(by)["harm_weight"].sum()
    outside = sorted(set(harm.index[harm > 0]) - set(population.index))
    if outside:
        raise DataError(
            f"{len(outside)} {by} value(s) with incidents have no population, e.g. {outside[0]}"
        )
    pop = population.astype(float)
    if (pop <= 0).any():
        raise DataError(f"population must be positive; {pop.idxmin()} has {pop.min():g}")
    out = harm.reindex(pop.index, fill_value=0.0) / pop * per
    return out.rename("css")


def harm_series(
    rows: pd.DataFrame,
    *,
    category_weights=None,
    code_weights=None,
    freq: str = "month",
    by: str | None = None,
) -> pd.DataFrame:
    """Harm over time: monthly, or by financial or calendar year.

    A month with no rows at all is a month without data (NaN), never zero harm; a month
    with rows but none of a group is zero for that group.

    Parameters
    ----------
    freq : {"month", "financial_year", "calendar_year"}
    by : str, optional
        Column to split by (e.g. ``category``): the result is then harm in wide form.

    Returns
    -------
    pandas.DataFrame
        Without ``by``: columns ``count``, ``weighted``, ``harm`` (and ``months``, the months
        with data, for years). With ``by``: one harm column per group. ``attrs["incomplete"]``
        lists years with fewer than 12 months of data.

    Examples
    --------
    >>> rows = pd.DataFrame({"month": pd.to_datetime(["2019-01-01", "2019-01-01", "2019-03-01"]),
    ...                      "category": ["Burglary", "Shoplifting", "Burglary"]})
    >>> s = harm_series(rows, category_weights={"Burglary": 100.0, "Shoplifting": 5.0})
    >>> s["harm"].tolist()
    [105.0, nan, 100.0]
    """
    kinds = ("month", "financial_year", "calendar_year")
    if freq not in kinds:
        raise ParamsError(f"freq must be one of {', '.join(kinds)}, got {freq!r}")
    if "month" not in rows.columns:
        raise DataError("incidents have no 'month' column")
    rows = _weighted(rows, category_weights, code_weights)
    present = months_present(rows["month"])
    if len(present) == 0:
        raise DataError("no incidents with a month")
    month = pd.to_datetime(rows["month"]).dt.to_period("M").dt.to_timestamp()
    all_months = pd.date_range(present[0], present[-1], freq="MS", name="month")
    if freq == "month":
        key, index = month, all_months
    else:
        if freq == "financial_year":  # label each distinct month once (fast on big tables)
            label = month.map({m: financial_year_of(m) for m in month.unique()})
        else:
            label = month.dt.year.astype(str)
        key = label.rename(freq)
        labels = pd.Series(
            [financial_year_of(m) if freq == "financial_year" else str(m.year) for m in present]
        )
        index = pd.Index(sorted(labels.unique()), name=freq)
    rows = rows.assign(_key=key.to_numpy())
    incomplete: list[str] = []
    if freq != "month":
        covered = labels.value_counts()
        incomplete = sorted(covered.index[covered < 12])
    if by is None:
        out = _summarise(rows.groupby("_key"))[["count", "weighted", "harm"]].reindex(index)
        out.loc[out["weighted"] == 0, "harm"] = 0.0  # data, but no crime with a weight
        if freq != "month":
            out["months"] = covered.reindex(index).fillna(0).astype(int)
    else:
        if by not in rows.columns:
            raise DataError(f"incidents have no column {by!r} to split by")
        out = rows.groupby(["_key", by])["harm_weight"].sum(min_count=1).unstack(by).reindex(index)
        has_data = out.index.isin(present if freq == "month" else labels.unique())
        for col in out.columns:
            if out[col].notna().any():  # a group with weights: no rows in a month with data = 0
                out.loc[has_data, col] = out.loc[has_data, col].fillna(0.0)
        out.columns.name = by
    out.index.name = "month" if freq == "month" else freq
    out.attrs = {"incomplete": incomplete}
    return out
