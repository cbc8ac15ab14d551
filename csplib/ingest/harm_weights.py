"""Harm weights: the offence-code weights table, the force's offence mix, and the roll-up of
the weights to police.uk categories, read and checked from the files the parameters name.

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
code, :func:`load_offence_mix`)::

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

:func:`load_harm_weights` reads both files and rolls the weights up in one step
(:class:`HarmWeights`). Weighting rows and harm tables are :mod:`csplib.methods.harm`.

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

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from csplib.core.errors import DataError, DefinitionError, ParamsError
from csplib.core.schema import ASB, POLICE_UK_CATEGORIES
from csplib.ingest.geography.lookups import la_csp_table
from csplib.ingest.harm_csv import _category, _number, _pick, _read_csv
from csplib.ingest.offence_mix import load_offence_mix
from csplib.ingest.partner import (
    OFFENCE_CODES_FILE,
    load_offence_codes,
    normalise_offence_code,
    offence_code_keys,
)

__all__ = [
    "CSS_WEIGHTS_FILE",
    "NOTES",
    "HarmWeights",
    "load_harm_weights",
    "harm_weights_of",
    "area_force",
    "load_weights",
    "css_weights",
    "load_offence_mix",
    "roll_up_weights",
    "code_weight_series",
    "lookup_code_weights",
]

#: The ONS CSS weights, relative to the reference directory.
CSS_WEIGHTS_FILE = "harm/ons_css_weights_by_offence_code.csv"

#: Notes attached to categories whose weight needs explaining.
NOTES: dict[str, str] = {
    ASB: (
        "ASB incidents are not notifiable crimes and have no offence code or CSS weight: "
        "harm for ASB is not defined by the CSS, so ASB is left out of harm (no value), not zero"
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


# ----------------------------------------------------------------------------- helpers
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


# ----------------------------------------------------------------------------- code lookup
def code_weight_series(weights) -> pd.Series:
    """Offence code -> weight, codes normalised and joined codes split into parts.

    Examples
    --------
    >>> code_weight_series({"028E": 100.0, "4.1/4.2": 50.0}).to_dict()
    {'28E': 100.0, '4.1/4.2': 50.0, '4.1': 50.0, '4.2': 50.0}
    """
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


def lookup_code_weights(codes: pd.Series, weights: pd.Series) -> pd.Series:
    """Weight of each code; a joined code not listed whole takes its parts' common weight.

    ``weights`` is a :func:`code_weight_series`; a code without a weight gets NaN.

    Examples
    --------
    >>> w = code_weight_series({"28E": 100.0, "30C": 100.0})
    >>> lookup_code_weights(pd.Series(["028e", "30C/28E", "99Z"]), w).tolist()
    [100.0, 100.0, nan]
    """
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
    code_w = code_weight_series(weights)
    for col in ("category", "offences"):
        if col not in mix.columns:
            raise ParamsError(f"the offence mix needs a {col!r} column (see load_offence_mix)")
    mix = mix.assign(
        weight=lookup_code_weights(pd.Series(mix.index.astype(str), index=mix.index), code_w)
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


# ----------------------------------------------------------------------------- loading
@dataclass(frozen=True)
class HarmWeights:
    """Offence-code weights, the offence mix and the category weights rolled up from them.

    Attributes
    ----------
    codes : pandas.DataFrame
        As from :func:`load_weights` (index ``offence_code``; ``weight``, ...).
    mix : pandas.DataFrame
        As from :func:`load_offence_mix` (index ``offence_code``; ``category``,
        ``offences``, ``description``).
    categories : pandas.DataFrame
        As from :func:`roll_up_weights` (index ``category``; ``weight``, ...).
    scheme : str
        Name of the weighting scheme.
    """

    codes: pd.DataFrame
    mix: pd.DataFrame
    categories: pd.DataFrame
    scheme: str

    @property
    def category_weights(self) -> pd.Series:
        """Weight by police.uk category (NaN where not defined, e.g. ASB)."""
        return self.categories["weight"]

    @property
    def code_weights(self) -> pd.Series:
        """Weight by offence code."""
        return self.codes["weight"]

    @classmethod
    def from_tables(cls, codes, mix: pd.DataFrame, *, scheme: str = "") -> HarmWeights:
        """Build from a code-weights table (or mapping) and an offence mix (checked)."""
        if not isinstance(codes, pd.DataFrame):
            codes = pd.DataFrame({"weight": pd.Series(codes, dtype=float)})
        return cls(codes=codes, mix=mix, categories=roll_up_weights(codes, mix), scheme=scheme)


def load_harm_weights(
    weights, offence_mix, *, offence_codes=None, scheme=None, force=None, financial_year=None
) -> HarmWeights:
    """Read and check the weights and the offence mix, and roll the weights up to categories.

    Parameters
    ----------
    weights : path-like
        Offence code -> weight table (see :func:`load_weights`).
    offence_mix : path-like
        Home Office recorded crime by offence code for the force (:func:`load_offence_mix`).
    offence_codes : path-like or DataFrame, optional
        The Home Office offence code list; every weighted code must be in it (or carry a
        police.uk category in the weights file).
    scheme : str, optional
        Name of the scheme; default "ONS Crime Severity Score" for the shipped CSS file,
        else the file's stem.
    force, financial_year : str, optional
        The rows of the offence mix to use, when its file holds several forces or years
        (:func:`load_offence_mix`).

    Returns
    -------
    HarmWeights

    Examples
    --------
    >>> hw = load_harm_weights("data/reference/harm/ons_css_weights_by_offence_code.csv",
    ...     "data/reference/home_office/recorded_crime_nottinghamshire_offence_2017-18.csv",
    ...     offence_codes="data/reference/" + OFFENCE_CODES_FILE)
    >>> hw.scheme, round(float(hw.category_weights["Robbery"]), 1)
    ('ONS Crime Severity Score', 799.6)
    """
    weights = Path(weights)
    if scheme is None:
        shipped = weights.name == Path(CSS_WEIGHTS_FILE).name
        scheme = "ONS Crime Severity Score" if shipped else weights.stem
    codes = load_weights(weights, offence_codes=offence_codes, scheme=scheme)
    mix = load_offence_mix(offence_mix, force=force, financial_year=financial_year)
    return HarmWeights.from_tables(codes, mix, scheme=scheme)


def harm_weights_of(params) -> HarmWeights:
    """The harm weights an assessment's parameters name (``harm``, else the shipped files),
    checked against the Home Office offence code list; every chapter weighs crimes by these.

    With the shipped offence mix (every force's recorded crime) and no ``harm.force``, the
    mix is that of the area's own police force, from the local authority -> CSP -> force
    lookup; an area spanning several forces must name one in ``harm.force``.
    """
    weights, mix = params.harm_files()
    force = params.harm.force
    if force is None and params.harm.offence_mix is None:
        force = area_force(params.data.reference_dir, params.area.la_codes)
    return load_harm_weights(
        weights,
        mix,
        offence_codes=params.data.reference_dir / OFFENCE_CODES_FILE,
        force=force,
        financial_year=params.harm.financial_year,
    )


def area_force(reference_dir, la_codes) -> str:
    """The police force area holding every one of the local authorities (its name).

    Raises
    ------
    ParamsError
        When the authorities lie in several forces (name one in the parameters'
        ``harm.force``) or are not in the lookup.

    Examples
    --------
    >>> area_force("data/reference", ["E07000172", "E07000173", "E07000176"])
    'Nottinghamshire'
    """
    table = la_csp_table(reference_dir)
    forces = sorted(set(table.loc[table["la"].isin(list(la_codes)), "pfa_name"]))
    if len(forces) != 1:
        found = ", ".join(forces) or "none"
        raise ParamsError(
            f"area.la_codes {', '.join(la_codes)} lie in {len(forces)} police force areas "
            f"({found}): name the force whose offence mix weighs harm in harm.force"
        )
    return forces[0]
