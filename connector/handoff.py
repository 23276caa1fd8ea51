"""Small typed values that the steps of a synchronisation pass to each other and Redis keeps: JSON in and out.

Celery's JSON keeps Decimal and datetime as they are; JSON text written by the connector itself keeps money as a
string. `from_json` reads either back into the declared types, so no caller converts amounts by hand.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from decimal import Decimal
from typing import Any, Self


@dataclass(frozen=True)
class Handoff:
    def to_json(self) -> dict[str, Any]:
        return {name: _plain(value) for name, value in asdict(self).items()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        declared = {f.name: str(f.type) for f in fields(cls)}  # type: ignore[arg-type]
        return cls(**{name: _typed(declared[name], value) for name, value in data.items() if name in declared})

    def to_row(self) -> str:
        """The values alone, in the order of the fields, as compact JSON: how Redis keeps a fact (a small hash
        of short values stays in Redis's compact encoding), a flag as 0 or 1. Fields are only ever added at the
        end."""
        values = [_plain(getattr(self, f.name)) for f in fields(self)]  # type: ignore[arg-type]
        return json.dumps([int(value) if isinstance(value, bool) else value for value in values], separators=(",", ":"))

    @classmethod
    def from_row(cls, row: str | bytes) -> Self:
        names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
        return cls.from_json(dict(zip(names, json.loads(row), strict=False)))


def decimal(value: Any) -> Decimal:
    """An amount from the Service Layer (fractions arrive as Decimal, whole numbers as int) or from JSON text."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _typed(declared: str, value: Any) -> Any:
    if value is None:
        return None
    if "Decimal" in declared:
        return decimal(value)
    if declared == "bool":
        return bool(value)
    return value


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value
