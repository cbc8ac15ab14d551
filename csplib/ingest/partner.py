"""Read and validate a partner crime extract: one row per recorded crime.

A partner extract is a UTF-8 CSV with a header naming exactly these columns (any order;
names are matched after trimming spaces and ignoring case; a byte-order mark is fine):

================  =========  ===================================================================
column            required   content
================  =========  ===================================================================
``crime_ref``     yes        the crime's reference in the partner's system, unique in the file
``date``          yes        date recorded, ``YYYY-MM-DD`` (a time after it is dropped)
``offence_code``  yes        Home Office offence code, e.g. ``8N``, ``28A``, ``FFA UK``
``lsoa``          no         LSOA code (``E01``/``W01`` and six digits, either vintage), or blank
``victim_id``     no         pseudonymous victim identifier; blank when there is no victim
``hate``          yes        flag: ``true/false``, ``1/0``, ``Y/N`` or ``yes/no`` (any case)
``hate_strand``   no         strands, separated by ``;``: race, religion, sexual orientation,
                             disability, transgender, sex/gender, other; blank if none recorded
``domestic``      yes        flag, as ``hate``
``weapon``        yes        flag, as ``hate``
================  =========  ===================================================================

Every data row is either kept or rejected with a reason, so rows read = kept + rejected.
A row is rejected for any of these rules, listed in the order they are checked; its
``reason`` is the first rule it breaks and its ``detail`` lists every one, as
``"<rule>: <what>; <rule>: <what>"``:

``wrong number of fields``, ``missing required field``, ``bad date``, ``unknown offence
code``, ``bad LSOA code``, ``unknown LSOA code`` (only when a geography is given),
``bad flag value``, ``unknown hate strand``, ``hate strand without hate flag``,
``duplicate crime_ref`` (every copy is rejected: the reader cannot tell which is right).

A file that cannot be read as a whole (missing, empty, not UTF-8, a header without the
required columns or with unexpected ones, no data rows) raises
:class:`~csplib.core.errors.DataError` naming the file.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from csplib.core.errors import DataError, ParamsError
from csplib.core.schema import PARTNER_COLUMNS, POLICE_UK_CATEGORIES
from csplib.ingest._table import Problems, ReadResult, quoted, read_strict_csv

__all__ = [
    "PARTNER_FILE_COLUMNS",
    "PARTNER_REQUIRED",
    "HATE_STRANDS",
    "HATE_STRAND_ALIASES",
    "FLAG_VALUES",
    "OFFENCE_CODES_FILE",
    "ReadResult",
    "load_offence_codes",
    "normalise_offence_code",
    "offence_code_keys",
    "read_partner_extract",
]

#: Columns of a partner extract file, in the documented order.
PARTNER_FILE_COLUMNS: tuple[str, ...] = (
    "crime_ref",
    "date",
    "offence_code",
    "lsoa",
    "victim_id",
    "hate",
    "hate_strand",
    "domestic",
    "weapon",
)
#: Columns that must hold a value in every row.
PARTNER_REQUIRED: tuple[str, ...] = (
    "crime_ref",
    "date",
    "offence_code",
    "hate",
    "domestic",
    "weapon",
)

#: Canonical hate crime strands (Home Office monitored strands plus sex/gender and other).
HATE_STRANDS: tuple[str, ...] = (
    "race",
    "religion",
    "sexual orientation",
    "disability",
    "transgender",
    "sex/gender",
    "other",
)
#: Other spellings accepted for each strand (matched ignoring case and spaces at the ends).
HATE_STRAND_ALIASES: dict[str, str] = {
    "racial": "race",
    "race/ethnicity": "race",
    "faith": "religion",
    "religion/faith": "religion",
    "religion or belief": "religion",
    "sexual-orientation": "sexual orientation",
    "sexual_orientation": "sexual orientation",
    "sexuality": "sexual orientation",
    "transgender identity": "transgender",
    "gender identity": "transgender",
    "trans": "transgender",
    "sex/gender (misogyny)": "sex/gender",
    "misogyny": "sex/gender",
    "sex": "sex/gender",
    "gender": "sex/gender",
}
#: Accepted flag spellings (compared in lower case).
FLAG_VALUES: dict[str, bool] = {
    "true": True,
    "1": True,
    "y": True,
    "yes": True,
    "false": False,
    "0": False,
    "n": False,
    "no": False,
}
#: The Home Office offence code table, relative to the reference directory.
OFFENCE_CODES_FILE = "home_office/offence_code_to_policeuk_category.csv"

_DATE_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_LSOA_RE = re.compile(r"^[EW]01\d{6}$")


def _parse_flags(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    mapped = values.str.lower().map(FLAG_VALUES)
    return mapped, mapped.isna().to_numpy() & (values != "").to_numpy()


# --------------------------------------------------------------------------- offence codes
def normalise_offence_code(code) -> str:
    """Offence codes are matched in upper case, spaces collapsed, without leading zeros in
    each part of a joined code.

    Examples
    --------
    >>> normalise_offence_code(" 08n "), normalise_offence_code("01/04.1")
    ('8N', '1/4.1')
    """
    text = " ".join(str(code).split()).upper()
    return "/".join(re.sub(r"^0+(?=\d)", "", part.strip()) for part in text.split("/"))


def offence_code_keys(code: str) -> list[str]:
    """A normalised code and, for joined codes such as ``1/4.1/4.10/4.2``, each of its parts.

    Examples
    --------
    >>> offence_code_keys("1/4.1")
    ['1/4.1', '1', '4.1']
    """
    return [code, *code.split("/")] if "/" in code else [code]


def load_offence_codes(path) -> pd.DataFrame:
    """Read the Home Office offence code table and harmonise its police.uk categories.

    A row whose code joins several codes with ``/`` (``1/4.1/4.10/4.2``: the homicide
    codes) is accepted under each part as well as under the joined form. Codes are
    matched in upper case without leading zeros (``08N`` is ``8N``).

    Parameters
    ----------
    path : str or path-like
        ``offence_code_to_policeuk_category.csv`` (columns ``Offence_Code``,
        ``Offence_Description``, ``Offence_Group``, ``Offence_Subgroup``, ``Police.uk_Cat``).

    Returns
    -------
    pandas.DataFrame
        Index ``offence_code``; columns ``offence_description``, ``offence_group``,
        ``offence_subgroup`` and ``category`` (spelt as in
        :data:`csplib.core.schema.POLICE_UK_CATEGORIES`).

    Examples
    --------
    >>> codes = load_offence_codes("data/reference/" + OFFENCE_CODES_FILE)
    >>> codes.loc[["8N", "4.1", "46"], "category"].tolist()
    ['Violence and sexual offences', 'Violence and sexual offences', 'Shoplifting']
    """
    path = Path(path)
    wanted = {
        "Offence_Code": "offence_code",
        "Offence_Description": "offence_description",
        "Offence_Group": "offence_group",
        "Offence_Subgroup": "offence_subgroup",
        "Police.uk_Cat": "category",
    }
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise DataError("Home Office offence code table not found", path=path) from None
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read the offence code table: {exc}", path=path) from None
    missing = [c for c in wanted if c not in raw.columns]
    if missing:
        raise DataError(f"offence code table lacks column(s) {', '.join(missing)}", path=path)
    table = raw[list(wanted)].rename(columns=wanted)
    categories = {c.casefold(): c for c in POLICE_UK_CATEGORIES}
    harmonised = table["category"].str.strip().str.casefold().map(categories)
    if harmonised.isna().any():
        bad = table.loc[harmonised.isna(), "category"].iloc[0]
        raise DataError(f"category {bad!r} is not a police.uk category", path=path)
    table["category"] = harmonised.astype("str")
    rows = []
    for rec in table.to_dict("records"):
        parts = offence_code_keys(normalise_offence_code(rec["offence_code"]))
        rows.extend({**rec, "offence_code": p} for p in parts)
    out = pd.DataFrame(rows).drop_duplicates("offence_code").set_index("offence_code")
    return out.astype("str")


# --------------------------------------------------------------------------- the reader
def read_partner_extract(
    path,
    *,
    reference_dir=None,
    offence_codes: pd.DataFrame | str | Path | None = None,
    geography=None,
) -> ReadResult:
    """Read a partner crime extract, validating every row (see the module docstring).

    Parameters
    ----------
    path : str or path-like
        The extract (UTF-8 CSV).
    reference_dir : str or path-like, optional
        Reference directory holding :data:`OFFENCE_CODES_FILE`.
    offence_codes : pandas.DataFrame or path, optional
        The offence code table (as from :func:`load_offence_codes`) or its file; takes
        precedence over ``reference_dir``.
    geography : csplib.ingest.geography.Geography, optional
        If given, LSOA codes must be LSOA codes of either vintage (``unknown LSOA code``
        otherwise), and its reference directory provides the offence codes when neither
        of the above is given. The area itself is not filtered here: use
        ``geography.assign_area(result.data)``.

    Returns
    -------
    ReadResult
        ``data``: columns :data:`csplib.core.schema.PARTNER_COLUMNS` then ``crime_ref``,
        ``source`` (``"partner"``) and ``source_file``; ``date`` and ``month`` (first of
        the month) are datetime64, flags are bool, ``hate_strand`` is ``;``-joined
        canonical strands or missing. ``rejected``: the file's columns as text plus
        ``reason`` and ``detail``. Both indexed by the 1-based data row.

    Raises
    ------
    DataError
        The file is missing, empty, not UTF-8, has a wrong header or no data rows.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "extract.csv"
    >>> _ = p.write_text(
    ...     "crime_ref,date,offence_code,lsoa,victim_id,hate,hate_strand,domestic,weapon\\n"
    ...     "C1,2019-04-03,8N,E01013810,V7,Y,race;Religion,no,0\\n"
    ...     "C2,2019-04-31,46,,,N,,no,0\\n")
    >>> res = read_partner_extract(p, reference_dir="data/reference")
    >>> row = res.data.loc[1]
    >>> row["category"], bool(row["hate"]), row["hate_strand"], str(row["month"].date())
    ('Violence and sexual offences', True, 'race;religion', '2019-04-01')
    >>> res.rejected.loc[2, ["reason", "detail"]].tolist()
    ['bad date', "bad date: '2019-04-31' is not a date YYYY-MM-DD"]
    """
    codes = _offence_table(reference_dir, offence_codes, geography)
    table, ragged = read_strict_csv(path, PARTNER_FILE_COLUMNS, what="partner extract")
    problems = Problems(table.index)

    for col in PARTNER_REQUIRED:
        problems.add(table[col] == "", "missing required field", col)

    raw_date = table["date"]
    date_part = raw_date.str.extract(_DATE_RE, expand=False)
    date = pd.to_datetime(date_part, format="%Y-%m-%d", errors="coerce")
    problems.add(
        date.isna() & (raw_date != ""),
        "bad date",
        quoted(raw_date) + " is not a date YYYY-MM-DD",
    )

    code = table["offence_code"].map(normalise_offence_code)
    problems.add(
        ~code.isin(codes.index) & (code != ""),
        "unknown offence code",
        quoted(table["offence_code"]) + " is not in the Home Office offence code list",
    )

    lsoa = table["lsoa"].str.upper()
    bad_lsoa = (lsoa != "") & ~lsoa.str.fullmatch(_LSOA_RE.pattern)
    problems.add(bad_lsoa, "bad LSOA code", quoted(table["lsoa"]) + " is not like E01012345")
    if geography is not None:
        unknown = (lsoa != "") & ~bad_lsoa & ~geography.is_known(lsoa).to_numpy()
        problems.add(unknown, "unknown LSOA code", quoted(lsoa) + " is in neither vintage's list")

    flags = {}
    for col in ("hate", "domestic", "weapon"):
        flags[col], bad = _parse_flags(table[col])
        problems.add(
            bad,
            "bad flag value",
            f"{col} = " + quoted(table[col]) + " (expected true/false, 1/0, Y/N or yes/no)",
        )

    strands, unknown_strand = _parse_strands(table["hate_strand"])
    problems.add(
        unknown_strand != "",
        "unknown hate strand",
        unknown_strand + f" (expected {', '.join(HATE_STRANDS)})",
    )
    problems.add(
        flags["hate"].isin([False]).to_numpy() & (table["hate_strand"] != "").to_numpy(),
        "hate strand without hate flag",
        quoted(table["hate_strand"]) + " given but hate is false",
    )

    ref = table["crime_ref"]
    dup = ref.duplicated(keep=False) & (ref != "")
    if dup.any():
        first_rows = (
            ref.index.to_series().groupby(ref.to_numpy()).agg(lambda s: ", ".join(map(str, s)))
        )
        problems.add(dup, "duplicate crime_ref", quoted(ref) + " on rows " + ref.map(first_rows))

    keep, rejected = problems.split(table, ragged)
    data = pd.DataFrame(index=table.index[keep])
    data["date"] = date[keep]
    data["month"] = data["date"].dt.to_period("M").dt.to_timestamp().astype(data["date"].dtype)
    data["offence_code"] = code[keep].astype("str")
    data["category"] = code[keep].map(codes["category"]).astype("str")
    data["lsoa"] = lsoa[keep].replace("", np.nan).astype("str")
    data["victim_id"] = table["victim_id"][keep].replace("", np.nan).astype("str")
    data["hate"] = flags["hate"][keep].astype(bool)
    data["hate_strand"] = strands[keep].replace("", np.nan).astype("str")
    data["domestic"] = flags["domestic"][keep].astype(bool)
    data["weapon"] = flags["weapon"][keep].astype(bool)
    data["crime_ref"] = ref[keep].astype("str")
    data["source"] = "partner"
    data["source_file"] = Path(path).name
    data = data[[*PARTNER_COLUMNS, "crime_ref", "source", "source_file"]]
    return ReadResult(data, rejected)


def _offence_table(reference_dir, offence_codes, geography) -> pd.DataFrame:
    if isinstance(offence_codes, pd.DataFrame):
        if "category" not in offence_codes.columns:
            raise ParamsError("offence_codes needs a 'category' column, indexed by offence code")
        return offence_codes
    if offence_codes is not None:
        return load_offence_codes(offence_codes)
    if reference_dir is None and geography is not None:
        reference_dir = geography.reference_dir
    if reference_dir is None:
        raise ParamsError(
            "read_partner_extract needs the offence codes: give reference_dir, "
            "offence_codes or geography"
        )
    return load_offence_codes(Path(reference_dir) / OFFENCE_CODES_FILE)


def _parse_strands(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Return (canonical ';'-joined strands, text naming unknown strands or '')."""
    order = {s: i for i, s in enumerate(HATE_STRANDS)}
    canon, unknown = [], []
    for text in values:
        found, bad = set(), []
        for part in text.split(";"):
            key = " ".join(part.split()).lower()
            if not key:
                continue
            strand = key if key in order else HATE_STRAND_ALIASES.get(key)
            if strand is None:
                bad.append(repr(part.strip()))
            else:
                found.add(strand)
        canon.append(";".join(sorted(found, key=order.get)))
        unknown.append(", ".join(bad))
    return (
        pd.Series(canon, index=values.index, dtype="str"),
        pd.Series(unknown, index=values.index, dtype="str"),
    )
