"""Which rows a measure counts: the declarative filter of a measure definition.

A measure's ``filter`` (and a ``share``'s ``denominator``) is written in the registry as a
mapping of clauses, all combined with AND: ``categories`` (police.uk categories),
``category_group`` (:data:`CATEGORY_GROUPS`), ``exclude_categories``, ``offence_codes``
(Home Office codes, as text), ``flags`` (the partner columns ``hate``, ``domestic``,
``weapon``), ``where`` (``{column: value or [values]}``), ``indicator`` (for the indicators
table) and ``any_of`` (a list of filters combined with OR). :meth:`Filter.from_spec` checks
a clause against the columns of the measure's source table (:data:`SOURCES`).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd

from csplib.core.errors import DataError, DefinitionError
from csplib.core.schema import (
    ASB,
    CRIME_CATEGORIES,
    INCIDENT_COLUMNS,
    INDICATOR_COLUMNS,
    PARTNER_COLUMNS,
    POLICE_UK_CATEGORIES,
    VICTIM_BASED_CATEGORIES,
)

__all__ = ["CATEGORY_GROUPS", "Filter", "SOURCES"]

#: The tidy tables a measure can read, with their columns (from :mod:`csplib.core.schema`).
SOURCES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "incidents": INCIDENT_COLUMNS,
        "partner": PARTNER_COLUMNS,
        "indicators": INDICATOR_COLUMNS,
    }
)

#: Named category groups usable as ``filter: {category_group: ...}``.
CATEGORY_GROUPS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "victim_based": VICTIM_BASED_CATEGORIES,
        "all_crime": CRIME_CATEGORIES,
        "asb": (ASB,),
    }
)

_FLAG_COLUMNS = ("hate", "domestic", "weapon")
_FILTER_KEYS = (
    "categories",
    "category_group",
    "exclude_categories",
    "offence_codes",
    "flags",
    "where",
    "indicator",
    "any_of",
)


@dataclass(frozen=True)
class Filter:
    """A declarative row filter (all clauses combined with AND; ``any_of`` with OR).

    Build one from its registry form with :meth:`from_spec`; :meth:`mask` applies it.

    Examples
    --------
    >>> f = Filter.from_spec({"categories": ["Robbery"], "flags": {"weapon": True}},
    ...                      source="partner")
    >>> df = pd.DataFrame({"category": ["Robbery", "Robbery", "Burglary"],
    ...                    "weapon": [True, False, True]})
    >>> f.mask(df).tolist()
    [True, False, False]
    """

    categories: tuple[str, ...] | None = None
    exclude_categories: tuple[str, ...] = ()
    offence_codes: tuple[str, ...] | None = None
    flags: tuple[tuple[str, bool], ...] = ()
    where: tuple[tuple[str, tuple], ...] = ()
    indicator: str | None = None
    any_of: tuple[Filter, ...] = ()

    @classmethod
    def from_spec(cls, spec, source: str, measure: str = "?", key: str = "filter") -> Filter:
        """Validate a filter's registry form against ``source``'s columns.

        Raises
        ------
        DefinitionError
            Naming the measure and the problem: an unknown key or column, an unknown
            police.uk category or category group, a malformed flag or value list.
        """

        def fail(problem):
            raise DefinitionError(f"measure '{measure}': {key}: {problem}")

        if spec is None:
            spec = {}
        if not isinstance(spec, dict):
            fail(f"expected a mapping of filter clauses, got {spec!r}")
        unknown = [k for k in spec if k not in _FILTER_KEYS]
        if unknown:
            fail(
                f"unknown filter key(s) {', '.join(map(repr, unknown))}; "
                f"expected some of {', '.join(_FILTER_KEYS)}"
            )
        columns = SOURCES[source]

        def need(column, why):
            if column not in columns:
                fail(
                    f"unknown column '{column}' (from {why}) for source '{source}'; "
                    f"its columns are {', '.join(columns)}"
                )

        def category_list(name):
            value = spec[name]
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not value:
                fail(f"{name} must be a non-empty list of police.uk categories")
            for cat in value:
                if cat not in POLICE_UK_CATEGORIES:
                    close = difflib.get_close_matches(str(cat), POLICE_UK_CATEGORIES, n=1)
                    hint = f" (did you mean '{close[0]}'?)" if close else ""
                    fail(
                        f"unknown category {cat!r} in {name}{hint}; categories must be from "
                        "csplib.core.schema.POLICE_UK_CATEGORIES"
                    )
            return tuple(dict.fromkeys(value))

        categories = None
        if "categories" in spec:
            need("category", "categories")
            categories = category_list("categories")
        if "category_group" in spec:
            need("category", "category_group")
            group = spec["category_group"]
            if group not in CATEGORY_GROUPS:
                fail(
                    f"unknown category_group {group!r}; expected one of "
                    f"{', '.join(CATEGORY_GROUPS)}"
                )
            categories = tuple(dict.fromkeys((*(categories or ()), *CATEGORY_GROUPS[group])))
        exclude = ()
        if "exclude_categories" in spec:
            need("category", "exclude_categories")
            exclude = category_list("exclude_categories")
        codes = None
        if "offence_codes" in spec:
            need("offence_code", "offence_codes")
            value = spec["offence_codes"]
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not value:
                fail("offence_codes must be a non-empty list of Home Office codes")
            if not all(isinstance(c, str) for c in value):
                bad = [c for c in value if not isinstance(c, str)]
                fail(
                    f"offence codes must be quoted text (e.g. '5D', '4.10'), got {bad!r}; "
                    "unquoted numbers lose their form (4.10 reads as 4.1)"
                )
            codes = tuple(dict.fromkeys(c.strip() for c in value))
        flags = ()
        if "flags" in spec:
            value = spec["flags"]
            if not isinstance(value, dict) or not value:
                fail("flags must be a mapping such as {hate: true}")
            for name, flag in value.items():
                if name not in _FLAG_COLUMNS:
                    fail(
                        f"unknown column '{name}' in flags; flags are the partner columns "
                        f"{', '.join(_FLAG_COLUMNS)}"
                    )
                need(name, "flags")
                if not isinstance(flag, bool):
                    fail(f"flag {name} must be true or false, got {flag!r}")
            flags = tuple(value.items())
        where = ()
        if "where" in spec:
            value = spec["where"]
            if not isinstance(value, dict) or not value:
                fail("where must be a mapping such as {hate_strand: [Race]}")
            items = []
            for column, values in value.items():
                need(column, "where")
                if column == "category":
                    fail("use 'categories' (checked against the police.uk list), not where")
                values = values if isinstance(values, list) else [values]
                if not values:
                    fail(f"where {column} needs at least one value")
                items.append((column, tuple(values)))
            where = tuple(items)
        indicator = None
        if "indicator" in spec:
            need("indicator", "indicator")
            indicator = spec["indicator"]
            if not isinstance(indicator, str) or not indicator.strip():
                fail(f"indicator must be the indicator's name, got {indicator!r}")
        any_of = ()
        if "any_of" in spec:
            value = spec["any_of"]
            if not isinstance(value, list) or len(value) < 2:
                fail("any_of must be a list of at least two filters")
            any_of = tuple(
                cls.from_spec(part, source, measure, key=f"{key}.any_of[{i}]")
                for i, part in enumerate(value)
            )
        return cls(categories, exclude, codes, flags, where, indicator, any_of)

    def columns(self) -> set[str]:
        """The columns the filter reads."""
        cols = set()
        if self.categories is not None or self.exclude_categories:
            cols.add("category")
        if self.offence_codes is not None:
            cols.add("offence_code")
        cols.update(name for name, _ in self.flags)
        cols.update(column for column, _ in self.where)
        if self.indicator is not None:
            cols.add("indicator")
        for part in self.any_of:
            cols |= part.columns()
        return cols

    def mask(self, df: pd.DataFrame) -> pd.Series:
        """Boolean Series (on ``df``'s index): rows that pass the filter."""
        keep = np.ones(len(df), dtype=bool)
        if self.categories is not None:
            keep &= df["category"].isin(self.categories).to_numpy(dtype=bool)
        if self.exclude_categories:
            keep &= ~df["category"].isin(self.exclude_categories).to_numpy(dtype=bool)
        if self.offence_codes is not None:
            codes = df["offence_code"].astype("str").str.strip()
            keep &= codes.isin(self.offence_codes).to_numpy(dtype=bool)
        for name, value in self.flags:
            flag = _as_flag(df[name], name)
            keep &= flag if value else ~flag
        for column, values in self.where:
            keep &= df[column].isin(values).to_numpy(dtype=bool)
        if self.indicator is not None:
            keep &= (df["indicator"] == self.indicator).fillna(False).to_numpy(dtype=bool)
        if self.any_of:
            either = np.zeros(len(df), dtype=bool)
            for part in self.any_of:
                either |= part.mask(df).to_numpy(dtype=bool)
            keep &= either
        return pd.Series(keep, index=df.index, name="keep")

    def to_spec(self) -> dict:
        """The registry form (with category groups expanded)."""
        spec: dict = {}
        if self.categories is not None:
            spec["categories"] = list(self.categories)
        if self.exclude_categories:
            spec["exclude_categories"] = list(self.exclude_categories)
        if self.offence_codes is not None:
            spec["offence_codes"] = list(self.offence_codes)
        if self.flags:
            spec["flags"] = dict(self.flags)
        if self.where:
            spec["where"] = {c: list(v) for c, v in self.where}
        if self.indicator is not None:
            spec["indicator"] = self.indicator
        if self.any_of:
            spec["any_of"] = [part.to_spec() for part in self.any_of]
        return spec


_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0", ""}


def _as_flag(series: pd.Series, name: str) -> np.ndarray:
    """A flag column as a numpy bool array (missing = not flagged)."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.fillna(False).to_numpy(dtype=bool)
    if pd.api.types.is_numeric_dtype(series.dtype):
        return series.fillna(0).to_numpy() != 0
    text = series.astype("str").str.strip().str.lower()
    text = text.where(series.notna(), "")
    bad = ~text.isin(_TRUE | _FALSE)
    if bad.any():
        example = series[bad.to_numpy()].iloc[0]
        raise DataError(f"column '{name}' should hold true/false flags, found {example!r}")
    return text.isin(_TRUE).to_numpy(dtype=bool)
