"""A partnership's performance framework, as data: its sections, targets and own measures.

The measure library (``measures.yaml``) holds partnership-neutral definitions with no
targets. What a partnership reports is its **framework file**, named by the parameters'
``framework:`` key (format: ``docs/framework.md``)::

    version: 1
    name: Community Safety Plan 2024-27
    headline: [victim_based_crime, asb_police_recorded, repeat_callers]   # in table order
    tracked: [all_crime, burglary, robbery]                             # optional
    other: [asb_rate]                                                   # optional
    targets:                                                            # optional
      - {measure: asb_police_recorded, baseline: 2023/24, change: -10%,
         assessment: 2024/25 - 2026/27, text: Reduce ASB by 10%}
      - {measure: repeat_callers, under: asb_police_recorded}
    measures: [...]          # optional: its own definitions, in the library's format
    notes: [...]             # optional: caveats about its measures, shown on the page
    layout: {target_per_theme: true}   # optional: how its tables are laid out

:func:`load_framework` reads and checks it into a :class:`Framework`: the library extended
by the file's own measures (a new id, or ``override: true`` to replace a library one), with
the targets applied; its sections (``other`` defaults to the file's own measures not listed
in ``headline`` or ``tracked``, so a framework never reports the whole library); and the
rows of its targets table; and its table layout (``layout:``, :data:`LAYOUT_KEYS`). With no
file, the generic framework shipped with the package
(``framework_generic.yaml``): all crime, victim-based crime and ASB (counts and rates per
1,000) and each police.uk crime category, with no targets. Every problem is a
:class:`~csplib.core.errors.DefinitionError` naming the file and the key.
"""

from __future__ import annotations

import difflib
import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from csplib.core.errors import DefinitionError, ParamsError
from csplib.methods.measures.measure import Measure
from csplib.methods.measures.registry import Registry, extend_registry, load_registry, read_yaml
from csplib.methods.measures.targets import Target

__all__ = [
    "FRAMEWORK_KEYS",
    "FRAMEWORK_VERSION",
    "GENERIC_FRAMEWORK",
    "LAYOUT_KEYS",
    "SECTIONS",
    "Framework",
    "load_framework",
]

#: The framework file format this library reads (the file's ``version:``).
FRAMEWORK_VERSION = 1

#: Where the generic framework ships (used when the parameters name no framework file).
GENERIC_FRAMEWORK = "csplib/methods/measures/framework_generic.yaml"

#: Top-level keys of a framework file.
FRAMEWORK_KEYS = (
    "version",
    "name",
    "headline",
    "tracked",
    "other",
    "targets",
    "measures",
    "notes",
    "layout",
)

#: The keys of a framework file's ``layout:`` (each true or false, default false) and what
#: each does to the performance tables.
LAYOUT_KEYS = {
    "target_per_theme": "a row without a target of its own shows the first target set on a "
    "measure of its theme (its Area) in the same table, as a published table that states "
    "each area's target once does",
}

#: The sections of the performance chapter, by the framework key that lists them.
SECTIONS = {
    "headline": "Headline measures",
    "tracked": "Tracked categories",
    "other": "Other framework measures",
}

_TARGET_KEYS = ("measure", "baseline", "change", "assessment", "text")


@dataclass(frozen=True)
class Framework:
    """A performance framework: what the chapter reports, in which sections, with which targets.

    Build one with :func:`load_framework`.

    Attributes
    ----------
    name : str
        Shown on the page.
    registry : Registry
        The measure library extended by the framework's own measures, with its targets
        applied (``registry[id].target``).
    headline, tracked, other : tuple of str
        Measure ids of each section, in table order.
    target_rows : tuple of (str, str or None)
        Rows of the targets table, in order: (measure, the target measure it is shown
        under, or None for a measure with its own target).
    own : tuple of str
        Ids defined by the file's ``measures:`` (new or overriding a library measure).
    notes : tuple of str
        Caveats about the framework's measures, shown on the page.
    target_per_theme : bool
        The file's ``layout: {target_per_theme: true}``: a row without a target of its own
        shows its theme's target (:data:`LAYOUT_KEYS`). False by default: a row shows its
        own target or none.
    origin : str
        The file read (the generic framework: :data:`GENERIC_FRAMEWORK`).
    generic : bool
        True for the generic framework (no file named).

    Examples
    --------
    >>> fw = load_framework()
    >>> fw.generic, fw.has_targets, fw.target_per_theme, fw.headline[:2]
    (True, False, False, ('all_crime', 'all_crime_rate'))
    >>> list(fw.sections)
    ['Headline measures', 'Tracked categories', 'Other framework measures']
    """

    name: str
    registry: Registry
    headline: tuple[str, ...]
    tracked: tuple[str, ...] = ()
    other: tuple[str, ...] = ()
    target_rows: tuple[tuple[str, str | None], ...] = ()
    own: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    target_per_theme: bool = False
    origin: str = GENERIC_FRAMEWORK
    generic: bool = False

    @property
    def sections(self) -> dict[str, list[str]]:
        """Measure ids by section name (:data:`SECTIONS`), in table order."""
        return {
            SECTIONS["headline"]: list(self.headline),
            SECTIONS["tracked"]: list(self.tracked),
            SECTIONS["other"]: list(self.other),
        }

    @property
    def measure_ids(self) -> list[str]:
        """Every measure reported (sections, then target rows), each once, in order."""
        ids = [*self.headline, *self.tracked, *self.other, *(m for m, _ in self.target_rows)]
        return list(dict.fromkeys(ids))

    @property
    def targets(self) -> dict[str, Target]:
        """Each target by measure id, in the order of the targets table."""
        return {m: self.registry[m].target for m, under in self.target_rows if under is None}

    @property
    def has_targets(self) -> bool:
        """Whether the framework sets any target."""
        return bool(self.targets)

    def __getitem__(self, measure_id: str) -> Measure:
        return self.registry[measure_id]

    def __repr__(self) -> str:
        n, t = len(self.measure_ids), len(self.targets)
        return (
            f"Framework({self.name!r}, {n} measure{'s' * (n != 1)}, "
            f"{t} target{'s' * (t != 1)}, from {self.origin})"
        )


def load_framework(path=None) -> Framework:
    """Read and check a framework file (``docs/framework.md``); None: the generic framework.

    Parameters
    ----------
    path : str or os.PathLike, optional
        The framework file, e.g. the parameters' ``framework`` (``params.framework``).

    Returns
    -------
    Framework

    Raises
    ------
    DefinitionError
        Naming the file and the key: a file that cannot be read or is not valid YAML, an
        unknown top-level key, a missing or unknown ``version``, an unknown measure id (with
        the closest ids), a measure listed twice in a section, a target on a measure of
        neutral polarity, ``under:`` naming a measure with no target, targets with different
        baselines, a bad measure definition or a duplicate id, an unknown ``layout:`` key or
        a ``layout:`` value that is not true or false.

    Examples
    --------
    >>> fw = load_framework()
    >>> fw.tracked[:3], fw.other, fw.targets
    (('all_crime', 'violence_and_sexual_offences', 'public_order'), (), {})
    >>> load_framework("no/such/framework.yaml")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    csplib.core.errors.DefinitionError: no/such/framework.yaml: cannot read the framework file...
    """
    if path is None:
        return _generic()
    if not isinstance(path, str | os.PathLike):
        raise ParamsError(f"a framework must be a file path, got {path!r}")
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise DefinitionError(f"{path}: cannot read the framework file: {exc.strerror}") from None
    return _parse(text, str(path), generic=False)


@functools.lru_cache(maxsize=1)
def _generic() -> Framework:
    files = resources.files("csplib.methods.measures")
    text = files.joinpath("framework_generic.yaml").read_text("utf-8")
    return _parse(text, GENERIC_FRAMEWORK, generic=True)


def _hint(name: str, known) -> str:
    close = difflib.get_close_matches(str(name), list(known), n=3)
    return f"; did you mean {', '.join(close)}?" if close else ""


def _parse(text: str, origin: str, *, generic: bool) -> Framework:
    doc = read_yaml(text, origin)

    def fail(key: str, problem: str):
        raise DefinitionError(f"{origin}: {key}: {problem}")

    if not isinstance(doc, dict):
        raise DefinitionError(
            f"{origin}: expected a mapping with version, name and headline (docs/framework.md)"
        )
    unknown = [str(k) for k in doc if k not in FRAMEWORK_KEYS]
    if unknown:
        hints = "".join(_hint(k, FRAMEWORK_KEYS) for k in unknown[:1])
        raise DefinitionError(
            f"{origin}: unknown top-level key(s) {', '.join(map(repr, unknown))}{hints} "
            f"(expected {', '.join(FRAMEWORK_KEYS)})"
        )
    if "version" not in doc:
        fail("version", f"missing; write 'version: {FRAMEWORK_VERSION}' (docs/framework.md)")
    if doc["version"] != FRAMEWORK_VERSION or isinstance(doc["version"], bool):
        fail(
            "version",
            f"{doc['version']!r} is not a framework format this library reads; "
            f"expected {FRAMEWORK_VERSION}",
        )
    name = doc.get("name")
    if not isinstance(name, str) or not name.strip():
        fail("name", f"expected the framework's name (shown on the page), got {name!r}")

    registry, own = _measures(doc.get("measures"), origin, fail)
    sections = {key: _ids(doc, key, registry, fail) for key in SECTIONS}
    if not sections["headline"]:
        fail("headline", "expected a list of at least one measure id")
    rows, targets = _targets(doc.get("targets"), registry, fail)
    if doc.get("other") is None:
        listed = {*sections["headline"], *sections["tracked"]}
        sections["other"] = tuple(m for m in own if m not in listed)
    reported = {m for ids in sections.values() for m in ids} | {m for m, _ in rows}
    unreported = [m for m in own if m not in reported]
    if unreported:
        fail(
            "measures",
            f"{', '.join(map(repr, unreported))} defined but never reported; list it under "
            "headline, tracked, other or targets",
        )
    if targets:
        registry = Registry(
            m.with_target(targets[m.id]) if m.id in targets else m for m in registry.values()
        )
    notes = doc.get("notes") or []
    if not isinstance(notes, list) or not all(isinstance(n, str) and n.strip() for n in notes):
        fail("notes", "expected a list of sentences")
    layout = _layout(doc.get("layout"), fail)
    return Framework(
        name=name.strip(),
        registry=registry,
        headline=sections["headline"],
        tracked=sections["tracked"],
        other=sections["other"],
        target_rows=rows,
        own=own,
        notes=tuple(" ".join(n.split()) for n in notes),
        target_per_theme=layout["target_per_theme"],
        origin=origin,
        generic=generic,
    )


def _layout(spec, fail) -> dict[str, bool]:
    """The file's ``layout:`` options, each true or false (absent: false)."""
    if spec is None:
        return dict.fromkeys(LAYOUT_KEYS, False)
    example = ", ".join(f"{k}: true" for k in LAYOUT_KEYS)
    if not isinstance(spec, Mapping):
        fail("layout", f"expected a mapping such as {{{example}}}, got {spec!r}")
    unknown = [str(k) for k in spec if k not in LAYOUT_KEYS]
    if unknown:
        fail(
            "layout",
            f"unknown key(s) {', '.join(map(repr, unknown))}{_hint(unknown[0], LAYOUT_KEYS)} "
            f"(expected {', '.join(LAYOUT_KEYS)})",
        )
    for key, value in spec.items():
        if not isinstance(value, bool):
            fail(f"layout: {key}", f"expected true or false, got {value!r}")
    return {key: spec.get(key, False) for key in LAYOUT_KEYS}


def _measures(specs, origin: str, fail) -> tuple[Registry, tuple[str, ...]]:
    """The library extended by the file's ``measures:``, and the ids it defines."""
    if specs is None:
        return load_registry(), ()
    if not isinstance(specs, list):
        fail("measures", "expected a list of measure definitions (the library's format)")
    for spec in specs:
        if isinstance(spec, Mapping) and "target" in spec:
            fail(
                "measures",
                f"measure '{spec.get('id')}' has a 'target:'; a framework sets its targets "
                "under the top-level 'targets:' list",
            )
    registry = extend_registry(load_registry(), specs, origin)
    return registry, tuple(spec["id"] for spec in specs)


def _ids(doc, key: str, registry: Registry, fail) -> tuple[str, ...]:
    """The measure ids of one section, each known and listed once."""
    value = doc.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        fail(key, f"expected a list of measure ids, got {value!r}")
    seen: set[str] = set()
    for mid in value:
        if mid not in registry:
            where = "the library's measures and the file's own 'measures:'"
            fail(key, f"unknown measure '{mid}'{_hint(mid, registry)} (ids: {where})")
        if mid in seen:
            fail(key, f"measure '{mid}' is listed twice")
        seen.add(mid)
    return tuple(value)


def _targets(entries, registry: Registry, fail):
    """The rows of the targets table and each target by measure id."""
    if entries is None:
        return (), {}
    if not isinstance(entries, list):
        fail("targets", "expected a list of {measure, baseline, change, assessment, text} entries")
    rows: list[tuple[str, str | None]] = []
    targets: dict[str, Target] = {}
    for i, entry in enumerate(entries, start=1):
        where = f"targets (entry {i})"
        if not isinstance(entry, Mapping) or "measure" not in entry:
            fail(where, f"expected a mapping with 'measure:', got {entry!r}")
        mid = entry["measure"]
        if not isinstance(mid, str) or mid not in registry:
            fail(where, f"unknown measure {mid!r}{_hint(mid, registry)}")
        if mid in (m for m, _ in rows):
            fail(where, f"measure '{mid}' is listed twice")
        if "under" in entry:
            extra = sorted(str(k) for k in entry if k not in ("measure", "under"))
            if extra:
                fail(
                    where,
                    f"'{mid}' is shown under another measure's target, so it takes no "
                    f"{', '.join(extra)}",
                )
            rows.append((mid, entry["under"]))
            continue
        unknown = sorted(str(k) for k in entry if k not in _TARGET_KEYS)
        if unknown:
            fail(
                where,
                f"unknown key(s) {', '.join(unknown)}; expected {', '.join(_TARGET_KEYS)} "
                "(or measure and under)",
            )
        measure = registry[mid]
        if measure.polarity == "neutral":
            fail(
                where,
                f"measure '{mid}' has polarity neutral, so no change in it is better than "
                "another: a target needs lower_is_better or higher_is_better (override the "
                "measure under 'measures:' to set one)",
            )
        spec = {k: v for k, v in entry.items() if k != "measure"}
        try:
            targets[mid] = Target.from_spec(spec, measure=mid)
        except DefinitionError as exc:
            fail(where, str(exc))
        rows.append((mid, None))
    for mid, under in rows:
        if under is not None and under not in targets:
            known = f"; targets are set for {', '.join(targets)}" if targets else ""
            fail("targets", f"'{mid}' is shown under {under!r}, which has no target{known}")
    baselines = {t.baseline.label for t in targets.values()}
    if len(baselines) > 1:
        fail(
            "targets",
            f"targets with different baselines ({', '.join(sorted(baselines))}): the targets "
            "table has one baseline column",
        )
    return tuple(rows), targets
