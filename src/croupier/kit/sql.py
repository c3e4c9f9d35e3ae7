"""A tiny positional-parameter SQL builder for asyncpg.

Fragments use ``{}`` for parameters; ``build()`` numbers them ``$1..$n``. It keeps optional
filters readable without string-formatting values into SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Query:
    select: str
    _where: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    _tail: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)

    def where(self, fragment: str, *params: Any) -> Query:
        if fragment.count("{}") != len(params):
            raise ValueError("placeholder count does not match parameters")
        self._where.append((fragment, params))
        return self

    def where_if(self, value: Any, fragment: str) -> Query:
        """Add ``fragment`` with ``value`` as its one parameter unless ``value`` is None."""
        if value is not None:
            self.where(fragment, value)
        return self

    def tail(self, fragment: str, *params: Any) -> Query:
        """ORDER BY / LIMIT / OFFSET and the like, appended after the WHERE clause."""
        self._tail.append((fragment, params))
        return self

    def build(self) -> tuple[str, list[Any]]:
        args: list[Any] = []

        def render(fragment: str, params: tuple[Any, ...]) -> str:
            out = fragment
            for value in params:
                args.append(value)
                out = out.replace("{}", f"${len(args)}", 1)
            return out

        sql = self.select
        if self._where:
            sql += " WHERE " + " AND ".join(f"({render(f, p)})" for f, p in self._where)
        for fragment, params in self._tail:
            sql += " " + render(fragment, params)
        return sql, args
