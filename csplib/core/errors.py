"""User-facing errors.

Every mistake a user can make (a bad parameters file, a malformed data file, an
unknown category) raises a :class:`CspError` subclass whose message names the
file, row or key and says what was expected. The ``csp`` command prints such a
message on one line and exits with status 2, without a traceback.
"""

from __future__ import annotations

__all__ = ["CspError", "ParamsError", "DataError", "DefinitionError"]


class CspError(Exception):
    """Base class for errors caused by user input rather than by a bug."""

    exit_code = 2


class ParamsError(CspError):
    """A parameters file is missing, malformed or fails validation."""


class DataError(CspError):
    """A data file cannot be read, or its contents break the expected schema.

    Parameters
    ----------
    message : str
        What is wrong and what was expected.
    path : str or os.PathLike, optional
        The file concerned; prefixed to the message.
    row : int, optional
        1-based data row (header excluded) where the problem was found.

    Examples
    --------
    >>> str(DataError("expected 12 columns, found 3", path="2019-01-street.csv", row=7))
    '2019-01-street.csv, row 7: expected 12 columns, found 3'
    """

    def __init__(self, message: str, path=None, row: int | None = None):
        where = str(path) if path is not None else ""
        if row is not None:
            where = f"{where}, row {row}" if where else f"row {row}"
        super().__init__(f"{where}: {message}" if where else message)
        self.path = path
        self.row = row


class DefinitionError(CspError):
    """A measure, theme or weights definition is inconsistent."""
