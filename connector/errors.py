"""How a failure is handled, by kind: the one rule the pipeline, the catalog and the dead letters follow.

Every exception the connector raises carries its kind as a class attribute, in the manner of stripe-python's
error classes (the Service Layer and Admin API clients set it on theirs); `kind_of` reads it, and knows the
few exceptions of other libraries that reach a task (a Redis or socket connection lost).

- transient (network, 5xx, session, throttling, a state that settles by itself): retried with backoff.
- data: this Shopify fact cannot be booked as it is (an unknown SKU, an address B1 refuses); retrying cannot
  help, so it is held in the dead letters with the reason until someone fixes the data.
- configuration: the mapping or a credential lacks something (a tax rate, a gateway, an app secret); held until
  it is fixed, then retried by the operator.
- held: everything is valid but a person must decide (totals differ beyond the tolerance).
- error: none of these: a bug, reported as one.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar


class Kind(StrEnum):
    TRANSIENT = "transient"
    DATA = "data"
    CONFIGURATION = "configuration"
    HELD = "held"
    ERROR = "error"


class ConnectorError(Exception):
    """A failure of the connector's own making; `kind` says what is done with it."""

    kind: ClassVar[Kind] = Kind.ERROR


class TransientError(ConnectorError):
    """A state that should settle by itself (a lock held, a read lagging behind a write)."""

    kind = Kind.TRANSIENT


class DataError(ConnectorError):
    kind = Kind.DATA


class ConfigurationError(ConnectorError):
    kind = Kind.CONFIGURATION


class HeldForOperator(ConnectorError):  # noqa: N818 - names the outcome the operator sees
    kind = Kind.HELD


def kind_of(error: BaseException) -> Kind:
    """The kind of any exception a step may meet: its own `kind`, else what a lost connection is."""
    kind = getattr(error, "kind", None)
    if isinstance(kind, Kind):
        return kind
    # Sockets, Redis (its ConnectionError and TimeoutError derive from these since redis-py 4) and requests'
    # lower layers: the peer was not reached or did not answer in time.
    if isinstance(error, (ConnectionError, TimeoutError)) or _is_redis_unreachable(error):
        return Kind.TRANSIENT
    return Kind.ERROR


def _is_redis_unreachable(error: BaseException) -> bool:
    import redis

    return isinstance(error, (redis.ConnectionError, redis.TimeoutError))
