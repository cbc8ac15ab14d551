"""Police forces as police.uk names them: the text of ``Reported by`` and the file-name slug.

The ONS lookups name police force areas ("Devon & Cornwall", "Metropolitan Police");
police.uk's files are named by a slug (``devon-and-cornwall``, ``metropolitan``) and its
rows say which force reported them ("Devon & Cornwall Police").
"""

from __future__ import annotations

import re

__all__ = ["FORCE_NAMES", "force_label"]

#: Police force areas whose police.uk name or file slug is not ``"<name> Police"`` and the
#: name as a slug.
FORCE_NAMES: dict[str, tuple[str, str]] = {
    "Metropolitan Police": ("Metropolitan Police Service", "metropolitan"),
    "London, City of": ("City of London Police", "city-of-london"),
}


def force_label(force_name: str) -> tuple[str, str]:
    """The force's ``Reported by`` text and file-name slug.

    Examples
    --------
    >>> force_label("West Yorkshire"), force_label("Devon & Cornwall")
    (('West Yorkshire Police', 'west-yorkshire'), ('Devon & Cornwall Police', 'devon-and-cornwall'))
    >>> force_label("Metropolitan Police")
    ('Metropolitan Police Service', 'metropolitan')
    """
    if force_name in FORCE_NAMES:
        return FORCE_NAMES[force_name]
    slug = re.sub(r"[^a-z0-9]+", "-", force_name.casefold().replace("&", " and ")).strip("-")
    return f"{force_name} Police", slug
