"""Assessment parameters: one YAML file per assessment, validated against one schema.

A parameters file says which assessment to produce (year and periods), for which area,
from which data, with which themes and thresholds. Everything a chapter needs that is not
data comes from here; nothing reads a global year or path.

Relative paths in the file are resolved against ``root``, which is itself relative to the
directory holding the parameters file (``root: ..`` for files in ``parameters/``).

Every problem is reported as a :class:`~csplib.core.errors.ParamsError` whose message names the
file and the key, e.g. ``parameters/bad.yaml: area.la_codes[0]: expected a local authority
code such as 'E06000018', got 'Nottingham'``.

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "crime.csv").write_text("x")
>>> _ = (d / "p.yaml").write_text('''
... assessment: {year: 2019, period: "2018/19"}
... area: {name: Nottingham, la_codes: [E06000018]}
... data: {police_uk: [crime.csv], reference_dir: .}
... ''')
>>> p = load_params(d / "p.yaml")
>>> p.assessment.period.label, str(p.assessment.period.start), str(p.assessment.period.end)
('2018/19', '2018-04-01', '2019-03-01')
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from csplib.core.errors import ParamsError
from csplib.core.schema import POLICE_UK_CATEGORIES

__all__ = [
    "Window",
    "Params",
    "load_params",
    "find_default_params",
    "DEFAULT_PARAMS",
]

#: Where ``csp assess`` looks when no ``--params`` is given (relative to the project root).
DEFAULT_PARAMS = Path("parameters") / "default.yaml"

_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
_FY_RE = re.compile(r"^(\d{4})/(\d{2})$")


def _month(value: Any, what: str) -> dt.date:
    """Parse ``'YYYY-MM'`` (or a date) into the first day of that month."""
    if isinstance(value, dt.date):
        return dt.date(value.year, value.month, 1)
    m = _MONTH_RE.match(str(value).strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"{what}: expected a month 'YYYY-MM', got {value!r}")
    return dt.date(int(m.group(1)), int(m.group(2)), 1)


class Window(BaseModel):
    """An inclusive run of whole months with a label.

    Written in a parameters file as a financial year (``"2018/19"``: April 2018 to March
    2019), a calendar year (``"2019"`` or ``2019``), any label
    :meth:`csplib.core.periods.Period.parse` reads (``"Sep 19 - Aug 20"``), or a mapping
    ``{start: "2019-09", end: "2020-08"}`` with an optional ``label``.

    Examples
    --------
    >>> w = Window.parse("2019/20")
    >>> (str(w.start), str(w.end), w.months)
    ('2019-04-01', '2020-03-01', 12)
    >>> Window.parse({"start": "2019-09", "end": "2020-08"}).label
    'Sep 19 - Aug 20'
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: dt.date
    end: dt.date
    label: str

    @property
    def months(self) -> int:
        """Number of months in the window, inclusive."""
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    @property
    def period(self):
        """The same months as a :class:`csplib.core.periods.Period` (label kept).

        Examples
        --------
        >>> Window.parse("2019/20").period.previous_year().label
        '2018/19'
        >>> p = Window.parse({"start": "2019-09", "end": "2020-08", "label": "2019/20"}).period
        >>> str(p.start.date()), str(p.end.date())
        ('2019-09-01', '2020-08-01')
        """
        from csplib.core.periods import Period

        if self.start.month == 4 and self.end == dt.date(self.start.year + 1, 3, 1):
            return Period.financial_year(self.start.year)
        return Period(self.start, self.end, label=self.label, kind="window")

    @classmethod
    def parse(cls, value: Any) -> Window:
        """Build a window from any of the accepted spellings (see the class docstring)."""
        if isinstance(value, Window):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str):
            from csplib.core.errors import CspError
            from csplib.core.periods import Period

            text = value.strip()
            try:
                period = Period.parse(text)
            except CspError:
                if _FY_RE.match(text):
                    raise ValueError(
                        f"expected a financial year such as '2018/19' (consecutive years), "
                        f"got {value!r}"
                    ) from None
                raise ValueError(
                    "expected a financial year '2018/19', a calendar year '2019', a window "
                    f"'Sep 19 - Aug 20' or {{start: 'YYYY-MM', end: 'YYYY-MM'}}, got {value!r}"
                ) from None
            return cls(start=period.start.date(), end=period.end.date(), label=period.label)
        if isinstance(value, dict):
            unknown = set(value) - {"start", "end", "label"}
            if unknown:
                raise ValueError(
                    f"unknown key {sorted(unknown)[0]!r}; expected 'start', 'end' and "
                    "optionally 'label'"
                )
            if "start" not in value or "end" not in value:
                raise ValueError("a window needs both 'start' and 'end' months ('YYYY-MM')")
            start = _month(value["start"], "start")
            end = _month(value["end"], "end")
            if end < start:
                raise ValueError(f"end {end:%Y-%m} is before start {start:%Y-%m}")
            if not value.get("label"):
                from csplib.core.periods import Period

                label = Period.window(start, end).label
            else:
                label = value["label"]
            return cls(start=start, end=end, label=str(label))
        raise ValueError(f"expected a period, got {value!r}")


WindowSpec = Annotated[Window, BeforeValidator(Window.parse)]
_Category = Literal[POLICE_UK_CATEGORIES]  # type: ignore[valid-type]


def _la_code(code: str) -> str:
    if not re.fullmatch(r"[EW]0[6-9]\d{6}", code):
        raise ValueError(f"expected a local authority code such as 'E06000018', got {code!r}")
    return code


_LaCode = Annotated[str, AfterValidator(_la_code)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


def _resolve(value: Any, info: ValidationInfo, *, kind: str) -> Path:
    root = Path((info.context or {}).get("root", "."))
    path = Path(os.path.expanduser(str(value)))
    path = path if path.is_absolute() else (root / path)
    path = Path(os.path.normpath(path))
    if kind == "file" and not path.is_file():
        raise ValueError(f"file not found: {path}")
    if kind == "dir" and not path.is_dir():
        raise ValueError(f"folder not found: {path}")
    if kind == "any" and not path.exists():
        raise ValueError(f"not found: {path}")
    return path


class AssessmentSpec(_Strict):
    """Which assessment: its year (names ``outputs/<year>``) and periods."""

    year: int = Field(ge=2000, le=2100)
    title: str = "Community Safety Strategic Assessment"
    period: WindowSpec
    baseline: WindowSpec | None = None
    comparisons: list[WindowSpec] = []

    @model_validator(mode="after")
    def _baseline_before_period(self) -> AssessmentSpec:
        if self.baseline is not None and self.baseline.start > self.period.start:
            raise ValueError(
                f"baseline {self.baseline.label} starts after the assessed period "
                f"{self.period.label}"
            )
        return self


class AreaSpec(_Strict):
    """The partnership area: its name and local authority codes."""

    name: str = Field(min_length=1)
    csp_code: str | None = Field(default=None, pattern=r"^(E22|W14)\d{6}$")
    la_codes: list[_LaCode] = Field(min_length=1)
    lsoa_vintage: Literal["2011", "2021"] = "2021"

    @field_validator("lsoa_vintage", mode="before")
    @classmethod
    def _vintage_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value


class SyntheticSpec(_Strict):
    """A synthetic source: generated from ``seed`` into ``dir`` on first use, then reused."""

    seed: int = Field(ge=0)
    dir: Path = Path(".cache/synthetic")
    calibration_dir: Path = Path("data")

    @field_validator("dir")
    @classmethod
    def _out(cls, path: Path, info: ValidationInfo) -> Path:
        return _resolve(path, info, kind="new")

    @field_validator("calibration_dir")
    @classmethod
    def _calibration(cls, path: Path, info: ValidationInfo) -> Path:
        return _resolve(path, info, kind="dir")


def _kind_of(path: Path, info: ValidationInfo, kind: str) -> str:
    """``kind``, or "new" for a file of the synthetic source: it is generated on first use,
    so validation neither needs it to exist nor creates it."""
    synthetic = info.data.get("synthetic")
    if synthetic is not None and Path(path).is_relative_to(synthetic.dir):
        return "new"
    return kind


class DataSpec(_Strict):
    """Where the data are. Paths are relative to ``root``.

    With a ``synthetic`` block, ``police_uk``, ``partner_extract`` and ``indicators`` default
    to the files of the synthetic dataset, which the run generates on first use
    (:func:`csplib.run.context.ensure_data`); validation itself writes nothing.
    """

    synthetic: SyntheticSpec | None = None
    police_uk: list[Path] = Field(min_length=1)
    partner_extract: list[Path] = []
    indicators: Path | None = None
    reference_dir: Path = Path("data/reference")
    cache_dir: Path = Path(".cache/csplib")
    #: A national store (``csp national``): every partnership's monthly counts, for the
    #: comparison with similar areas and England and Wales. None: no comparison.
    national: Path | None = None

    @model_validator(mode="before")
    @classmethod
    def _synthetic_source(cls, data: Any, info: ValidationInfo) -> Any:
        if not isinstance(data, dict) or data.get("synthetic") in (None, False):
            return (
                {k: v for k, v in data.items() if k != "synthetic"}
                if isinstance(data, dict)
                else data
            )
        spec = SyntheticSpec.model_validate(data["synthetic"], context=info.context)
        folder = spec.dir  # generated on first use by the run (csplib.run.context), not here
        return {
            "police_uk": [folder / "police_uk"],
            "partner_extract": [folder / "partner"],
            "indicators": folder / "synthetic_indicators.csv",
            **data,
            "synthetic": spec,
        }

    @field_validator("police_uk", "partner_extract", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, (str, Path)) else value

    @field_validator("police_uk", "partner_extract")
    @classmethod
    def _sources_exist(cls, paths: list[Path], info: ValidationInfo) -> list[Path]:
        resolved = []
        for i, p in enumerate(paths):
            try:
                resolved.append(_resolve(p, info, kind=_kind_of(p, info, "any")))
            except ValueError as exc:
                raise ValueError(f"[{i}]: {exc}") from None
        return resolved

    @field_validator("indicators")
    @classmethod
    def _file_exists(cls, path: Path | None, info: ValidationInfo) -> Path | None:
        return None if path is None else _resolve(path, info, kind=_kind_of(path, info, "file"))

    @field_validator("reference_dir")
    @classmethod
    def _dir_exists(cls, path: Path, info: ValidationInfo) -> Path:
        return _resolve(path, info, kind="dir")

    @field_validator("national")
    @classmethod
    def _national_store(cls, path: Path | None, info: ValidationInfo) -> Path | None:
        return None if path is None else _resolve(path, info, kind="dir")

    @field_validator("cache_dir")
    @classmethod
    def _cache_dir(cls, path: Path, info: ValidationInfo) -> Path:
        return _resolve(path, info, kind="new")


class ThemeSpec(_Strict):
    """A theme: a named group of categories and flags, reported to one sub-group."""

    name: str
    categories: list[_Category] = []
    flags: dict[Literal["hate", "domestic", "weapon"], bool] = {}
    subgroup: str | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> ThemeSpec:
        if not self.categories and not self.flags:
            raise ValueError("a theme needs at least one of 'categories' or 'flags'")
        return self


class HarmSpec(_Strict):
    """Harm weights: offence code -> weight, rolled up to police.uk categories with the
    force's offence mix. Unset, they are the files shipped in ``reference_dir`` (the ONS
    Crime Severity Score and the Home Office's 2017/18 recorded crime of every force, of
    which the area's own force is used): see :meth:`Params.harm_files`."""

    weights: Path | None = None
    offence_mix: Path | None = None
    #: The force (``Force_Name``) and year (``Financial_Year``) to take from an offence-mix
    #: file holding several, e.g. the Home Office file of every force.
    force: str | None = None
    financial_year: str | None = None

    @field_validator("weights", "offence_mix")
    @classmethod
    def _exists(cls, path: Path | None, info: ValidationInfo) -> Path | None:
        return None if path is None else _resolve(path, info, kind=_kind_of(path, info, "file"))


class Thresholds(_Strict):
    """Disclosure control: counts below ``suppress_below`` are hidden in shared outputs."""

    suppress_below: int = Field(default=5, ge=1, le=100)
    suppress_zeros: bool = False


class Params(_Strict):
    """A validated parameters file. Build it with :func:`load_params`."""

    root: Path = Path(".")
    assessment: AssessmentSpec
    area: AreaSpec
    data: DataSpec
    themes: dict[str, ThemeSpec] = {}
    #: The partnership's performance framework (measures, sections, targets): a YAML file;
    #: unset, the generic framework computable from police.uk, with no targets.
    framework: Path | None = None
    harm: HarmSpec = {}  # validated with the root context (validate_default)
    priorities: dict[str, Any] = {}
    thresholds: Thresholds = Thresholds()
    output_dir: Path = Path("outputs")
    source_file: Path | None = None

    @field_validator("themes")
    @classmethod
    def _theme_ids(cls, themes: dict[str, ThemeSpec]) -> dict[str, ThemeSpec]:
        for key in themes:
            if not re.fullmatch(r"[a-z][a-z0-9_]*", key):
                raise ValueError(
                    f"theme id {key!r}: use lower-case letters, digits and underscores "
                    "(it names the theme pack's file)"
                )
        return themes

    @field_validator("priorities")
    @classmethod
    def _priorities(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        from csplib.core.errors import CspError
        from csplib.params.priorities import load_priority_config

        try:
            load_priority_config(value or None)
        except CspError as exc:
            raise ValueError(str(exc).replace("\n", "; ")) from None
        return value

    @field_validator("framework")
    @classmethod
    def _framework_file(cls, path: Path | None, info: ValidationInfo) -> Path | None:
        return None if path is None else _resolve(path, info, kind="file")

    @field_validator("root")
    @classmethod
    def _root(cls, path: Path, info: ValidationInfo) -> Path:
        # load_params has already resolved root against the file's folder
        return _resolve((info.context or {}).get("root", path), info, kind="dir")

    @field_validator("output_dir")
    @classmethod
    def _output_dir(cls, path: Path, info: ValidationInfo) -> Path:
        return _resolve(path, info, kind="new")

    def harm_files(self) -> tuple[Path, Path]:
        """The harm weights and offence-mix files: as set under ``harm``, else the shipped
        ones (the ONS Crime Severity Score; the Home Office offence mix of every force, whose
        rows for ``harm.force``, else the area's own force, are used)."""
        ref = self.data.reference_dir
        return (
            self.harm.weights or ref / "harm" / "ons_css_weights_by_offence_code.csv",
            self.harm.offence_mix
            or ref / "home_office" / "recorded_crime_by_force_offence_2017-18.csv.gz",
        )

    @property
    def year_dir(self) -> Path:
        """``output_dir/<year>``: where ``csp assess`` writes this assessment."""
        return self.output_dir / str(self.assessment.year)

    def summary(self) -> dict[str, str]:
        """A short human-readable summary for the contents page."""
        a = self.assessment
        return {
            "Area": f"{self.area.name} ({', '.join(self.area.la_codes)})",
            "Assessed period": f"{a.period.label} ({a.period.start:%b %Y} to {a.period.end:%b %Y})",
            "Baseline": a.baseline.label if a.baseline else "none",
            "Themes": ", ".join(t.name for t in self.themes.values()) or "none",
            "Data": (
                f"synthetic (seed {self.data.synthetic.seed}), for demonstration"
                if self.data.synthetic
                else "recorded data"
            ),
        }


def _loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _allowed_keys(model: type[BaseModel], loc: tuple) -> list[str]:
    """The keys allowed in the mapping at ``loc`` (for 'unknown key' messages)."""
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return []
        ann = field.annotation
        sub = [a for a in getattr(ann, "__args__", (ann,)) if isinstance(a, type)]
        nested = [a for a in sub if issubclass(a, BaseModel)]
        if not nested:
            return []
        model = nested[0]
    return sorted(k for k in model.model_fields if k != "source_file")


def _message(err: dict[str, Any]) -> str:
    kind, loc = err["type"], err["loc"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(Params, loc)
        hint = f"; expected one of: {', '.join(allowed)}" if allowed else ""
        return f"unknown key{hint}"
    if kind == "missing":
        return "required key is missing"
    if kind in ("value_error", "assertion_error"):
        return str(err["ctx"].get("error", err["msg"])) if "ctx" in err else err["msg"]
    if kind == "literal_error":
        return f"expected one of {err['ctx']['expected']}, got {err['input']!r}"
    return f"{err['msg'][:1].lower()}{err['msg'][1:]}, got {err['input']!r}"


def load_params(path: str | os.PathLike, overrides: dict[str, Any] | None = None) -> Params:
    """Read and validate a parameters file.

    Parameters
    ----------
    path : path-like
        The YAML file.
    overrides : dict, optional
        Top-level sections to replace before validation (used by tests and theme packs).

    Returns
    -------
    Params
        Validated, with every path resolved and checked.

    Raises
    ------
    ParamsError
        One line per problem, each naming the file and the key.
    """
    path = Path(path)
    if not path.is_file():
        raise ParamsError(f"{path}: parameters file not found")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ParamsError(f"{path}: not UTF-8 text ({exc.reason})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ParamsError(f"{path}:{where}: YAML syntax error: {problem}") from None
    if not isinstance(raw, dict):
        raise ParamsError(f"{path}: expected a mapping of keys (assessment, area, data, ...)")
    raw = {**raw, **(overrides or {})}
    if "source_file" in raw:
        raise ParamsError(f"{path}: source_file: unknown key (it is set by csplib)")
    base = path.resolve().parent
    root_value = raw.get("root", ".")
    root = Path(root_value) if Path(str(root_value)).is_absolute() else base / str(root_value)
    try:
        return Params.model_validate(
            {**raw, "source_file": path.resolve()}, context={"root": os.path.normpath(root)}
        )
    except ValidationError as exc:
        lines = []
        for e in exc.errors():
            msg = _message(e)
            sep = "" if msg.startswith("[") else ": "  # an item index continues the key
            lines.append(f"{path}: {_loc(e['loc'])}{sep}{msg}")
        raise ParamsError("\n".join(lines)) from None


def find_default_params(start: str | os.PathLike | None = None) -> Path:
    """Find the parameters file to use when none is named.

    ``$CSP_PARAMS`` if set, else ``parameters/default.yaml`` in ``start`` (default: the
    current folder) or the nearest folder above it.

    Raises
    ------
    ParamsError
        If no such file exists.
    """
    env = os.environ.get("CSP_PARAMS")
    if env:
        return Path(env)
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / DEFAULT_PARAMS
        if candidate.is_file():
            return candidate
    raise ParamsError(
        f"no parameters file given and no {DEFAULT_PARAMS} found in {here} or above "
        "(set CSP_PARAMS or pass --params)"
    )
