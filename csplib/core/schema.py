"""Names shared by every part of csplib: the tidy tables and the police.uk categories.

The tidy **incidents** table has one row per recorded crime or ASB incident:

=============  ==============================  ==========================================
column         dtype                           meaning
=============  ==============================  ==========================================
month          datetime64 (first of month)     month the incident was recorded
category       str                             harmonised police.uk category
lsoa           str                             LSOA code, in the store's vintage
ward           str                             ward code (where geography is attached)
ward_name      str                             ward name
source         str                             ``"police.uk"`` or ``"partner"``
crime_id       str or missing                  police.uk Crime ID (missing for ASB)
outcome        str or missing                  last outcome category
=============  ==============================  ==========================================

Partner extracts add ``date`` (datetime64), ``offence_code`` (Home Office code, str),
``victim_id`` (pseudonymous str), ``hate`` (bool), ``hate_strand`` (str or missing),
``domestic`` (bool) and ``weapon`` (bool).

The **indicators** table holds measures that do not come from incident data:
``indicator, area, period_start, period_end, numerator, denominator, value, source``.

Monthly series are pandas Series with a ``DatetimeIndex`` at month-start frequency
(``freq="MS"``).
"""

from __future__ import annotations

__all__ = [
    "ALL_CRIME",
    "ASB",
    "POLICE_UK_CATEGORIES",
    "CRIME_CATEGORIES",
    "VICTIM_BASED_CATEGORIES",
    "INCIDENT_COLUMNS",
    "PARTNER_COLUMNS",
    "INDICATOR_COLUMNS",
    "STREET_COLUMNS",
]

ASB = "Anti-social behaviour"

#: Every police.uk category except ASB, as one series or group. One label everywhere; not
#: "All crime", which a reader (and the disclosure checks) would take for a total of crime
#: and ASB.
ALL_CRIME = "All crime (excluding ASB)"

#: The current police.uk list (since May 2017): 13 crime types plus ASB.
CRIME_CATEGORIES: tuple[str, ...] = (
    "Bicycle theft",
    "Burglary",
    "Criminal damage and arson",
    "Drugs",
    "Other crime",
    "Other theft",
    "Possession of weapons",
    "Public order",
    "Robbery",
    "Shoplifting",
    "Theft from the person",
    "Vehicle crime",
    "Violence and sexual offences",
)
POLICE_UK_CATEGORIES: tuple[str, ...] = (ASB, *CRIME_CATEGORIES)

#: Home Office "victim-based crime": violence against the person, sexual offences,
#: robbery, theft offences (burglary, vehicle, theft from the person, bicycle,
#: shoplifting, other theft) and criminal damage and arson.
VICTIM_BASED_CATEGORIES: tuple[str, ...] = (
    "Violence and sexual offences",
    "Robbery",
    "Burglary",
    "Vehicle crime",
    "Theft from the person",
    "Bicycle theft",
    "Shoplifting",
    "Other theft",
    "Criminal damage and arson",
)

INCIDENT_COLUMNS: tuple[str, ...] = (
    "month",
    "category",
    "lsoa",
    "ward",
    "ward_name",
    "source",
    "crime_id",
    "outcome",
)
PARTNER_COLUMNS: tuple[str, ...] = (
    "date",
    "month",
    "offence_code",
    "category",
    "lsoa",
    "victim_id",
    "hate",
    "hate_strand",
    "domestic",
    "weapon",
)
INDICATOR_COLUMNS: tuple[str, ...] = (
    "indicator",
    "area",
    "period_start",
    "period_end",
    "numerator",
    "denominator",
    "value",
    "source",
)

#: The 12 columns of a police.uk street file, in order.
STREET_COLUMNS: tuple[str, ...] = (
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
)
