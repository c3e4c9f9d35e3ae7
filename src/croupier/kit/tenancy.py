"""The caller's tenancy scope, applied to every query of operator-owned data in one place."""

from __future__ import annotations

from dataclasses import dataclass

from croupier.kit.errors import NotFoundError
from croupier.kit.sql import Query


@dataclass(frozen=True, slots=True)
class Scope:
    """Which operator's (and, for agent staff, which agent's) rows a caller may see.

    ``operator_id`` None means every operator: only a platform admin who did not narrow the
    request gets that. Everyone else is pinned to exactly one operator.
    """

    operator_id: int | None
    agent_id: int | None = None

    def apply(self, query: Query, operator_column: str, agent_column: str | None = None) -> Query:
        if self.operator_id is not None:
            query.where(f"{operator_column} = {{}}", self.operator_id)
        if self.agent_id is not None and agent_column is not None:
            query.where(f"{agent_column} = {{}}", self.agent_id)
        return query

    def allows(self, operator_id: int | None) -> bool:
        return self.operator_id is None or self.operator_id == operator_id

    def check(self, operator_id: int | None, what: str = "Resource") -> None:
        """Answer 404 (not 403) for another operator's object: its existence is not revealed."""
        if not self.allows(operator_id):
            raise NotFoundError(f"{what} not found.")

    def require_operator(self) -> int:
        if self.operator_id is None:
            raise NotFoundError("Choose an operator (operatorId) for this request.")
        return self.operator_id


ALL_OPERATORS = Scope(operator_id=None)
