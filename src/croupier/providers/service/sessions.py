"""POST /casino/launchGame: a session whose token is bound to player, game and currency, then the
provider's /provider/launch.

``launch`` owns its units of work instead of running in the request's: the provider is called
between two short transactions, never inside one (no network wait while holding locks, and no
pool starvation when the provider is this very server calling back).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from croupier.config import Settings
from croupier.db.pool import unit_of_work
from croupier.games import service as games
from croupier.kit.errors import CroupierError, NotFoundError
from croupier.kit.security import token_hash
from croupier.kit.tenancy import ALL_OPERATORS
from croupier.operators import service as operators
from croupier.players import service as players
from croupier.providers import queries, signature
from croupier.providers.errors import (
    InvalidGameError,
    PlayerBlockedError,
    PlayerNotFoundError,
    ProviderUnavailableError,
    WrongCurrencyError,
)
from croupier.providers.service.context import Provider
from croupier.providers.wire import stringify
from croupier.safety import service as safety
from croupier.safety.errors import SafetyRefusal
from croupier.wallets import service as wallets


@dataclass(frozen=True, slots=True)
class OpenedSession:
    id: int
    token: str
    provider: Provider
    operator_id: int
    player_id: int
    game_id: int
    game_code: str
    currency: str


@dataclass(frozen=True, slots=True)
class Launched:
    session: OpenedSession
    provider_session_id: str
    reply: dict[str, Any]

    def body(self) -> dict[str, Any]:
        return {
            "sessionToken": self.session.token,
            "casinoSessionId": self.session.id,
            "providerSessionId": self.provider_session_id,
            "userId": self.session.player_id,
            "gameId": self.session.game_code,
            "currency": self.session.currency,
            "minBet": self.reply.get("minBet"),
            "maxBet": self.reply.get("maxBet"),
        }


async def launch(
    pool: asyncpg.Pool,
    http: httpx.AsyncClient,
    settings: Settings,
    *,
    user_id: int,
    game_ref: int | str,
    currency: str | None,
    caller_player_id: int | None,
) -> Launched:
    async with unit_of_work(pool) as uow:
        opened = await open_session(
            uow.conn,
            user_id=user_id,
            game_ref=game_ref,
            currency=currency,
            caller_player_id=caller_player_id,
        )
    reply = await call_provider(
        http,
        settings,
        opened.provider,
        "/provider/launch",
        {
            "sessionToken": opened.token,
            "casinoSessionId": opened.id,
            "userId": opened.player_id,
            "gameId": opened.game_code,
            "currency": opened.currency,
            "casinoCode": opened.provider.casino_code,
        },
    )
    provider_session_id = reply.get("providerSessionId")
    if not isinstance(provider_session_id, str) or not provider_session_id:
        raise ProviderUnavailableError("The game provider's launch reply has no providerSessionId")
    async with unit_of_work(pool) as uow:
        await queries.set_provider_session(uow.conn, opened.id, provider_session_id)
    return Launched(opened, provider_session_id, reply)


async def open_session(
    conn: asyncpg.Connection,
    *,
    user_id: int,
    game_ref: int | str,
    currency: str | None,
    caller_player_id: int | None,
) -> OpenedSession:
    """Validate player, game and wallet and issue the token. Seed 003's launch is
    unauthenticated; here that holds only for its demo players, anyone else must be the
    logged-in player (another player's id is a 404, as if it did not exist)."""
    try:
        player = await players.get_player(conn, ALL_OPERATORS, user_id)
    except NotFoundError:
        raise PlayerNotFoundError() from None
    if caller_player_id != player["id"] and await queries.demo_player(conn, user_id) is None:
        raise PlayerNotFoundError()
    operator_id = player["operator_id"]
    if player["status"] != "active":
        raise PlayerBlockedError()
    try:
        await safety.check_login(conn, operator_id=operator_id, player_id=user_id)
    except SafetyRefusal as exc:
        raise PlayerBlockedError(exc.message, reason=exc.code) from exc
    game = await _provider_game(conn, game_ref, operator_id)
    provider_row = await queries.provider_by_code(conn, game["provider"])
    if provider_row is None or provider_row["status"] != "active":
        raise InvalidGameError("The game's provider is not available")
    provider = Provider.from_row(provider_row)
    wallet_currency = await operators.operator_currency(conn, operator_id)
    if currency is not None and currency != wallet_currency:
        raise WrongCurrencyError()
    await wallets.player_accounts(
        conn, operator_id=operator_id, player_id=user_id, currency=wallet_currency
    )
    # A relaunch of the game supersedes the older token for stakes (its payouts still land).
    await queries.lock_player_sessions(conn, provider.id, user_id, game["id"])
    await queries.supersede_sessions(conn, provider.id, user_id, game["id"])
    token = str(uuid.uuid4())
    session_id = await queries.insert_session(
        conn,
        operator_id=operator_id,
        provider_id=provider.id,
        player_id=user_id,
        game_id=game["id"],
        game_code=game["slug"],
        currency=wallet_currency,
        token_hash=token_hash(token),
        expires_at=datetime.now(UTC) + timedelta(seconds=provider.token_ttl_seconds),
    )
    return OpenedSession(
        session_id, token, provider, operator_id, user_id, game["id"], game["slug"], wallet_currency
    )


async def _provider_game(
    conn: asyncpg.Connection, game_ref: int | str, operator_id: int
) -> asyncpg.Record:
    try:
        game_id = (
            game_ref if isinstance(game_ref, int) else await games.game_id_for_key(conn, game_ref)
        )
        game = await games.playable_game(conn, game_id, operator_id)
    except CroupierError:
        raise InvalidGameError() from None
    if game["provider"] == "builtin":
        raise InvalidGameError("This game is played on the casino itself (POST /api/v1/game/spin)")
    return game


async def call_provider(
    http: httpx.AsyncClient,
    settings: Settings,
    provider: Provider,
    path: str,
    payload: dict[str, Any],
) -> dict[str, Any]:
    """POST a signed body to the provider; anything but a JSON 200 is a 502 for our caller."""
    body = stringify(payload)
    url = f"{provider.api_base_url.rstrip('/')}{path}" if provider.api_base_url else path
    headers = {
        "content-type": "application/json",
        "x-provider-signature": signature.sign(provider.signing_secret(settings), body),
    }
    try:
        response = await http.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        raise ProviderUnavailableError(
            f"The game provider did not answer {path}: {type(exc).__name__}"
        ) from exc
    try:
        reply = response.json()
    except ValueError:
        reply = None
    if response.status_code != 200 or not isinstance(reply, dict):
        raise ProviderUnavailableError(
            f"The game provider refused {path} ({response.status_code})",
            providerResponse=reply if isinstance(reply, dict) else response.text[:200],
        )
    return reply
