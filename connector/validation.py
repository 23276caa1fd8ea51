"""marshmallow's nested error messages as lines an operator can read: `line_items[0].price: Missing data...`."""

from __future__ import annotations

from typing import Any


def error_lines(messages: Any, path: str = "") -> list[tuple[str, str]]:
    """(field path, message) pairs; list positions in brackets, nested fields joined by dots."""
    if isinstance(messages, dict):
        found: list[tuple[str, str]] = []
        for key, value in messages.items():
            name = f"{path}[{key}]" if isinstance(key, int) else (f"{path}.{key}" if path else str(key))
            found.extend(error_lines(value, name))
        return found
    if isinstance(messages, list) and all(isinstance(message, str) for message in messages):
        return [(path, " ".join(messages))]
    if isinstance(messages, list):
        return [pair for message in messages for pair in error_lines(message, path)]
    return [(path, str(messages))]


def describe(messages: Any) -> str:
    """All messages on one line, for an exception or a dead letter."""
    return "; ".join(f"{path}: {message}" for path, message in error_lines(messages))
