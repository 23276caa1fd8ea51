"""How a failure is handled, by kind: what the pipeline does with it and what the operator sees.

- transient (network, 5xx, session, throttling): retried with backoff; the client errors say so themselves.
- DataError: this Shopify fact cannot be booked as it is (an unknown SKU, an address B1 refuses); retrying
  cannot help, so it is held in the dead letters with the reason until someone fixes the data.
- ConfigurationError: the mapping lacks something (a tax rate, a payment gateway); held until the mapping is
  fixed, then retried by the operator.
- HeldForOperator: everything is valid but a person must decide (totals differ beyond the tolerance, an order
  cancelled after it was paid).
"""

from __future__ import annotations

from typing import ClassVar


class ConnectorError(Exception):
    """A failure that retrying will not cure; `kind` names the dead-letter category."""

    kind: ClassVar[str] = "error"


class DataError(ConnectorError):
    kind = "data"


class ConfigurationError(ConnectorError):
    kind = "configuration"


class HeldForOperator(ConnectorError):  # noqa: N818 - names the outcome the operator sees
    kind = "held"
