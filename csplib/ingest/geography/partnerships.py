"""Every Community Safety Partnership of England and Wales, and finding one by name or code.

The partnerships come from the ONS local authority -> CSP -> police force area lookup in the
reference directory (``lookups/lookup_ltla24_csp24_pfa24.csv``). A partnership is the whole
of one or more local authorities (South Nottinghamshire is Broxtowe, Gedling and
Rushcliffe). A few legacy CSPs of the lookup share an authority with others after a local
government merger (Poole, Kettering, ...): an area cannot be drawn from part of an
authority, so those are found by their authority's name or code instead (and a CSP listed
over whole authorities and part of a shared one, as Dorset is, keeps its whole ones).

Examples
--------
>>> p = find_partnership("data/reference", "South Nottinghamshire")
>>> p.name, p.la_codes, p.force_name
('South Nottinghamshire', ('E07000172', 'E07000173', 'E07000176'), 'Nottinghamshire')
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from csplib.core.errors import ParamsError
from csplib.ingest.geography.lookups import la_csp_table

__all__ = ["Partnership", "find_partnership", "list_partnerships"]


@dataclass(frozen=True)
class Partnership:
    """A partnership area: the local authorities it covers and their police force.

    Attributes
    ----------
    name : str
        The CSP's name (or the authority's, for an area given as an authority).
    csp_code : str or None
        The CSP code; None for an authority whose legacy CSPs cover only parts of it.
    la_codes, la_names : tuple of str
        Its local authorities (2024 codes and names).
    force_code, force_name : str
        Its police force area.
    """

    name: str
    csp_code: str | None
    la_codes: tuple[str, ...]
    la_names: tuple[str, ...]
    force_code: str
    force_name: str

    @property
    def slug(self) -> str:
        """The name as a file-name part, e.g. ``south-nottinghamshire``."""
        return re.sub(r"[^a-z0-9]+", "-", self.name.casefold()).strip("-")


def list_partnerships(reference_dir: str | Path) -> pd.DataFrame:
    """One row per partnership that can be drawn from whole local authorities.

    Returns
    -------
    pandas.DataFrame
        Index ``csp`` (code); columns ``csp_name``, ``la_codes`` and ``la_names`` (joined
        with ``"; "``), ``force_code``, ``force_name``, sorted by force then name. A legacy
        CSP sharing its authority with another CSP is listed by its authority (``csp``
        is then the authority's code and ``csp_name`` its name).

    Examples
    --------
    >>> t = list_partnerships("data/reference")
    >>> t.loc["E22000366", ["la_names", "force_name"]].tolist()
    ['Broxtowe; Gedling; Rushcliffe', 'Nottinghamshire']
    >>> len(t), t.loc["E06000058", "csp_name"]
    (301, 'Bournemouth, Christchurch and Poole')
    """
    rows = [_partnership_row(p) for p in _partnerships(Path(reference_dir))]
    table = pd.DataFrame(rows).set_index("csp")
    return table.sort_values(["force_name", "csp_name"])


def _partnership_row(p: Partnership) -> dict:
    return {
        "csp": p.csp_code or p.la_codes[0],
        "csp_name": p.name,
        "la_codes": "; ".join(p.la_codes),
        "la_names": "; ".join(p.la_names),
        "force_code": p.force_code,
        "force_name": p.force_name,
    }


def _partnerships(reference_dir: Path) -> list[Partnership]:
    table = la_csp_table(reference_dir)
    shared = set(table.loc[table["la"].duplicated(keep=False), "la"])
    out = []
    for csp, rows in table.groupby("csp", sort=True):
        own = rows[~rows["la"].isin(shared)]
        if own.empty:
            continue
        # a CSP also listed over part of a shared authority keeps its own authorities only
        code = str(csp) if len(own) == len(rows) else None
        out.append(_make(own, name=str(rows["csp_name"].iloc[0]), csp=code))
    for la in sorted(shared):
        rows = table[table["la"] == la].drop_duplicates("la")
        out.append(_make(rows, name=str(rows["la_name"].iloc[0]), csp=None))
    return out


def _make(rows: pd.DataFrame, *, name: str, csp: str | None) -> Partnership:
    rows = rows.sort_values("la")
    forces = rows[["pfa", "pfa_name"]].drop_duplicates()
    return Partnership(
        name=name,
        csp_code=csp,
        la_codes=tuple(rows["la"]),
        la_names=tuple(rows["la_name"]),
        force_code=str(forces["pfa"].iloc[0]),
        force_name=str(forces["pfa_name"].iloc[0]),
    )


def _key(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.casefold().replace("&", " and ")).split())


def find_partnership(reference_dir: str | Path, query: str) -> Partnership:
    """The partnership named or coded by ``query``.

    ``query`` is a CSP name or code (``"Leeds"``, ``"E22000366"``) or a local authority name
    or code (``"Gedling"`` gives South Nottinghamshire, the CSP holding it). Case, spacing,
    punctuation and ``&``/``and`` are ignored; whole words of one name are enough
    (``"Bristol"`` for "Bristol, City of").

    Raises
    ------
    ParamsError
        When nothing matches (naming up to five close matches), when the words match several
        (naming them), or for a legacy CSP that covers only part of an authority (naming
        the authority to use instead).

    Examples
    --------
    >>> find_partnership("data/reference", "E08000032").name
    'Bradford'
    >>> find_partnership("data/reference", "gedling").name
    'South Nottinghamshire'
    >>> find_partnership("data/reference", "Bristol").name
    'Bristol, City of'
    >>> find_partnership("data/reference", "Newcastle")
    Traceback (most recent call last):
    ...
    csplib.core.errors.ParamsError: 'Newcastle' could be Newcastle upon Tyne (E22000245), \
Newcastle-under-Lyme (E22000266): give the whole name or the code
    """
    reference_dir = Path(reference_dir)
    wanted = _key(str(query))
    if not wanted:
        raise ParamsError("give a partnership or local authority name or code")
    partnerships = _partnerships(reference_dir)
    by_code = {p.csp_code: p for p in partnerships if p.csp_code}
    by_name = {_key(p.name): p for p in partnerships}
    code = str(query).strip().upper()
    if code in by_code:
        return by_code[code]
    if wanted in by_name:
        return by_name[wanted]
    for p in partnerships:
        if code in p.la_codes or wanted in map(_key, p.la_names):
            return p
    table = la_csp_table(reference_dir)
    legacy = table[(table["csp"] == code) | (table["csp_name"].map(_key) == wanted)]
    if not legacy.empty:
        la = legacy.iloc[0]
        raise ParamsError(
            f"{la['csp_name']} ({la['csp']}) is a legacy partnership covering part of "
            f"{la['la_name']} ({la['la']}); areas are drawn from whole local authorities, so "
            f"use {la['la_name']!r}"
        )

    def shown(p: Partnership) -> str:
        return f"{p.name} ({p.csp_code or p.la_codes[0]})"

    # the query's words within one name only ("Bristol" is "Bristol, City of")
    words = re.compile(rf"\b{re.escape(wanted)}\b")
    within = [p for p in partnerships if any(words.search(_key(n)) for n in (p.name, *p.la_names))]
    if len(within) == 1:
        return within[0]
    if within:
        raise ParamsError(
            f"{query!r} could be {', '.join(shown(p) for p in within[:8])}: give the whole "
            "name or the code"
        )
    names = {_key(n): p for p in partnerships for n in (p.name, *p.la_names)}
    close = difflib.get_close_matches(wanted, names, n=5, cutoff=0.6)
    hint = f"; close matches: {', '.join(dict.fromkeys(shown(names[k]) for k in close))}"
    raise ParamsError(
        f"no partnership or local authority matches {query!r}{hint if close else ''}. "
        "`csp init --list` lists every partnership"
    )
