"""Who is calling a /casino callback: the provider (by its signature) and the token's session."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from croupier.config import Settings
from croupier.kit.coalescing import CoalescedReads
from croupier.kit.errors import NotFoundError
from croupier.kit.security import token_hash
from croupier.kit.tenancy import ALL_OPERATORS
from croupier.operators import service as operators
from croupier.players import service as players
from croupier.providers import queries, signature
from croupier.providers.errors import (
    InvalidRequestError,
    InvalidSignatureError,
    PlayerNotFoundError,
    TokenExpiredError,
    TokenInvalidError,
    WrongCurrencyError,
)


@dataclass(frozen=True, slots=True)
class Provider:
    id: int
    code: str
    casino_code: str
    api_base_url: str | None
    callback_secrets: tuple[str, ...]
    outbound_secret: str | None
    signature_skew_seconds: int
    token_ttl_seconds: int

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Provider:
        return cls(
            id=row["id"],
            code=row["code"],
            casino_code=row["casino_code"],
            api_base_url=row["api_base_url"],
            callback_secrets=tuple(row["callback_secrets"]),
            outbound_secret=row["outbound_secret"],
            signature_skew_seconds=row["signature_skew_seconds"],
            token_ttl_seconds=row["token_ttl_seconds"],
        )

    def verifying_secrets(self, settings: Settings) -> tuple[str, ...]:
        """Its own secrets, or seed 003's CASINO_SECRET when none is stored."""
        return self.callback_secrets or (settings.casino_secret.get_secret_value(),)

    def signing_secret(self, settings: Settings) -> str:
        return self.outbound_secret or settings.provider_secret.get_secret_value()


@dataclass(frozen=True, slots=True)
class TokenSession:
    id: int
    operator_id: int
    player_id: int
    game_id: int
    game_code: str
    currency: str
    expires_at: datetime
    superseded: bool

    def live(self, now: datetime) -> bool:
        return not self.superseded and self.expires_at > now


@dataclass(frozen=True, slots=True)
class Caller:
    provider: Provider
    session: TokenSession | None
    payload: Any  # the decoded body, trusted only because the signature over it verified


@dataclass(frozen=True, slots=True)
class Player:
    id: int
    operator_id: int
    status: str | None  # read only where it matters (stakes)


CallerReader = CoalescedReads[queries.CallerKey, asyncpg.Record]


def caller_reader(pool: asyncpg.Pool) -> CallerReader:
    """Concurrent callbacks' caller look-ups, read together (``kit.coalescing``)."""
    return CoalescedReads(pool, queries.load_callers)


async def authenticate(
    source: asyncpg.Connection | CallerReader,
    settings: Settings,
    *,
    raw: bytes,
    signature_header: str | None,
    timestamp_header: str | None,
    provider_code: str | None,
) -> Caller:
    """Resolve the provider and check the signature over the raw body; nothing is stored for
    a request that fails here (provider-wallet.md §2.3 rule 4). The caller is read on
    ``source``: a connection, or the reader that reads concurrent callbacks' together."""
    try:
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        payload = None
    token = payload.get("sessionToken") if isinstance(payload, dict) else None
    digest = token_hash(token) if isinstance(token, str) else None
    if isinstance(source, CoalescedReads):
        row = await source.find((provider_code, digest))
    else:
        row = await queries.load_caller(source, provider_code, digest)
    if row is None or row["status"] != "active":
        raise InvalidSignatureError()
    provider = Provider.from_row(row)
    if not signature.verify(
        provider.verifying_secrets(settings),
        raw,
        signature_header,
        timestamp=timestamp_header,
        skew_seconds=provider.signature_skew_seconds,
    ):
        raise InvalidSignatureError()
    if payload is None:
        raise InvalidRequestError("Invalid request: the body is not JSON")
    session = None
    if row["session_id"] is not None:
        session = TokenSession(
            id=row["session_id"],
            operator_id=row["operator_id"],
            player_id=row["player_id"],
            game_id=row["game_id"],
            game_code=row["game_code"],
            currency=row["currency"].strip(),
            expires_at=row["expires_at"],
            superseded=row["superseded_at"] is not None,
        )
    return Caller(provider=provider, session=session, payload=payload)


async def resolve_player(
    conn: asyncpg.Connection, caller: Caller, user_id: int, *, with_status: bool
) -> Player:
    """The player named by ``userId``; unknown players are a 404 that is never stored."""
    session = caller.session
    if session is not None and session.player_id == user_id and not with_status:
        return Player(user_id, session.operator_id, None)
    try:
        row = await players.get_player(conn, ALL_OPERATORS, user_id)
    except NotFoundError:
        raise PlayerNotFoundError() from None
    return Player(row["id"], row["operator_id"], row["status"])


def session_for(caller: Caller, player: Player, *, staking: bool) -> TokenSession:
    """The token's session if it is this player's. Stakes and balance reads need it live;
    payouts and rollbacks accept an expired or superseded one (§2.6)."""
    session = caller.session
    if session is None or session.player_id != player.id:
        raise TokenInvalidError()
    if staking and not session.live(datetime.now(UTC)):
        raise TokenExpiredError()
    return session


async def wallet_currency(conn: asyncpg.Connection, caller: Caller, player: Player) -> str:
    session = caller.session
    if session is not None and session.player_id == player.id:
        return session.currency
    return await operators.operator_currency(conn, player.operator_id)


def check_currency(sent: str | None, session: TokenSession) -> None:
    """A currency sent with a money call must be the session's, which is the wallet's."""
    if sent is not None and sent != session.currency:
        raise WrongCurrencyError()
