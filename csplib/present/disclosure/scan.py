"""Checks that shared outputs hold no record-level data, and that text from data is escaped.

:func:`find_record_level` and :func:`check_shared_outputs` scan pages and the annex for
Crime IDs, coordinates, victim IDs, crime references, exact dates and street locations;
:func:`contains_unescaped_html` and :func:`contains_escaped_html` let tests check escaping.
"""

from __future__ import annotations

import calendar
import csv
import io
import os
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from csplib.core.errors import DataError, ParamsError

#: What :func:`find_record_level` looks for.
RECORD_LEVEL_KINDS: tuple[str, ...] = (
    "crime ID",
    "coordinates",
    "victim ID",
    "crime reference",
    "exact date",
    "street location",
    "unscannable file",
)


@dataclass(frozen=True)
class Problem:
    """Record-level content found in a shared output.

    Attributes
    ----------
    file : str
        The file, relative to the output folder (``"<text>"`` for text given directly).
    kind : str
        One of :data:`RECORD_LEVEL_KINDS`.
    where : str
        Where in the file, e.g. ``"table 2, column 'Crime ID'"`` or ``"text, line 40"``.
    excerpt : str
        A short excerpt of what was found (long identifiers are cut).
    count : int
        How many times it was found there.
    """

    file: str
    kind: str
    where: str
    excerpt: str
    count: int = 1

    def __str__(self) -> str:
        times = f" ({self.count:,} times)" if self.count > 1 else ""
        return f"{self.file}: {self.kind} in {self.where}: {self.excerpt!r}{times}"


_WB = r"(?<![0-9A-Za-z])"
_WE = r"(?![0-9A-Za-z])"
_HEX64 = re.compile(_WB + r"[0-9a-fA-F]{64}" + _WE)
_VICTIM = re.compile(_WB + r"[VB][0-9A-F]{16}" + _WE)
_CRIME_REF = re.compile(_WB + r"CR\d{10}" + _WE)
#: police.uk's location text names a place: "On or near Hollywell Avenue", "On or near
#: Supermarket". Prose about it ('published as "On or near …"') is not a location.
_STREET = re.compile(r"\bOn or near [A-Z0-9]")
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2}\b")
_DECIMAL = r"-?\d{1,2}\.\d{4,}"
_PAIR = re.compile(
    r"(?<![\d.])(" + _DECIMAL + r")([\s,;|()\[\]/]{1,12})(" + _DECIMAL + r")(?![\d.])"
)
_NUMBER = re.compile(r"^\s*-?\d+(?:\.(\d*))?\s*$")
_PRINTED_HEADER = re.compile(r"\b(longitude|latitude|easting|northing)\b", re.IGNORECASE)
_ISO = re.compile(r"(?<![\d-])(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?(?!\d)")
_DMY = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})/(\d{4})(?![\d/])")
_DATA_URI = re.compile(r"data:[\w.+-]+/[\w.+-]+(?:;[\w.+=-]+)*;base64,[A-Za-z0-9+/=]*")
_HASH_LABEL = re.compile(
    r"(sha-?256|sha-?1|blake3|md5|checksum|digest|hash)\W{0,3}$", re.IGNORECASE
)
#: A column holding digests, named for them.
_HASH_COLUMN = re.compile(r"sha|blake|hash|checksum|digest|md5", re.IGNORECASE)

#: England, Wales and Scotland in decimal degrees.
_LON = (-8.7, 1.9)
_LAT = (49.8, 61.0)

#: Column headers (compared in lower case with runs of other characters as ``_``) that
#: name record-level fields.
_HEADERS: dict[str, frozenset[str]] = {
    "coordinates": frozenset(
        "longitude latitude lat lon lng long easting northing eastings northings "
        "x_coord y_coord x_coordinate y_coordinate".split()
    ),
    "crime ID": frozenset("crime_id crimeid crime_ids".split()),
    "victim ID": frozenset("victim_id victimid victim_ref victim_reference person_id".split()),
    "crime reference": frozenset(
        "crime_ref crime_reference crime_number crime_no crime_reference_number "
        "occurrence_number incident_number incident_id urn".split()
    ),
    "exact date": frozenset(
        "date offence_date date_recorded recorded_date incident_date date_of_offence "
        "committed_date date_committed datetime timestamp".split()
    ),
    "street location": frozenset("street street_name address postcode".split()),
}


def _header_key(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", text.casefold()).strip("_")


def _short(text: str, n: int = 24) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _lon(x: float) -> bool:
    return _LON[0] <= x <= _LON[1]


def _lat(x: float) -> bool:
    return _LAT[0] <= x <= _LAT[1]


def _text_pair(a: float, sep: str, b: float) -> bool:
    """Whether two numbers written next to each other in text look like a position.

    With a comma or brackets between them (``52.9537, -1.1468``) either order counts.
    Separated only by spaces they are read as columns of printed output, where a rate
    next to a share (``52.953704  0.123457``) is common: only longitude then latitude
    (police.uk's order) counts, and not a longitude between 0 and 1 (a share).
    """
    if not sep.strip():
        return _lon(a) and _lat(b) and not 0 <= a <= 1
    return (_lon(a) and _lat(b)) or (_lat(a) and _lon(b))


def _numbers(values: list[str]) -> list[tuple[float, int]] | None:
    """(value, decimals) of the non-empty cells, or None if one is not a number."""
    out = []
    for text in values:
        if not text.strip():
            continue
        m = _NUMBER.match(text)
        if m is None:
            return None
        out.append((float(text), len(m[1] or "")))
    return out


_STATISTIC = re.compile(r"share|prop|pct|percent|%|rate|ratio|change|per_|score|mean|median", re.I)


def _coordinate_columns(
    columns: dict[int, list[str]], names: list[str]
) -> list[tuple[int, int, str]]:
    """Adjacent columns that hold positions: (first column, rows, first pair).

    A pair of columns counts when every value of one is a longitude and every value of
    the other a latitude of Great Britain, each column spanning at most 2 degrees (one
    area) and most values having 4 or more decimals, unless a column is named for a
    statistic (a rate per 1,000 next to a share can look like a position).
    """
    found = []
    for k in sorted(columns):
        if k + 1 not in columns:
            continue
        if any(j < len(names) and _STATISTIC.search(names[j]) for j in (k, k + 1)):
            continue
        first, second = _numbers(columns[k]), _numbers(columns[k + 1])
        if not first or not second:
            continue
        for lon, lat in ((first, second), (second, first)):
            xs, ys = [v for v, _ in lon], [v for v, _ in lat]
            precise = sum(d >= 4 for _, d in lon + lat) * 2 >= len(lon) + len(lat)
            if (
                precise
                and all(map(_lon, xs))
                and all(map(_lat, ys))
                and max(xs) - min(xs) <= 2
                and max(ys) - min(ys) <= 2
            ):
                example = f"{columns[k][0].strip()}, {columns[k + 1][0].strip()}"
                found.append((k, min(len(lon), len(lat)), example))
                break
    return found


def _exact_dates(text: str) -> list[str]:
    """ISO or day/month/year dates that are not the first or last day of a month.

    A month is usually stored as its first day (``2024-01-01``) and a period ends on the
    last day of a month; any other day, or a time of day, is an exact date.
    """
    found = []
    for m in _ISO.finditer(text):
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
        timed = m[4] is not None and (m[4], m[5], m[6] or "00") != ("00", "00", "00")
        if _day_is_exact(y, mo, d) or (timed and 1 <= mo <= 12):
            found.append(m[0])
    for m in _DMY.finditer(text):
        d, mo, y = int(m[1]), int(m[2]), int(m[3])
        if _day_is_exact(y, mo, d):
            found.append(m[0])
    return found


def _day_is_exact(y: int, mo: int, d: int) -> bool:
    if not (1 <= mo <= 12 and 1 <= y <= 9999):
        return False
    last = calendar.monthrange(y, mo)[1]
    return 1 < d < last


class _Collector:
    """Collects problems, one per (kind, place), counting repeats."""

    def __init__(self, file: str):
        self.file = file
        self.found: dict[tuple[str, str], list] = {}

    def add(self, kind: str, place: str, excerpt: str, detail: str = "") -> None:
        key = (kind, place)
        if key in self.found:
            self.found[key][2] += 1
        else:
            self.found[key] = [detail or place, _short(excerpt), 1]

    def problems(self) -> list[Problem]:
        return [
            Problem(self.file, kind, where, excerpt, count)
            for (kind, _place), (where, excerpt, count) in self.found.items()
        ]


def _scan_values(
    text: str, out: _Collector, place: str, detail: str, *, cell: bool, hash_column: bool = False
) -> None:
    """Value patterns: in table cells and preformatted text (``cell``) or free text."""
    for m in _HEX64.finditer(text):
        before = text[max(0, m.start() - 12) : m.start()]
        if hash_column or _HASH_LABEL.search(before):
            continue
        out.add("crime ID", place, m[0][:12] + "…", detail)
    for m in _VICTIM.finditer(text):
        out.add("victim ID", place, m[0], detail)
    for m in _CRIME_REF.finditer(text):
        out.add("crime reference", place, m[0], detail)
    for m in _STREET.finditer(text):
        out.add("street location", place, text[m.start() : m.start() + 40], detail)
    for m in _PAIR.finditer(text):
        if _text_pair(float(m[1]), m[2], float(m[3])):
            out.add("coordinates", place, m[0], detail)
    if cell:
        for value in _exact_dates(text):
            out.add("exact date", place, value, detail)
        for m in _POSTCODE.finditer(text):
            out.add("street location", place, m[0], detail)


def _scan_rows(
    rows: list[list[tuple[str, bool, int]]], out: _Collector, what: str, header_from_first: bool
) -> None:
    """Scan a table: ``rows`` of (text, is_header, line) cells.

    ``header_from_first``: the first row is the header (CSV); otherwise the header rows
    are those made only of ``<th>`` cells, and column names come from the first of them.
    """
    names: list[str] = []
    columns: dict[int, list[str]] = {}
    for r, row in enumerate(rows):
        if header_from_first:
            header_row = r == 0
        else:
            header_row = bool(row) and all(h for _, h, _ in row)
        if header_row and not names:
            names = [t for t, _, _ in row]
        for k, (text, _is_header, line) in enumerate(row):
            if header_row:  # column headers only: row headings are labels, not names
                key = _header_key(text)
                for kind, labels in _HEADERS.items():
                    if key in labels:
                        out.add(
                            kind, f"{what} header {text}", text, f"{what}, column header {text!r}"
                        )
            else:
                columns.setdefault(k, []).append(text)
            name = names[k] if k < len(names) and not header_row else ""
            hash_column = bool(_HASH_COLUMN.search(name))
            column = f"column {name!r}" if name.strip() else f"line {line}"
            place = f"{what} column {name}" if name.strip() else f"{what} cells"
            _scan_values(text, out, place, f"{what}, {column}", cell=True, hash_column=hash_column)
    for k, n_rows, example in _coordinate_columns(columns, names):
        pair = [names[j] if j < len(names) else "" for j in (k, k + 1)]
        where = f"{what}, columns {pair[0]!r} and {pair[1]!r}" if any(pair) else what
        out.add("coordinates", f"{what} columns {k}", example, where)
        out.found[("coordinates", f"{what} columns {k}")][2] = n_rows


class _HtmlScanner(HTMLParser):
    """Splits HTML into tables (rows of cells) and free text, skipping styles."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[tuple[str, bool, int]]]] = []
        self.texts: list[tuple[str, int, bool]] = []
        self._stack: list[list] = []  # open tables
        self._row: list | None = None
        self._cell: list[str] | None = None
        self._cell_header = False
        self._cell_line = 0
        self._skip = 0
        self._pre = 0

    def handle_starttag(self, tag, attrs):
        if tag == "style":
            self._skip += 1
        elif tag == "pre":
            self._pre += 1
        elif tag == "table":
            self._stack.append([])
            self.tables.append(self._stack[-1])
        elif tag == "tr" and self._stack:
            self._end_cell()
            self._row = []
            self._stack[-1].append(self._row)
        elif tag in ("td", "th") and self._stack:
            self._end_cell()
            if self._row is None:
                self._row = []
                self._stack[-1].append(self._row)
            self._cell, self._cell_header = [], tag == "th"
            self._cell_line = self.getpos()[0]
        elif tag in ("br", "p", "div", "li") and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag):
        if tag == "style":
            self._skip = max(0, self._skip - 1)
        elif tag == "pre":
            self._pre = max(0, self._pre - 1)
        elif tag in ("td", "th"):
            self._end_cell()
        elif tag == "tr":
            self._end_cell()
            self._row = None
        elif tag == "table" and self._stack:
            self._end_cell()
            self._stack.pop()
            self._row = None

    def _end_cell(self):
        if self._cell is not None and self._row is not None:
            text = " ".join("".join(self._cell).split())
            self._row.append((text, self._cell_header, self._cell_line))
        self._cell = None

    def handle_data(self, data):
        if self._skip:
            return
        if self._cell is not None:
            self._cell.append(data)
        elif data.strip():
            self.texts.append((data, self.getpos()[0], self._pre > 0))


def _scan_html(text: str, out: _Collector) -> None:
    text = _DATA_URI.sub("data:", text)
    parser = _HtmlScanner()
    parser.feed(text)
    parser.close()
    parser._end_cell()
    for n, rows in enumerate(parser.tables, start=1):
        _scan_rows(rows, out, f"table {n}", header_from_first=False)
    for chunk, line, pre in parser.texts:
        where = "preformatted text" if pre else "text"
        _scan_values(chunk, out, where, f"{where}, line {line}", cell=pre)
        if pre:  # printed tables keep their column names
            for m in _PRINTED_HEADER.finditer(chunk):
                out.add("coordinates", where, m[0], f"{where}, line {line}")


def _scan_csv(text: str, out: _Collector) -> None:
    reader = csv.reader(io.StringIO(_DATA_URI.sub("data:", text), newline=""))
    rows = [[(cell, r == 0, r + 1) for cell in record] for r, record in enumerate(reader)]
    _scan_rows(rows, out, "table", header_from_first=True)


def _scan_text(text: str, out: _Collector) -> None:
    for number, line in enumerate(_DATA_URI.sub("data:", text).splitlines(), start=1):
        _scan_values(line, out, "text", f"text, line {number}", cell=True)


_HTML_HINT = re.compile(r"<\s*(!doctype|html|body|table|div|p|tr|td|span|h[1-6])\b", re.I)
_IMAGES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".ico"}


def find_record_level(
    source: str | os.PathLike, *, kind: str | None = None, name: str | None = None
) -> list[Problem]:
    """Look for record-level content in one HTML page, CSV table or text.

    What is found (``kind`` of each :class:`Problem`):

    - **crime ID**: 64 hexadecimal digits (a police.uk Crime ID) or a column headed
      ``Crime ID``; a digest labelled ``sha256`` or ``blake3`` (or in a column named for
      a hash, digest or checksum) is not one;
    - **coordinates**: a column headed longitude, latitude, lat, lon, easting,
      northing... (or those words in printed output); two decimal-degree numbers (4 or
      more decimals), a longitude and a latitude of Great Britain, written as a pair
      (``52.953704, -1.146812``; separated only by spaces, longitude first as police.uk
      writes them); or two adjacent table columns whose every value is a longitude and a
      latitude within 2 degrees of each other, unless a column is named for a statistic
      (``rate_per_1000`` next to ``share`` is not a position);
    - **victim ID**: a column headed ``victim_id``, or a pseudonymous ID like the partner
      extract's (``V`` or ``B`` and 16 upper-case hexadecimal digits);
    - **crime reference**: a column headed ``crime_ref`` (and the like) or a reference like
      ``CR2019000123``;
    - **exact date**: a column headed ``date`` (``offence_date``...), or, in a table cell or
      printed output, a date ``YYYY-MM-DD`` or ``DD/MM/YYYY`` that is neither the first nor
      the last day of its month (those mark months and periods), or one with a time of day.
      Month labels (``Jan 2024``, ``2024-01``) and dates in prose (``22 November 2026``)
      are fine;
    - **street location**: ``On or near`` and a capitalised place name (police.uk's
      location text), a column headed street, address or postcode, or a full postcode in a
      table cell.

    In HTML, style blocks, attributes (so CSS colours such as ``#0072B2``) and embedded
    images (``data:image/png;base64,...``) are ignored; text, tables and scripts are read.

    Parameters
    ----------
    source : str or path-like
        A path (``pathlib.Path``) is read as a file; a ``str`` is the content itself.
    kind : {"html", "csv", "text"}, optional
        How to read it; default from the file's suffix, or for text by looking at it.
    name : str, optional
        The file name to put in the problems (default: the path, or ``"<text>"``).

    Returns
    -------
    list of Problem
        Empty when nothing was found.

    Examples
    --------
    >>> page = "<table><tr><th>Location</th></tr><tr><td>On or near High Street</td></tr></table>"
    >>> [str(p) for p in find_record_level(page)]
    ["<text>: street location in table 1, column 'Location': 'On or near High Street'"]
    >>> find_record_level("<p>Burglary fell 12.5% to 1,204 in Jan 2024</p>")
    []
    """
    if isinstance(source, str) and "\n" not in source and len(source) < 4096:
        try:
            if Path(source).is_file():  # a path given as text: read the file, not the name
                source = Path(source)
        except OSError:
            pass
    if isinstance(source, os.PathLike):
        path = Path(source)
        label = name or str(path)
        suffix = path.suffix.lower()
        if suffix in _IMAGES:
            return []
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise DataError(f"cannot read the file: {exc.strerror}", path=path) from None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            return [
                Problem(
                    label,
                    "unscannable file",
                    "the whole file",
                    "not text: only HTML, CSV and text files can be checked",
                )
            ]
        if kind is None:
            kind = {".html": "html", ".htm": "html", ".svg": "html", ".csv": "csv"}.get(
                suffix, "html" if _HTML_HINT.search(text[:2000]) else "text"
            )
    elif isinstance(source, str):
        text, label = source, name or "<text>"
        if kind is None:
            first = text.lstrip().split("\n", 1)[0]
            kind = "html" if _HTML_HINT.search(text) else ("csv" if "," in first else "text")
    else:
        raise ParamsError(f"find_record_level needs a path or text, got {type(source).__name__}")
    scanners = {"html": _scan_html, "csv": _scan_csv, "text": _scan_text}
    if kind not in scanners:
        raise ParamsError(f"kind must be one of {sorted(scanners)}, got {kind!r}")
    out = _Collector(label)
    scanners[kind](text, out)
    return out.problems()


def check_shared_outputs(out_dir: str | os.PathLike, *, tables: bool = True) -> list[Problem]:
    """Check everything an assessment shares for record-level content.

    Scans ``index.html`` and every file under ``html/``, ``packs/`` and ``results/`` (the
    chapters' saved findings, which the contents page and later runs read), and ``tables/``
    (the data annex, unless ``tables=False``) of an assessment output folder with
    :func:`find_record_level`. The review copies and executed notebooks (``review/``,
    ``notebooks/``) are not for sharing and are not scanned; nor is ``manifest.json``,
    whose checksums and timestamps are provenance, not records. Images are skipped; a file
    that is not text (a PDF, a spreadsheet) is reported as ``unscannable file``.

    Parameters
    ----------
    out_dir : path-like
        The assessment's output folder (``outputs/<year>``).
    tables : bool
        Also scan the data annex.

    Returns
    -------
    list of Problem
        Empty when the outputs are safe to share; file names are relative to ``out_dir``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> (out / "tables").mkdir()
    >>> _ = (out / "tables" / "x.csv").write_text("month,lat,count\\n2024-01-01,52.95,3\\n")
    >>> [str(p) for p in check_shared_outputs(out)]
    ["tables/x.csv: coordinates in table, column header 'lat': 'lat'"]
    """
    root = Path(out_dir)
    if not root.is_dir():
        raise DataError("the assessment output folder does not exist", path=root)
    files = [root / "index.html"] if (root / "index.html").is_file() else []
    for sub in ("html", "packs", "results", *(("tables",) if tables else ())):
        folder = root / sub
        if folder.is_dir():
            files.extend(sorted(p for p in folder.rglob("*") if p.is_file()))
    problems: list[Problem] = []
    for path in files:
        problems.extend(find_record_level(path, name=path.relative_to(root).as_posix()))
    return problems


_ESCAPES = {
    "&": r"(?:&amp;|&#0*38;|&#x0*26;)",
    "<": r"(?:&lt;|&#0*60;|&#x0*3c;)",
    ">": r"(?:&gt;|&#0*62;|&#x0*3e;)",
    '"': r"(?:&quot;|&#0*34;|&#x0*22;|\")",
    "'": r"(?:&#0*39;|&#x0*27;|&apos;|')",
}


def contains_unescaped_html(text: str, needle: str) -> bool:
    """Whether ``needle`` (markup such as ``<script>alert(1)</script>``) appears raw.

    Compared ignoring case (browsers read ``<SCRIPT>`` as ``<script>``). Escaped copies
    (``&lt;script&gt;``) do not count.

    Examples
    --------
    >>> contains_unescaped_html("<td>&lt;script&gt;</td>", "<script>")
    False
    >>> contains_unescaped_html("<td><SCRIPT></td>", "<script>")
    True
    """
    if not needle:
        raise ParamsError("needle must not be empty")
    return needle.casefold() in text.casefold()


def contains_escaped_html(text: str, needle: str) -> bool:
    """Whether ``needle`` appears HTML-escaped (``&lt;script&gt;``, ``&#60;script&#62;``...).

    Examples
    --------
    >>> contains_escaped_html("<td>&lt;script&gt;x&lt;/script&gt;</td>", "<script>x</script>")
    True
    """
    if not needle:
        raise ParamsError("needle must not be empty")
    pattern = "".join(_ESCAPES.get(ch, re.escape(ch)) for ch in needle)
    return re.search(pattern, text, re.IGNORECASE) is not None
