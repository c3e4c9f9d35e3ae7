"""Request and response bodies for /auth."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import EmailStr, Field, StringConstraints, model_validator

from croupier.kit.schemas import Input, Output

Username = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{3,32}$")]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]


class RegisterIn(Input):
    email: Annotated[EmailStr, Field(max_length=254)]
    username: Username
    password: Annotated[str, Field(min_length=1, max_length=128)]
    operator_slug: Slug | None = None


class LoginIn(Input):
    email: Annotated[str, Field(min_length=1, max_length=254)] | None = None
    username: Annotated[str, Field(min_length=1, max_length=254)] | None = None
    password: Annotated[str, Field(min_length=1, max_length=128)]
    operator_slug: Slug | None = None

    @model_validator(mode="after")
    def _one_login(self) -> LoginIn:
        if not (self.email or self.username):
            raise ValueError("email or username is required")
        return self

    @property
    def login_name(self) -> str:
        return (self.email or self.username or "").strip()


class PlayerOut(Output):
    id: int
    operator_id: int
    email: str | None
    username: str | None
    created_at: datetime


class SessionOut(Output):
    token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_at: datetime
    csrf_token: str
    role: str
    subject_id: int
    operator_id: int | None


class MeOut(Output):
    id: int
    kind: str
    role: str
    operator_id: int | None
    agent_id: int | None = None
    email: str | None = None
    username: str | None = None
    display_name: str | None = None
    vip_experience: int | None = None
    balances: dict[str, int] | None = None
