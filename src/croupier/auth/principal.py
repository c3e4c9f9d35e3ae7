"""Who is calling, resolved once per request from the session."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from croupier.kit.errors import NotFoundError
from croupier.kit.tenancy import Scope


class Role(StrEnum):
    PLAYER = "player"
    PLATFORM_ADMIN = "platform_admin"
    OPERATOR_ADMIN = "operator_admin"
    AGENT = "agent"
    CASHIER = "cashier"


STAFF_ROLES = frozenset({Role.PLATFORM_ADMIN, Role.OPERATOR_ADMIN, Role.AGENT, Role.CASHIER})


@dataclass(frozen=True, slots=True)
class Principal:
    subject_type: str  # "player" | "staff"
    subject_id: int
    role: Role
    operator_id: int | None
    agent_id: int | None
    session_id: int

    @property
    def is_player(self) -> bool:
        return self.role is Role.PLAYER

    def scope(self, requested_operator_id: int | None = None) -> Scope:
        """The rows this caller may read. Only a platform admin may choose the operator."""
        if self.role is Role.PLATFORM_ADMIN:
            return Scope(operator_id=requested_operator_id)
        if requested_operator_id is not None and requested_operator_id != self.operator_id:
            raise NotFoundError("Operator not found.")
        agent_id = self.agent_id if self.role in (Role.AGENT, Role.CASHIER) else None
        return Scope(operator_id=self.operator_id, agent_id=agent_id)
