"""The emulated company database: rows per table, numbering sequences, and all-or-nothing transactions.

Rows are plain dicts treated as values: a change replaces the row (`put`), never edits it in place, so that a
transaction can undo itself by putting back what it replaced. One re-entrant lock serialises writers, which is
what makes a `$batch` changeset atomic against concurrent requests.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any

Row = dict[str, Any]

# Tables whose changes start a new generation (readers cache what they derive from them, per generation).
GENERATION_TABLES = frozenset({"UserFieldsMD"})


class Store:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._tables: dict[str, dict[Hashable, Row]] = {}
        self._sequences: dict[str, int] = {}
        self._undo: list[Callable[[], None]] | None = None

    # --- reads ---

    def table(self, name: str) -> dict[Hashable, Row]:
        return self._tables.setdefault(name, {})

    def get(self, table: str, key: Hashable) -> Row | None:
        return self._tables.get(table, {}).get(key)

    def rows(self, table: str) -> Iterator[Row]:
        return iter(list(self._tables.get(table, {}).values()))

    def has_table(self, name: str) -> bool:
        return name in self._tables

    def sequence(self, name: str) -> int | None:
        """The last value a numbering sequence gave, None before the first."""
        return self._sequences.get(name)

    # --- writes (undone when the enclosing transaction fails) ---

    def create_table(self, name: str) -> None:
        if name in self._tables:
            return
        self._tables[name] = {}
        self._record(lambda: self._tables.pop(name, None))

    def put(self, table: str, key: Hashable, row: Row) -> None:
        rows = self.table(table)
        missing = object()
        previous = rows.get(key, missing)
        rows[key] = row
        if table in GENERATION_TABLES:
            self.next_number(f"{table}:generation")
        if previous is missing:
            self._record(lambda: rows.pop(key, None))
        else:
            self._record(lambda: rows.__setitem__(key, previous))

    def delete(self, table: str, key: Hashable) -> None:
        rows = self.table(table)
        previous = rows.pop(key)
        if table in GENERATION_TABLES:
            self.next_number(f"{table}:generation")
        self._record(lambda: rows.__setitem__(key, previous))

    def next_number(self, sequence: str, start: int = 1) -> int:
        """The next value of a numbering sequence (DocEntry, DocNum, FieldID...)."""
        current = self._sequences.get(sequence)
        number = start if current is None else current + 1
        self._sequences[sequence] = number
        if current is None:
            self._record(lambda: self._sequences.pop(sequence, None))
        else:
            self._record(lambda: self._sequences.__setitem__(sequence, current))
        return number

    def set_sequence(self, sequence: str, last_used: int) -> None:
        self._sequences[sequence] = last_used

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside commit together or not at all; nested transactions join the outer one."""
        with self.lock:
            if self._undo is not None:
                yield
                return
            self._undo = []
            try:
                yield
            except BaseException:
                for undo in reversed(self._undo):
                    undo()
                raise
            finally:
                self._undo = None

    def _record(self, undo: Callable[[], None]) -> None:
        if self._undo is not None:
            self._undo.append(undo)
