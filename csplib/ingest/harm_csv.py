"""Reading the harm reference tables: CSV or gzipped CSV with ``#`` comment headers
(provenance), columns picked by name ignoring case, numbers and police.uk categories read
leniently. Used by :mod:`csplib.ingest.harm_weights` and :mod:`csplib.ingest.offence_mix`.
"""

from __future__ import annotations

import gzip
import io
import math
from pathlib import Path

import pandas as pd

from csplib.core.errors import DataError
from csplib.core.schema import POLICE_UK_CATEGORIES

_CATEGORY_KEYS = {c.casefold(): c for c in POLICE_UK_CATEGORIES}


def _category(name) -> str | None:
    if name is None or (isinstance(name, float) and math.isnan(name)):
        return None
    return _CATEGORY_KEYS.get(" ".join(str(name).split()).casefold())


def _read_csv(path, what: str) -> pd.DataFrame:
    """A CSV as text columns; lines starting with ``#`` are comments (provenance headers)."""
    path = Path(path)
    try:
        if path.name.endswith(".gz"):
            with gzip.open(path, "rt", encoding="utf-8-sig") as stream:
                text = stream.read()
        else:
            text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DataError(f"{what} not found", path=path) from None
    except UnicodeDecodeError as exc:
        raise DataError(f"{what} is not UTF-8 text ({exc.reason})", path=path) from None
    except (OSError, EOFError) as exc:  # gzip.BadGzipFile is an OSError
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
