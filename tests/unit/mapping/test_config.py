"""The mapping file: the shipped demo loads, and every mistake stops start-up with a message naming the key."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from connector.mapping.config import DEFAULT_MAPPING_FILE, load_mapping, parse_mapping
from connector.settings import SettingsError
from tests.support.mapping import refusal

MINIMAL = """
guest_partner: C-GUEST
default_warehouse: "01"
gateways: {shopify_payments: "1020"}
tax_codes: [{rate: "0.0725", country: US, code: CA}]
shipping: {default_expense_code: 1}
"""


def test_demo_mapping_loads_and_answers_the_pipelines_questions() -> None:
    mapping = load_mapping(DEFAULT_MAPPING_FILE)
    assert mapping.tax_code(Decimal("0.0725"), "US") == "CA"
    assert mapping.tax_code(Decimal("0"), "US") == "EX"
    assert mapping.tax_code(Decimal("0.05"), "US") is None
    assert mapping.gateways["paypal"] == "1030"
    assert mapping.warehouse("Retail store") == "02" and mapping.warehouse(None) == "01"
    assert mapping.item_code("TENT-2P-GRN") == "TENT-2P-GRN"


def test_minimal_mapping_takes_defaults() -> None:
    mapping = parse_mapping(MINIMAL)
    assert (mapping.partner_code_prefix, mapping.currency, mapping.rounding_tolerance) == ("W", "shop", Decimal("0.01"))


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ("gateways: {shopify_payments: ''}", "gateways"),
        ("tax_codes: [{rate: '0.0725'}]", "tax_codes[0].code: Missing data for required field."),
        ("tax_codes: [{rate: '7.25', code: CA}]", "tax_codes[0].rate"),
        ("shipping: {}", "shipping.default_expense_code"),
        ("currency: euros", "currency"),
        ("colour: blue", "colour: Unknown field."),
    ],
)
def test_a_mistake_names_the_key(change: str, named: str) -> None:
    key = change.split(":", 1)[0]
    text = "\n".join(line for line in MINIMAL.splitlines() if not line.startswith(f"{key}:")) + "\n" + change
    assert named in refusal(text)


def test_two_rules_for_the_same_rate_and_country_are_refused() -> None:
    text = MINIMAL.replace("tax_codes: [", "tax_codes: [{rate: '0.0725', country: US, code: TX}, ")
    assert "tax_codes[1]" in refusal(text) and "duplicates an earlier rule" in refusal(text)


def test_missing_required_keys_and_bad_yaml_are_refused() -> None:
    assert "guest_partner: Missing data" in refusal("default_warehouse: '01'")
    assert "not valid YAML" in refusal("guest_partner: [")


def test_missing_file_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="SHOPB1_MAPPING_FILE"):
        load_mapping(tmp_path / "absent.yaml")
