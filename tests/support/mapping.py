"""Mapping files written in a test: what the loader says when it refuses one."""

from __future__ import annotations

import pytest

from connector.mapping.config import parse_mapping
from connector.settings import SettingsError


def refusal(text: str) -> str:
    """The error message of a mapping file the loader refuses (the test fails if it is accepted)."""
    with pytest.raises(SettingsError) as caught:
        parse_mapping(text, "mapping.yaml")
    return str(caught.value)
