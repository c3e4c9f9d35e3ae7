"""Jaqpot Games' side of seed 003: sessions from the casino's launch, and the scripted round.

The provider never knows a balance of its own: it asks the casino (getBalance) and moves money
only by signed callbacks. ``play_round`` calls the casino with no transaction open and logs each
callback in a short one of its own.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg

from croupier.config import Settings
from croupier.db.pool import unit_of_work
from croupier.providers.jaqpot import queries
from croupier.providers.jaqpot.client import CasinoClient, CasinoReply
from croupier.providers.jaqpot.errors import (
    ProviderGameError,
    ProviderRequestError,
    ProviderSessionError,
    ProviderSignatureError,
)
from croupier.providers.jaqpot.schemas import LaunchIn, SimulateIn
from croupier.providers.jaqpot.script import Step, seed_round
from croupier.providers.signature import verify


@dataclass(frozen=True, slots=True)
class Casino:
    id: int
    casino_code: str
    provider_code: str | None
    callback_base_url: str | None
    casino_secret: str  # signs our callbacks
    provider_secret: str  # verifies the casino's calls


@dataclass(frozen=True, slots=True)
class RoundPlan:
    round_id: uuid.UUID
    session: asyncpg.Record


async def verified_casino(
    conn: asyncpg.Connection, settings: Settings, raw: bytes, signature: str | None
) -> tuple[Casino, Any]:
    """The casino that signed this body (it names itself with ``casinoCode``)."""
    try:
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        payload = None
    code = payload.get("casinoCode") if isinstance(payload, dict) else None
    row = await queries.casino_by_code(conn, code) if isinstance(code, str) else None
    if row is None:
        raise ProviderSignatureError()
    casino = Casino(
        id=row["id"],
        casino_code=row["casino_code"],
        provider_code=row["provider_code"],
        callback_base_url=row["callback_base_url"],
        casino_secret=row["casino_secret"] or settings.casino_secret.get_secret_value(),
        provider_secret=row["provider_secret"] or settings.provider_secret.get_secret_value(),
    )
    if not verify([casino.provider_secret], raw, signature):
        raise ProviderSignatureError()
    return casino, payload


async def launch(conn: asyncpg.Connection, casino: Casino, body: LaunchIn) -> dict[str, Any]:
    """Seed 003 step 0a: a provider session and the casino player's mapping."""
    game = await queries.game(conn, body.game_id)
    if game is None:
        raise ProviderGameError()
    player_id = await queries.upsert_player(conn, casino.id, body.user_id, body.currency)
    session_id = uuid.uuid4()
    await queries.insert_session(
        conn,
        {
            "id": session_id,
            "casino_id": casino.id,
            "player_id": player_id,
            "game_code": game["code"],
            "currency": body.currency,
            "session_token": body.session_token,
            "casino_session_id": body.casino_session_id,
        },
    )
    return {
        "providerSessionId": str(session_id),
        "gameId": game["code"],
        "currency": body.currency,
        "minBet": str(game["min_bet"]),
        "maxBet": str(game["max_bet"]),
        "playerId": player_id,
    }


async def start_round(conn: asyncpg.Connection, casino: Casino, body: SimulateIn) -> RoundPlan:
    session = await queries.session(conn, body.provider_session_id)
    if session is None or session["casino_id"] != casino.id:
        raise ProviderSessionError()
    expected = (
        session["session_token"],
        session["external_user_id"],
        session["game_code"],
        session["currency"].strip(),
    )
    if (body.session_token, body.user_id, body.game_id, body.currency) != expected:
        raise ProviderRequestError("Invalid request: the body does not match the session")
    round_id = uuid.uuid4()
    await queries.insert_round(conn, round_id, session["id"])
    return RoundPlan(round_id, session)


async def play_round(pool: asyncpg.Pool, casino: CasinoClient, plan: RoundPlan) -> dict[str, Any]:
    """Seed 003 steps 1-9 against the casino; returns each call with the balance after it."""
    session = plan.session
    steps = seed_round(
        session_token=session["session_token"],
        user_id=session["external_user_id"],
        round_id=str(plan.round_id),
        bet=session["min_bet"],
    )
    balance_body = {"sessionToken": session["session_token"], "userId": session["external_user_id"]}
    report = []
    status = "failed"
    try:
        for step in steps:
            reply = await casino.call(step.endpoint, step.body)
            await _log(pool, plan.round_id, step, reply)
            balance = reply.body.get("balance") if isinstance(reply.body, dict) else None
            if step.verify_balance:
                actual = await casino.call("/casino/getBalance", balance_body)
                await _log(pool, plan.round_id, step, actual, "/casino/getBalance", balance_body)
                balance = actual.body.get("balance") if isinstance(actual.body, dict) else None
            report.append(_report(step, reply, balance))
        status = "completed"
    finally:
        async with unit_of_work(pool) as uow:
            await queries.finish_round(uow.conn, plan.round_id, status)
    return {"providerSessionId": str(session["id"]), "roundId": str(plan.round_id), "steps": report}


def _report(step: Step, reply: CasinoReply, balance: str | None) -> dict[str, Any]:
    return {
        "step": step.number,
        "action": step.action,
        "endpoint": step.endpoint,
        "amount": step.amount,
        "validates": step.validates,
        "request": step.body,
        "status": reply.status,
        "response": reply.body,
        "balanceAfter": balance,
    }


async def _log(
    pool: asyncpg.Pool,
    round_id: uuid.UUID,
    step: Step,
    reply: CasinoReply,
    endpoint: str | None = None,
    body: dict[str, Any] | None = None,
) -> None:
    request = step.body if body is None else body
    async with unit_of_work(pool) as uow:
        await queries.log_callback(
            uow.conn,
            {
                "round_id": round_id,
                "step": step.number,
                "endpoint": endpoint or step.endpoint,
                "transaction_id": request.get("transactionId"),
                "request": request,
                "http_status": reply.status,
                "response": reply.body if isinstance(reply.body, dict) else {"text": reply.body},
            },
        )


async def ensure_catalogue(
    conn: asyncpg.Connection, *, casino_code: str, games: list[tuple[str, str, int, int]]
) -> None:
    """Onboard a casino (its secrets stay unset: the environment's apply) and our games."""
    await queries.ensure_casino(conn, casino_code, casino_code.title(), None)
    for code, name, min_bet, max_bet in games:
        await queries.ensure_game(conn, code, name, min_bet, max_bet)
