"""Every emulated entity carries the real entity's properties, with their kinds and the defaults a real SL answers."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connector.testing.sapb1 import schema
from connector.testing.sapb1.app import render
from connector.testing.sapb1.company import Company
from connector.testing.sapb1.messages import SLError
from connector.testing.sapb1.model import Kind, clone

# A real Item as a real SL v2 answered it (public VCR cassette, see ../shared/reference/sap/SOURCES.md).
RECORDED_ITEM = Path("/work/shared/reference/sap/recorded/items_v2_test_get_item_real.yaml")


@pytest.fixture
def company() -> Company:
    return Company.from_file()


def _recorded_item() -> dict[str, Any]:
    if not RECORDED_ITEM.exists():
        pytest.skip(f"the recorded real Item is not on this machine ({RECORDED_ITEM})")
    yaml = pytest.importorskip("yaml")
    cassette = yaml.safe_load(RECORDED_ITEM.read_text())
    answer = next(i["response"] for i in cassette["interactions"] if "Items(" in i["request"]["uri"])
    return json.loads(answer["body"]["string"])


def test_an_item_answers_every_property_of_a_recorded_real_item_in_its_order_and_json_types(company: Company) -> None:
    real = _recorded_item()
    ours = render(schema.ITEM, company.get(schema.ENTITY_SETS["Items"], "TENT-2P-GRN"), 2)
    real_names = [name for name in real if not name.startswith(("@", "U_"))]  # U_: that company's own fields
    assert list(ours) == real_names

    def json_kind(value: Any) -> str:
        return (
            "number"
            if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)
            else type(value).__name__
        )

    for name in real_names:
        theirs, mine = real[name], ours[name]
        if isinstance(theirs, list):
            assert isinstance(mine, list), name
            if theirs and mine:
                assert list(mine[0]) == [n for n in theirs[0] if not n.startswith("U_")], name
        elif theirs is not None and mine is not None:
            assert json_kind(mine) == json_kind(theirs), name


@pytest.mark.parametrize(
    ("type_name", "at_least"),
    [
        ("Item", 290),
        ("BusinessPartner", 300),
        ("Document", 290),
        ("DocumentLine", 240),
        ("DocumentAdditionalExpense", 55),
        ("Payment", 105),
        ("PaymentInvoice", 24),
        ("DownPaymentToDraw", 20),
        ("Currency", 18),
        ("PaymentTermsType", 17),
        ("ShippingType", 3),
    ],
)
def test_types_have_the_full_property_lists_of_the_real_metadata(type_name: str, at_least: int) -> None:
    assert len(schema.TYPES[type_name].properties) >= at_least


def test_unset_properties_read_as_the_defaults_a_real_sl_answers(company: Company) -> None:
    partner = render(schema.BUSINESS_PARTNER, company.get(schema.ENTITY_SETS["BusinessPartners"], "C00002"), 1)
    assert partner["Frozen"] == "tNO"  # yes/no
    assert partner["VatLiable"] == "vLiable"  # an enumeration's real default
    assert partner["CreditLimit"] == Decimal(0)  # decimals are 0, not null
    assert partner["Website"] is None  # strings null
    assert partner["BPPaymentMethods"] == []  # collections empty
    order = company.create(
        schema.ENTITY_SETS["Orders"],
        {"CardCode": "C00002", "DocDueDate": "2026-11-30", "DocumentLines": [{"ItemCode": "FUEL-230G"}]},
    )
    answer = render(schema.DOCUMENT, order, 2)
    assert answer["TaxExtension"]["DocEntry"] is None  # a complex property answers an object of defaults
    assert answer["DocumentLines"][0]["ItemType"] == "dit_Item"  # as a real order line shows
    assert answer["DocumentLines"][0]["PriceSource"] == "dpsManual"
    assert answer["TransportationCode"] is None and answer["TrackingNumber"] is None


def test_a_stored_row_keeps_only_what_was_set_and_its_copy_is_independent(company: Company) -> None:
    item = company.get(schema.ENTITY_SETS["Items"], "TENT-2P-GRN")
    assert "Properties64" not in item and item["Properties64"] == "tNO" and item.get("Properties64") == "tNO"
    with pytest.raises(KeyError):
        item["NoSuchProperty"]
    copied = clone(item)
    copied["ItemPrices"][0]["Price"] = Decimal(1)
    assert item["ItemPrices"][0]["Price"] != Decimal(1)
    assert copied["Properties64"] == "tNO"


def test_every_property_kind_comes_from_the_metadata() -> None:
    document = schema.DOCUMENT
    assert document.prop("DocDate").kind is Kind.DATE
    assert document.prop("DocTime").kind is Kind.TIME
    assert document.prop("DocTotal").kind is Kind.DECIMAL
    assert document.prop("TransportationCode").kind is Kind.INT
    assert document.prop("DocumentStatus").enum.name == "BoStatus"
    assert document.prop("DocumentLines").item_type is schema.DOCUMENT_LINE
    assert schema.ENUMS["BoRcptInvTypes"].normalise(14) == "it_CredItnote"


@pytest.mark.parametrize("entity_set", ["Items", "Orders", "IncomingPayments", "BusinessPartners"])
def test_select_of_any_real_property_works_and_an_unknown_one_is_refused(company: Company, entity_set: str) -> None:
    from connector.testing.sapb1 import query

    entity_type = company.entity_type(schema.ENTITY_SETS[entity_set])
    names = [name for name, prop in entity_type.properties.items() if prop.kind is not Kind.COLLECTION]
    assert query.parse_select(",".join(names), entity_type) == names
    with pytest.raises(SLError) as caught:
        query.parse_select(f"{names[0]},NoSuchField", entity_type)
    assert (caught.value.code, caught.value.message) == (
        -1000,
        f"Property 'NoSuchField' of '{entity_type.name}' is invalid",
    )
