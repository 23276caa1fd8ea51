"""The shop's starting catalog and customers, from a JSON seed (`--seed-file`), built through the same rules
as productSet and customerCreate.

    {"products": [
        {"title": "Trail tent 2P", "sku": "TENT-2P", "price": "289.00", "vendor": "Northwind",
         "inventory": {"Main warehouse": 12, "Retail store": 3}},
        {"title": "Wool socks", "option": "Size",
         "variants": [{"value": "M", "sku": "SOCK-M", "price": "14.00", "inventory": {"Main warehouse": 40}}]}],
     "customers": [
        {"first_name": "Ada", "last_name": "Byrne", "email": "ada@example.com",
         "address": {"address1": "1 Main St", "city": "Portland", "province_code": "OR", "country_code": "US",
                     "zip": "97201"}}],
     "fulfillment_services": ["Northwind 3PL"]}

A fulfilment service gets a location of its own, named after it, that products may be stocked at; orders of
what only it stocks are assigned to it (a third-party fulfilment order).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connector.testing.shopify.messages import MutationError
from connector.testing.shopify.model import gid

if TYPE_CHECKING:
    from connector.testing.shopify.store import Store


def read(seed_file: Path | None) -> dict[str, Any]:
    """The seed in a file; a file that is not a seed object fails here, at start-up."""
    if seed_file is None:
        return {}
    seed = json.loads(seed_file.read_text())
    if not isinstance(seed, dict) or set(seed) - {"products", "customers", "fulfillment_services"}:
        raise ValueError(f"{seed_file}: a seed is an object with 'products', 'customers' and 'fulfillment_services'")
    return seed


def load(store: Store, seed: dict[str, Any]) -> None:
    from connector.testing.shopify import catalog, customers

    for name in seed.get("fulfillment_services") or []:
        store.add_fulfillment_service(name)
    for index, product in enumerate(seed.get("products") or []):
        try:
            catalog.product_set(store, _product_input(store, product), None)
        except (MutationError, KeyError, ValueError) as error:
            raise ValueError(f"seed product {index} ({product.get('title')!r}): {error}") from error
    for index, customer in enumerate(seed.get("customers") or []):
        try:
            customers.create_customer(store, _customer_input(customer))
        except (MutationError, KeyError) as error:
            raise ValueError(f"seed customer {index} ({customer.get('email')!r}): {error}") from error


def _product_input(store: Store, product: dict[str, Any]) -> dict[str, Any]:
    option = product.get("option", "Title")
    variants = product.get("variants") or [{**product, "value": "Default Title"}]
    return {
        "title": product["title"],
        "handle": product.get("handle"),
        "vendor": product.get("vendor", ""),
        "productType": product.get("product_type", ""),
        "descriptionHtml": product.get("description_html", ""),
        "tags": product.get("tags", []),
        "status": product.get("status", "ACTIVE"),
        "productOptions": [{"name": option, "values": [{"name": v["value"]} for v in variants]}],
        "variants": [_variant_input(store, option, variant) for variant in variants],
    }


def _variant_input(store: Store, option: str, variant: dict[str, Any]) -> dict[str, Any]:
    locations = {location.name: location for location in store.locations.values()}
    unknown = set(variant.get("inventory", {})) - set(locations)
    if unknown:
        raise ValueError(f"unknown location(s) {sorted(unknown)}; the shop has {sorted(locations)}")
    return {
        "optionValues": [{"optionName": option, "name": variant["value"]}],
        "sku": variant.get("sku"),
        "barcode": variant.get("barcode"),
        "price": Decimal(str(variant.get("price", "0"))),
        "compareAtPrice": Decimal(str(variant["compare_at_price"])) if variant.get("compare_at_price") else None,
        "inventoryItem": {"tracked": True, "requiresShipping": variant.get("requires_shipping", True)},
        "inventoryQuantities": [
            {"locationId": gid("Location", locations[name].id), "name": "available", "quantity": int(quantity)}
            for name, quantity in variant.get("inventory", {}).items()
        ],
    }


def _customer_input(customer: dict[str, Any]) -> dict[str, Any]:
    address = customer.get("address")
    return {
        "firstName": customer.get("first_name"),
        "lastName": customer.get("last_name"),
        "email": customer.get("email"),
        "phone": customer.get("phone"),
        "tags": customer.get("tags", []),
        "addresses": [
            {
                "firstName": customer.get("first_name"),
                "lastName": customer.get("last_name"),
                "address1": address.get("address1"),
                "address2": address.get("address2"),
                "city": address.get("city"),
                "provinceCode": address.get("province_code"),
                "countryCode": address.get("country_code"),
                "zip": address.get("zip"),
                "phone": address.get("phone"),
            }
        ]
        if address
        else None,
    }
