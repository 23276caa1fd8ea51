"""NOT PRODUCT CODE. Amounts in two currencies at once, as Shopify keeps every amount of an order: in the shop's
currency and in the currency the customer saw (the presentment currency).

Each side is rounded on its own, per line first and then summed per order, which is how Shopify's totals add up
(a line's tax is rounded on the line, the order's tax is the sum of the lines' rounded taxes). Shopify does not
derive one side from the other with a single rate: each amount of an order is converted when it arises, so a
total's two sides are the sums of the lines' two sides.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class MoneyBag:
    """An amount in shop money and presentment money (GraphQL `MoneyBag`, REST `*_set`)."""

    shop: Decimal
    presentment: Decimal
    shop_currency: str
    presentment_currency: str

    @classmethod
    def zero(cls, shop_currency: str, presentment_currency: str) -> MoneyBag:
        return cls(ZERO, ZERO, shop_currency, presentment_currency)

    def _same_currencies(self, other: MoneyBag) -> None:
        if (self.shop_currency, self.presentment_currency) != (other.shop_currency, other.presentment_currency):
            raise ValueError(f"cannot add {other.currencies} to {self.currencies}")

    @property
    def currencies(self) -> tuple[str, str]:
        return self.shop_currency, self.presentment_currency

    def __add__(self, other: MoneyBag) -> MoneyBag:
        self._same_currencies(other)
        return MoneyBag(self.shop + other.shop, self.presentment + other.presentment, *self.currencies)

    def __sub__(self, other: MoneyBag) -> MoneyBag:
        return self + (-other)

    def __neg__(self) -> MoneyBag:
        return MoneyBag(-self.shop, -self.presentment, *self.currencies)

    def times(self, factor: int | Decimal) -> MoneyBag:
        """Each side multiplied and rounded to the cent (a unit price times a quantity, a rate on a base)."""
        return MoneyBag(cents(self.shop * factor), cents(self.presentment * factor), *self.currencies)

    def share(self, part: int, whole: int) -> MoneyBag:
        """The part of a line amount that `part` of its `whole` units carry; the whole is returned unrounded."""
        if part == whole:
            return self
        if whole == 0:
            return MoneyBag.zero(*self.currencies)
        return MoneyBag(cents(self.shop * part / whole), cents(self.presentment * part / whole), *self.currencies)

    def at_presentment(self, presentment: Decimal) -> MoneyBag:
        """The bag for another presentment amount at this bag's own rate (a refund of part of a payment)."""
        if presentment == self.presentment:
            return self
        shop = presentment if self.presentment == 0 else cents(self.shop * presentment / self.presentment)
        return MoneyBag(shop, presentment, *self.currencies)

    @property
    def is_zero(self) -> bool:
        return self.shop == 0 and self.presentment == 0


def total(amounts: Iterable[MoneyBag], zero: MoneyBag) -> MoneyBag:
    """The sum of bags, starting from `zero` (which fixes the currencies of an empty sum)."""
    result = zero
    for amount in amounts:
        result = result + amount
    return result


def spread(amount: MoneyBag, weights: list[MoneyBag]) -> list[MoneyBag]:
    """Split `amount` over lines in proportion to their amounts, side by side, the remainder on the last share."""
    zero = MoneyBag.zero(*amount.currencies)
    if not weights:
        return []

    def side(value: Decimal, parts: list[Decimal]) -> list[Decimal]:
        whole = sum(parts, ZERO)
        value = min(value, whole)
        if whole == 0:
            return [ZERO for _ in parts]
        shares = [cents(value * part / whole) for part in parts[:-1]]
        return [*shares, value - sum(shares, ZERO)]

    shop = side(amount.shop, [w.shop for w in weights])
    presentment = side(amount.presentment, [w.presentment for w in weights])
    return [MoneyBag(s, p, *zero.currencies) for s, p in zip(shop, presentment, strict=True)]
