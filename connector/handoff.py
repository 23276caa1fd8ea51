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
        return cls(**{
            name: decimal(value) if "Decimal" in declared[name] and value is not None else value
            for name, value in data.items()
            if name in declared
        })  # fmt: skip

    def to_row(self) -> str:
        """The values alone, in the order of the fields, as compact JSON: how Redis keeps a fact (a small hash
        of short values stays in Redis's compact encoding). Fields are only ever added at the end."""
        return json.dumps([_plain(getattr(self, f.name)) for f in fields(self)], separators=(",", ":"))  # type: ignore[arg-type]

    @classmethod
    def from_row(cls, row: str | bytes) -> Self:
        names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
        return cls.from_json(dict(zip(names, json.loads(row), strict=False)))


def decimal(value: Any) -> Decimal:
    """An amount from the Service Layer (fractions arrive as Decimal, whole numbers as int) or from JSON text."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value
