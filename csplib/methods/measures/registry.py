"""Measure definitions as data: the registry, read from YAML and looked up by id.

Every measure is declared in a readable YAML file. ``csplib/methods/measures/measures.yaml``
ships the measure library: partnership-neutral definitions (police.uk categories, rates per
1,000, the partner-extract measures, a resident survey measure), with no targets. A
partnership's own measures, sections and targets are its framework file
(:mod:`~csplib.methods.measures.framework`, ``docs/framework.md``). A definition names the
tidy table it reads (``source``), a declarative ``filter``, an ``aggregation`` taken from a
small registry, its ``unit`` and ``polarity``::

    - id: hate_crime_repeat_victim_share
      name: "% of hate crime victims that are repeats"
      theme: Hate Crime
      source: partner
      unit: percentage
      polarity: lower_is_better
      filter: {flags: {hate: true}}
      aggregation: {kind: repeat_victim_share, min_crimes: 2}

A definition is validated into a :class:`~csplib.methods.measures.measure.Measure`; its parts
are :mod:`~csplib.methods.measures.filters` (which rows),
:mod:`~csplib.methods.measures.aggregations` (how they add up) and
:mod:`~csplib.methods.measures.targets` (a target, which a framework gives it).

Filter keys (all optional, combined with AND): ``categories`` (police.uk categories),
``category_group`` (``victim_based``, ``all_crime``, ``asb``), ``exclude_categories``,
``offence_codes`` (Home Office codes, as text), ``flags`` (``{hate: true}``; the partner
columns ``hate``, ``domestic``, ``weapon``), ``where`` (``{column: value or [values]}``),
``indicator`` (for the indicators table) and ``any_of`` (a list of filters combined with OR).

Aggregations (see :data:`~csplib.methods.measures.aggregations.AGGREGATIONS`; add one with
:func:`~csplib.methods.measures.aggregations.register_aggregation`):

======================  ===========  ==========  =============================================
kind                    sources      gives       what
======================  ===========  ==========  =============================================
count                   incidents,   count       rows matching the filter
                        partner
distinct_victims        partner      count       distinct ``victim_id`` among matching rows
repeat_victims          partner      count       victims with ``min_crimes`` (2)+ matching
                                                 crimes in the period
repeat_victim_share     partner      proportion  repeat victims / victims
share                   incidents,   proportion  rows matching ``filter`` and ``denominator``
                        partner                  / rows matching ``denominator``
harm_score              partner      harm        sum of offence-code weights (``weights=``)
indicator_sum           indicators   count       sum of ``numerator`` over the period's rows
indicator_ratio         indicators   proportion  sum of numerators / sum of denominators
survey_proportion       indicators   proportion  one survey wave: numerator / denominator,
                                                 with the sample size for its CI
======================  ===========  ==========  =============================================

Units: ``count``, ``rate_per_1000`` (a count divided by ``population`` x 1,000),
``percentage`` (values held as 0-100) and ``harm_score``. Polarity: ``lower_is_better``,
``higher_is_better`` or ``neutral``.

An analyst adds measures without Python by writing the same YAML in a file of their own and
loading it with ``load_registry(path)`` (or in a framework file's ``measures:``); a measure
with an id already shipped replaces the shipped one only when it says ``override: true``.
Every definition is checked when the registry is loaded and a bad one raises
:class:`~csplib.core.errors.DefinitionError` naming the measure and the problem.
"""

from __future__ import annotations

import difflib
import functools
import os
from collections.abc import Iterable, Mapping
from importlib import resources

import pandas as pd
import yaml

from csplib.core.errors import DefinitionError, ParamsError
from csplib.methods.measures.measure import Measure, MeasureValue

__all__ = [
    "LIBRARY",
    "Registry",
    "compute",
    "extend_registry",
    "get_measure",
    "load_registry",
    "read_yaml",
]

#: Where the measure library ships (named in messages and captions).
LIBRARY = "csplib/methods/measures/measures.yaml"


def compute(measure, data, period, **kwargs) -> MeasureValue:
    """Compute a measure (an id or a :class:`Measure`) over a period.

    Keyword arguments are those of :meth:`Measure.compute`; ``registry=`` selects the
    registry an id is looked up in.

    Examples
    --------
    >>> incidents = pd.DataFrame({"month": pd.to_datetime(["2019-04-01"] * 3),
    ...                           "category": ["Burglary", "Drugs", "Anti-social behaviour"]})
    >>> compute("victim_based_crime", incidents, "Apr 19").value
    1.0
    """
    registry = kwargs.pop("registry", None)
    if isinstance(measure, str):
        measure = get_measure(measure, registry)
    return measure.compute(data, period, **kwargs)


class Registry(Mapping):
    """Measures by id (read-only). Load one with :func:`load_registry`.

    Looking up an unknown id raises :class:`DefinitionError` with the closest ids.

    Examples
    --------
    >>> reg = load_registry()
    >>> reg["victim_based_crime"].unit
    'count'
    >>> "asb_police_recorded" in reg
    True
    """

    def __init__(self, measures: Iterable[Measure] = ()):
        items: dict[str, Measure] = {}
        for m in measures:
            if m.id in items:
                raise DefinitionError(
                    f"measure '{m.id}': duplicate id (defined in {items[m.id].origin or '?'} and "
                    f"{m.origin or '?'})"
                )
            items[m.id] = m
        self._items = items

    def __getitem__(self, key: str) -> Measure:
        try:
            return self._items[key]
        except KeyError:
            close = difflib.get_close_matches(str(key), self._items, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise DefinitionError(f"unknown measure '{key}'{hint}") from None

    def __contains__(self, key) -> bool:
        return key in self._items

    def get(self, key, default=None):
        return self._items.get(key, default)

    def __iter__(self):
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Registry({len(self)} measures)"

    def to_frame(self) -> pd.DataFrame:
        """One row per measure: its definition in brief, indexed by id."""
        rows = [
            {
                "id": m.id,
                "name": m.name,
                "theme": m.theme,
                "source": m.source,
                "unit": m.unit,
                "polarity": m.polarity,
                "aggregation": m.aggregation,
                "target": m.target.text if m.target else None,
                "origin": m.origin,
            }
            for m in self._items.values()
        ]
        columns = [
            "id",
            "name",
            "theme",
            "source",
            "unit",
            "polarity",
            "aggregation",
            "target",
            "origin",
        ]
        return pd.DataFrame(rows, columns=columns).set_index("id")


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses a key given twice in one mapping."""


def _construct_mapping(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} appears twice", key_node.start_mark
            )
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml(text: str, origin: str):
    """Parse YAML safely, refusing a key given twice in one mapping.

    Raises
    ------
    DefinitionError
        Naming ``origin`` (the file) and the problem.

    Examples
    --------
    >>> read_yaml("{version: 1, name: x}", "f.yaml")
    {'version': 1, 'name': 'x'}
    """
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        raise DefinitionError(f"{origin}: not valid YAML: {exc}") from None


def _measure_specs(text: str, origin: str) -> list:
    """The ``measures:`` list of a measures file."""
    doc = read_yaml(text, origin)
    if not isinstance(doc, dict) or not isinstance(doc.get("measures"), list):
        raise DefinitionError(f"{origin}: expected a mapping with a 'measures:' list")
    unknown = set(doc) - {"measures", "version"}
    if unknown:
        raise DefinitionError(
            f"{origin}: unknown top-level key(s) {', '.join(sorted(map(str, unknown)))}; "
            "expected 'measures' (and optionally 'version')"
        )
    return doc["measures"]


def _definitions(specs, origin: str) -> list[tuple[dict, Measure]]:
    out = [(spec, Measure.from_spec(spec, origin=origin)) for spec in specs]
    Registry(m for _, m in out)  # duplicate ids within one file
    return out


def extend_registry(base: Registry, specs, origin: str) -> Registry:
    """``base`` with the measures defined by ``specs`` (their YAML form) added.

    A measure with an id already in ``base`` replaces it only when it says
    ``override: true``; otherwise a duplicate id is an error.

    Parameters
    ----------
    base : Registry
    specs : list of mapping
        Measure definitions, as in ``measures.yaml``.
    origin : str
        Where they come from (the file), named in every message.

    Raises
    ------
    DefinitionError

    Examples
    --------
    >>> mine = {"id": "shop_theft", "name": "Shop theft", "theme": "Crime",
    ...         "source": "incidents", "unit": "count", "polarity": "lower_is_better",
    ...         "filter": {"categories": ["Shoplifting"]}, "aggregation": "count"}
    >>> reg = extend_registry(load_registry(), [mine], "mine.yaml")
    >>> reg["shop_theft"].origin, len(reg) - len(load_registry())
    ('mine.yaml', 1)
    """
    merged: dict[str, Measure] = dict(base.items())
    for spec, measure in _definitions(specs, origin):
        override = spec.get("override", False)
        if measure.id in merged and not override:
            raise DefinitionError(
                f"measure '{measure.id}' in {origin}: duplicate id, already defined in "
                f"{merged[measure.id].origin}; add 'override: true' to replace it"
            )
        if override and measure.id not in merged:
            raise DefinitionError(
                f"measure '{measure.id}' in {origin}: override: true, but there is no measure "
                f"'{measure.id}' to replace"
            )
        merged[measure.id] = measure
    return Registry(merged.values())


@functools.lru_cache(maxsize=1)
def _shipped() -> Registry:
    text = resources.files("csplib.methods.measures").joinpath("measures.yaml").read_text("utf-8")
    return Registry(m for _, m in _definitions(_measure_specs(text, LIBRARY), LIBRARY))


def load_registry(path=None, *, include_shipped: bool = True) -> Registry:
    """Load measure definitions: the shipped library, extended by the analyst's file(s).

    Parameters
    ----------
    path : str, os.PathLike or list of them, optional
        YAML file(s) with a ``measures:`` list in the shipped format. Their measures are
        added to the shipped ones; one with an id already defined replaces it only when it
        says ``override: true`` (otherwise a duplicate id is an error).
    include_shipped : bool, default True
        False loads only the given file(s).

    Returns
    -------
    Registry

    Raises
    ------
    DefinitionError
        Naming the measure and the problem, for any bad definition; for a missing file or
        invalid YAML, naming the file.

    Examples
    --------
    >>> reg = load_registry()
    >>> reg["asb_police_recorded"].name, reg["asb_police_recorded"].target is None
    ('Volume of Police Recorded Incidents', True)
    """
    if path is None:
        return _shipped() if include_shipped else Registry()
    paths = path if isinstance(path, list | tuple) else [path]
    registry = _shipped() if include_shipped else Registry()
    for p in paths:
        if not isinstance(p, str | os.PathLike):
            raise ParamsError(f"registry path must be a file path, got {p!r}")
        try:
            with open(p, encoding="utf-8") as fh:
                text = fh.read()
        except OSError as exc:
            raise DefinitionError(f"{p}: cannot read the measures file: {exc.strerror}") from None
        registry = extend_registry(registry, _measure_specs(text, str(p)), str(p))
    return registry


def get_measure(name: str, registry: Registry | None = None) -> Measure:
    """Look up a measure by id in ``registry`` (default: the shipped registry).

    Examples
    --------
    >>> get_measure("victim_based_crime").polarity
    'lower_is_better'
    """
    if isinstance(name, Measure):
        return name
    return (registry if registry is not None else _shipped())[name]
