"""Country and province names for the codes the emulated store meets in addresses (REST payloads carry both)."""

from __future__ import annotations

COUNTRIES = {
    "US": "United States",
    "CA": "Canada",
    "MX": "Mexico",
    "GB": "United Kingdom",
    "IE": "Ireland",
    "DE": "Germany",
    "FR": "France",
    "ES": "Spain",
    "IT": "Italy",
    "NL": "Netherlands",
    "BE": "Belgium",
    "CH": "Switzerland",
    "AT": "Austria",
    "AU": "Australia",
    "NZ": "New Zealand",
    "JP": "Japan",
}

PROVINCES = {
    "US": {
        "AL": "Alabama",
        "AK": "Alaska",
        "AZ": "Arizona",
        "AR": "Arkansas",
        "CA": "California",
        "CO": "Colorado",
        "CT": "Connecticut",
        "DE": "Delaware",
        "DC": "District of Columbia",
        "FL": "Florida",
        "GA": "Georgia",
        "HI": "Hawaii",
        "ID": "Idaho",
        "IL": "Illinois",
        "IN": "Indiana",
        "IA": "Iowa",
        "KS": "Kansas",
        "KY": "Kentucky",
        "LA": "Louisiana",
        "ME": "Maine",
        "MD": "Maryland",
        "MA": "Massachusetts",
        "MI": "Michigan",
        "MN": "Minnesota",
        "MS": "Mississippi",
        "MO": "Missouri",
        "MT": "Montana",
        "NE": "Nebraska",
        "NV": "Nevada",
        "NH": "New Hampshire",
        "NJ": "New Jersey",
        "NM": "New Mexico",
        "NY": "New York",
        "NC": "North Carolina",
        "ND": "North Dakota",
        "OH": "Ohio",
        "OK": "Oklahoma",
        "OR": "Oregon",
        "PA": "Pennsylvania",
        "RI": "Rhode Island",
        "SC": "South Carolina",
        "SD": "South Dakota",
        "TN": "Tennessee",
        "TX": "Texas",
        "UT": "Utah",
        "VT": "Vermont",
        "VA": "Virginia",
        "WA": "Washington",
        "WV": "West Virginia",
        "WI": "Wisconsin",
        "WY": "Wyoming",
        "PR": "Puerto Rico",
    },
    "CA": {
        "AB": "Alberta",
        "BC": "British Columbia",
        "MB": "Manitoba",
        "NB": "New Brunswick",
        "NL": "Newfoundland and Labrador",
        "NS": "Nova Scotia",
        "NT": "Northwest Territories",
        "NU": "Nunavut",
        "ON": "Ontario",
        "PE": "Prince Edward Island",
        "QC": "Quebec",
        "SK": "Saskatchewan",
        "YT": "Yukon",
    },
}


def country_code_of(value: str | None) -> str | None:
    """A country code from a code or a name ("US", "United States")."""
    if not value:
        return None
    text = value.strip()
    if text.upper() in COUNTRIES or len(text) == 2:
        return text.upper()
    for code, name in COUNTRIES.items():
        if name.lower() == text.lower():
            return code
    return None


def country_name(code: str | None) -> str | None:
    return None if code is None else COUNTRIES.get(code, code)


def province_code_of(country_code: str | None, value: str | None) -> str | None:
    """A province code from a code or a name, within the country."""
    if not value:
        return None
    text = value.strip()
    provinces = PROVINCES.get(country_code or "", {})
    if text.upper() in provinces:
        return text.upper()
    for code, name in provinces.items():
        if name.lower() == text.lower():
            return code
    return text.upper() if len(text) <= 3 else None


def province_name(country_code: str | None, province_code: str | None) -> str | None:
    if province_code is None:
        return None
    return PROVINCES.get(country_code or "", {}).get(province_code, province_code)
