"""NOT PRODUCT CODE. Customers of the emulated shop: customerCreate, customerUpdate, and the customer an
orderCreate associates or upserts; customers/create and customers/update webhooks."""

from __future__ import annotations

from typing import Any

from connector.testing.shopify import messages, payloads
from connector.testing.shopify.catalog import number_of
from connector.testing.shopify.messages import MutationError, UserError, path
from connector.testing.shopify.model import Address, Customer
from connector.testing.shopify.places import country_code_of, province_code_of
from connector.testing.shopify.store import Action, Store


def address_from_input(store: Store, data: dict[str, Any], owner: str = "Address") -> Address:
    """MailingAddressInput or OrderCreateCustomerAddressInput (codes, or the older name fields)."""
    country = data.get("countryCode") or country_code_of(data.get("country"))
    return Address(
        id=store.new_id(),
        model_name=owner,
        first_name=data.get("firstName"),
        last_name=data.get("lastName"),
        company=data.get("company"),
        address1=data.get("address1"),
        address2=data.get("address2"),
        city=data.get("city"),
        province_code=data.get("provinceCode") or province_code_of(country, data.get("province")),
        country_code=country,
        zip=data.get("zip"),
        phone=data.get("phone"),
    )


def create_customer(store: Store, customer_input: dict[str, Any]) -> Customer:
    """customerCreate(input:)."""
    with store.action() as action:
        _check_identity(store, customer_input, prefix=("input",), existing=None)
        now = store.now()
        customer = Customer(id=store.new_id(), created_at=now, updated_at=now)
        _apply(store, customer, customer_input)
        store.customers[customer.id] = customer
        action.emit("customers/create", payloads.customer(store, customer))
        return customer


def update_customer(store: Store, customer_input: dict[str, Any]) -> Customer:
    """customerUpdate(input:): the fields given change; `addresses` (deprecated, still served) replaces the list,
    an entry with the `id` of an existing address updating that one in place (draft-proxy capture
    customers/customer-update-inline-address-id-semantics: the addresses left out are removed, the first one
    given becomes the default)."""
    with store.action() as action:
        customer = store.customers.get(number_of(customer_input.get("id"), "Customer") or 0)
        if customer is None:
            raise messages.customer_not_found(path("id"))
        _check_identity(store, customer_input, prefix=("input",), existing=customer)
        addresses = customer_input.get("addresses")
        if addresses is not None:
            customer.addresses = [_updated_address(store, customer, entry) for entry in addresses]
            customer_input = {key: value for key, value in customer_input.items() if key != "addresses"}
        _apply(store, customer, customer_input)
        customer.updated_at = store.now()
        action.emit("customers/update", payloads.customer(store, customer))
        return customer


def _updated_address(store: Store, customer: Customer, data: dict[str, Any]) -> Address:
    address_id = number_of((data.get("id") or "").split("?")[0], "MailingAddress")
    existing = next((a for a in customer.addresses if a.id == address_id), None) if address_id else None
    if existing is None:
        return address_from_input(store, data, owner="CustomerAddress")
    fresh = address_from_input(store, data, owner="CustomerAddress")
    for key, value in vars(fresh).items():
        if key not in ("id", "model_name") and value is not None:
            setattr(existing, key, value)
    return existing


def upsert_for_order(store: Store, action: Action, attributes: dict[str, Any], existing: Customer | None) -> Customer:
    """orderCreate's customer.toUpsert: update the matched customer or create one."""
    if existing is None:
        now = store.now()
        customer = Customer(id=store.new_id(), created_at=now, updated_at=now)
        _apply(store, customer, attributes)
        store.customers[customer.id] = customer
        action.emit("customers/create", payloads.customer(store, customer))
        return customer
    _apply(store, existing, attributes)
    existing.updated_at = store.now()
    action.emit("customers/update", payloads.customer(store, existing))
    return existing


def check_upsert(store: Store, attributes: dict[str, Any], existing: Customer | None, prefix: tuple[str, ...]) -> None:
    _check_identity(store, attributes, prefix=prefix, existing=existing)


def adopt_order_address(store: Store, action: Action, customer: Customer, address: Address | None) -> None:
    """An order's address becomes the default address (and name) of a customer that has none."""
    if address is None or customer.addresses:
        return
    copy = Address(**{**vars(address), "id": store.new_id(), "model_name": "CustomerAddress"})
    customer.addresses.append(copy)
    customer.first_name = customer.first_name or address.first_name
    customer.last_name = customer.last_name or address.last_name
    customer.updated_at = store.now()
    action.emit("customers/update", payloads.customer(store, customer))


def _check_identity(store: Store, data: dict[str, Any], prefix: tuple[str, ...], existing: Customer | None) -> None:
    errors: list[UserError] = []
    email, phone = data.get("email"), data.get("phone")
    if existing is None and not any(data.get(key) for key in ("email", "phone", "firstName", "lastName")):
        raise messages.customer_identity_missing()
    if email is not None and "@" not in email:
        errors += messages.email_invalid(path(*prefix, "email")).errors
    elif email:
        owner = store.customer_by_email(email)
        if owner is not None and owner is not existing:
            errors += messages.email_taken(path(*prefix, "email")).errors
    if phone:
        owner = next((c for c in store.customers.values() if c.phone == phone), None)
        if owner is not None and owner is not existing:
            errors += messages.phone_taken(path(*prefix, "phone")).errors
    if errors:
        raise MutationError(errors)


def _apply(store: Store, customer: Customer, data: dict[str, Any]) -> None:
    for key, attribute in (
        ("firstName", "first_name"),
        ("lastName", "last_name"),
        ("email", "email"),
        ("phone", "phone"),
        ("note", "note"),
        ("multipassIdentifier", "multipass_identifier"),
    ):
        if data.get(key) is not None:
            setattr(customer, attribute, data[key])
    if data.get("tags") is not None:
        customer.tags = sorted({tag.strip() for tag in data["tags"] if tag.strip()})
    if data.get("taxExempt") is not None:
        customer.tax_exempt = bool(data["taxExempt"])
    if data.get("taxExemptions") is not None:
        customer.tax_exemptions = list(data["taxExemptions"])
    if data.get("locale") is not None:
        customer.locale = data["locale"]
    if data.get("addresses"):
        customer.addresses = [address_from_input(store, entry, owner="CustomerAddress") for entry in data["addresses"]]
