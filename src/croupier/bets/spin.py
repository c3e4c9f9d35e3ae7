"""The spin: one unit of work from the stake to the pushed result (DESIGN.md §Bets).

validate → debit cash then bonus → outcome → settle the win in the stake's cash/bonus
proportion plus the jackpot contribution → jackpot trigger → XP, GGR, affiliate share →
bet log row → outbox event. The caller's unit of work commits; the event leaves after commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from time import perf_counter
from typing import Any

import asyncpg

from croupier.bets import fair, queries
from croupier.bets.errors import ExternalGameError, StakeOutOfRangeError
from croupier.bonuses import service as bonuses
from croupier.games import service as games_service
from croupier.games.engine import CsprngStops, FairStops, StopsSource, get_game_definition
from croupier.games.engine import spin as engine_spin
from croupier.games.engine.errors import InvalidStakeError
from croupier.jackpots import service as jackpots
from croupier.kit.errors import ConflictError
from croupier.kit.hashing import request_hash
from croupier.ledger import service as ledger
from croupier.ledger.errors import InsufficientFundsError
from croupier.ledger.service import Leg
from croupier.operators import service as operators
from croupier.realtime import service as realtime
from croupier.safety import service as safety
from croupier.safety.engine import SafetyAssessment
from croupier.vip import service as vip
from croupier.vouchers import bonus as voucher_bonus
from croupier.wallets import service as wallets


class SpinKeyReusedError(ConflictError):
    code = "IDEMPOTENCY_KEY_REUSED"
    default_message = "This Idempotency-Key was already used for a different spin."


@dataclass(frozen=True)
class SpinRequest:
    operator_id: int
    player_id: int
    game_id: int
    stake: int
    idempotency_key: str
    provably_fair: bool = False
    is_seeded: bool = False
    session_key: str | None = None  # the client's x-session-id for the safety engine
    # The backfill replays history: the safety engine must judge the spin at its own time.
    at: datetime | None = None
    channel: str = "web"  # RTP monitoring slices rounds by channel (reference B2.3)

    def fingerprint(self) -> dict[str, Any]:
        return spin_fingerprint(self.game_id, self.stake, self.provably_fair)


def spin_fingerprint(game_id: int, stake: int, provably_fair: bool) -> dict[str, Any]:
    """What a spin request asks for, as its Idempotency-Key's request hash covers it."""
    return {"gameId": game_id, "stake": stake, "fair": provably_fair}


@dataclass(frozen=True)
class SpinResult:
    bet: Mapping[str, Any]  # the bet's BET_COLUMNS (a record, or bets.bulk's view of one)
    safety: SafetyAssessment | None  # None for a replayed round: it was assessed when played
    # Wall time spent in the player-safety engine (its pre-check and its scoring), in ms: what
    # the engine adds to a spin, reported to clients as Server-Timing (issue: < 2 ms p99).
    safety_ms: float = 0.0


async def spin(conn: asyncpg.Connection, request: SpinRequest) -> SpinResult:
    """Play one round; a retried Idempotency-Key returns the same round."""
    fingerprint = request_hash(request.fingerprint())
    existing = await queries.bet_by_key(
        conn, request.operator_id, request.player_id, request.idempotency_key
    )
    if existing is not None:
        return SpinResult(_replayed(existing, fingerprint), None)

    game = await games_service.playable_game(conn, request.game_id, request.operator_id)
    if game["provider"] != "builtin":
        raise ExternalGameError()
    definition = get_game_definition(game["engine_key"])
    check_stake(definition, game, request.stake)
    currency = await operators.operator_currency(conn, request.operator_id)
    house = await ledger.ensure_account(
        conn, operator_id=request.operator_id, kind="house", currency=currency
    )
    round_id = uuid.uuid4()
    entry = await bonuses.open_spin(conn, player_id=request.player_id, game_id=game["id"])
    free_spin = entry.free_spin
    if free_spin is not None:
        funding = await _fund_free_spin(conn, request, free_spin, house, currency, round_id)
        accounts = await wallets.player_accounts(
            conn, operator_id=request.operator_id, player_id=request.player_id, currency=currency
        )
    else:
        entry.check_stake(request.stake)
        funding_or_replay = await _debit_stake(conn, request, house, round_id, fingerprint)
        if isinstance(funding_or_replay, SpinResult):
            return funding_or_replay
        funding = funding_or_replay
        assert funding.accounts is not None  # a paid stake's debit names the accounts
        accounts = funding.accounts
    stake = funding.stake
    if free_spin is not None:
        definition.line_bet(stake)  # the grant's stake value must fit the game's stake rule
    # After the debit (a refusal rolls it back, so nothing is written): the check locks the
    # player's safety rows for the record below, after the wallet, in the order every money
    # flow takes them.
    safety_started = perf_counter()
    checked = await _check_safety(conn, request, lock_for_record=True)
    safety_ms = (perf_counter() - safety_started) * 1000

    seed = None
    source: StopsSource
    if request.provably_fair:
        seed = await fair.next_round(conn, request.operator_id, request.player_id)
        source = FairStops(seed.server_seed, seed.client_seed, seed.nonce)
    else:
        source = CsprngStops()
    outcome = engine_spin(definition, stake, source)
    win = outcome.total_win
    # Wins follow the stake's funding: cash share to cash, the rest (bonus, free spin) to bonus.
    win_cash = win * funding.cash // stake
    win_bonus = win - win_cash

    pool = await jackpots.pool_for_group(conn, game["jackpot_group"], currency)
    contribution = jackpots.contribution(stake, pool["contribution_bp"]) if pool else 0
    # A free spin's win is credited by the bonuses domain (it also adds it to wagering).
    legs = [] if free_spin else [Leg(accounts.cash_id, win_cash), Leg(accounts.bonus_id, win_bonus)]
    if contribution:
        legs.append(
            Leg(
                await jackpots.pool_account(conn, operator_id=request.operator_id, pool=pool),
                contribution,
            )
        )
    legs = [leg for leg in legs if leg.amount]
    settle_id = None
    # The balances after the round: the debit's, then whatever the settlement moved.
    balances = {accounts.cash_id: funding.cash_after, accounts.bonus_id: funding.bonus_after}
    if legs:
        legs.append(Leg(house, -sum(leg.amount for leg in legs)))
        settled = await ledger.post(
            conn,
            operator_id=request.operator_id,
            type="win" if win else "jackpot_contribution",
            idempotency_key=f"spin:{request.player_id}:{request.idempotency_key}:settle",
            request={"round": str(round_id), "win": win, "contribution": contribution},
            legs=legs,
            reference=str(round_id),
        )
        settle_id = str(settled.transfer_id)
        balances.update(settled.balances)

    jackpot_win = None
    if free_spin is not None and win:
        await bonuses.settle_free_spin(
            conn,
            operator_id=request.operator_id,
            player_id=request.player_id,
            free_spin=free_spin,
            win=win,
            round_ref=str(round_id),
        )
    if pool is not None and jackpots.triggered(stake, pool["trigger_ppt"]):
        jackpot_win = await jackpots.try_win(
            conn,
            pool=pool,
            operator_id=request.operator_id,
            player_id=request.player_id,
            player_cash_account=accounts.cash_id,
            round_ref=str(round_id),
        )
    jackpot_amount = jackpot_win.amount if jackpot_win else 0

    xp = 0
    if free_spin is None:
        await bonuses.record_wager(
            conn,
            operator_id=request.operator_id,
            player_id=request.player_id,
            game_id=game["id"],
            game_key=game["slug"],
            stake_cash=funding.cash,
            stake_bonus=funding.bonus,
            round_ref=str(round_id),
            active_grants=entry.has_active_grants,
        )
        xp = await vip.award_wager_xp(
            conn, operator_id=request.operator_id, player_id=request.player_id, stake=stake
        )
    if free_spin is not None or jackpot_win is not None:
        # Money moved outside the debit and the settlement above: read the wallet back.
        now = await wallets.get_balances(
            conn, operator_id=request.operator_id, player_id=request.player_id
        )
        balances = {accounts.cash_id: now.cash, accounts.bonus_id: now.bonus}
    ggr = stake - win - jackpot_amount
    bet = await queries.insert_bet(
        conn,
        {
            "operator_id": request.operator_id,
            "player_id": request.player_id,
            "game_id": request.game_id,
            "round_id": round_id,
            "idempotency_key": request.idempotency_key,
            "request_hash": fingerprint,
            "currency": currency,
            "stake": stake,
            "stake_cash": funding.cash,
            "stake_bonus": funding.bonus,
            "stake_free": funding.free,
            "free_spin_grant_id": free_spin.grant_id if free_spin else None,
            "win": win,
            "win_cash": win_cash,
            "win_bonus": win_bonus,
            "jackpot_contribution": contribution,
            "jackpot_win": jackpot_amount,
            "ggr": ggr,
            "xp_gained": xp,
            "outcome": outcome.to_json(),
            "rng": "fair" if seed else "csprng",
            "fair_seed_id": seed.seed_id if seed else None,
            "client_seed": seed.client_seed if seed else None,
            "nonce": seed.nonce if seed else None,
            "cash_after": balances[accounts.cash_id],
            "bonus_after": balances[accounts.bonus_id],
            "debit_transfer_id": funding.transfer_id,
            "settle_transfer_id": settle_id,
            "is_seeded": request.is_seeded,
            "game_version": game["version"],
            "channel": request.channel,
        },
    )
    if jackpot_win is not None:
        await jackpots.attach_bet(conn, jackpot_win, bet["id"])
    await realtime.publish(
        conn,
        audience=realtime.player_audience(request.player_id),
        topic="spin",
        payload=spin_event(bet),
        operator_id=request.operator_id,
    )
    safety_started = perf_counter()
    assessment = await safety.record_spin(
        conn,
        operator_id=request.operator_id,
        player_id=request.player_id,
        game_key=game["slug"],
        stake=stake,
        win=win + jackpot_amount,
        balance_after=bet["cash_after"] + bet["bonus_after"],
        session_key=request.session_key,
        p_loss=p_loss(game),
        at=request.at,
        checked=checked,
    )
    safety_ms += (perf_counter() - safety_started) * 1000
    # Sweepstakes (seed 000): a balance at or under 1.00 FUN releases the voucher's held bonus.
    await voucher_bonus.after_spin(
        conn,
        operator_id=request.operator_id,
        player_id=request.player_id,
        cash_balance_after=bet["cash_after"],
    )
    return SpinResult(bet, assessment, safety_ms)


@dataclass(frozen=True)
class _Funding:
    stake: int
    cash: int
    bonus: int
    free: int
    transfer_id: str
    accounts: wallets.PlayerAccounts | None = None
    cash_after: int | None = None  # the wallet as the stake's debit left it
    bonus_after: int | None = None


async def _debit_stake(
    conn: asyncpg.Connection,
    request: SpinRequest,
    house: int,
    round_id: uuid.UUID,
    fingerprint: bytes,
) -> _Funding | SpinResult:
    """Cash first, then bonus (DESIGN.md); a concurrent duplicate returns its round instead."""
    debit = await wallets.debit(
        conn,
        operator_id=request.operator_id,
        player_id=request.player_id,
        amount=request.stake,
        to_account_id=house,
        type="bet",
        idempotency_key=f"spin:{request.player_id}:{request.idempotency_key}",
        request=request.fingerprint(),
        reference=str(round_id),
    )
    if debit.result.replayed:
        # A concurrent request with this key committed first: answer with its round.
        existing = await queries.bet_by_key(
            conn, request.operator_id, request.player_id, request.idempotency_key
        )
        return SpinResult(_replayed(existing, fingerprint), None)
    if debit.result.status != "posted":
        # A player the safety engine refuses is told that, rather than what money is missing.
        await _check_safety(conn, request, lock_for_record=False)
        raise InsufficientFundsError(
            balance=debit.balances.cash + debit.balances.bonus - debit.balances.reserved,
            cash=debit.balances.cash,
            bonus=debit.balances.bonus,
        )
    return _Funding(
        stake=request.stake,
        cash=debit.cash_part,
        bonus=debit.bonus_part,
        free=0,
        transfer_id=str(debit.result.transfer_id),
        accounts=debit.accounts,
        cash_after=debit.balances.cash,
        bonus_after=debit.balances.bonus,
    )


async def _fund_free_spin(
    conn: asyncpg.Connection,
    request: SpinRequest,
    free_spin: bonuses.FreeSpin,
    house: int,
    currency: str,
    round_id: uuid.UUID,
) -> _Funding:
    """The operator pays a free spin's stake (marketing → house); the player pays nothing."""
    marketing = await ledger.ensure_account(
        conn, operator_id=request.operator_id, kind="marketing", currency=currency
    )
    posted = await ledger.post(
        conn,
        operator_id=request.operator_id,
        type="free_spin_bet",
        idempotency_key=f"spin:{request.player_id}:{request.idempotency_key}",
        request={**request.fingerprint(), "freeSpinGrant": free_spin.grant_id},
        legs=[Leg(marketing, -free_spin.stake_value), Leg(house, free_spin.stake_value)],
        reference=str(round_id),
    )
    if posted.replayed:
        # A concurrent duplicate already played this key: fail, so the spin taken here rolls back.
        raise SpinKeyReusedError("This Idempotency-Key is being used by another spin.")
    stake = free_spin.stake_value
    return _Funding(stake=stake, cash=0, bonus=0, free=stake, transfer_id=str(posted.transfer_id))


async def _check_safety(
    conn: asyncpg.Connection, request: SpinRequest, *, lock_for_record: bool
) -> asyncpg.Record | None:
    return await safety.check_spin(
        conn,
        operator_id=request.operator_id,
        player_id=request.player_id,
        stake=request.stake,
        session_key=request.session_key,
        at=request.at,
        lock_for_record=lock_for_record,
    )


def _replayed(bet: asyncpg.Record | None, fingerprint: bytes) -> asyncpg.Record:
    assert bet is not None
    if bytes(bet["request_hash"]) != fingerprint:
        raise SpinKeyReusedError()
    return bet


def check_stake(definition: Any, game: asyncpg.Record, stake: int) -> None:
    """StakeOutOfRangeError (422) unless the game takes this stake."""
    if not game["min_bet"] <= stake <= game["max_bet"]:
        raise StakeOutOfRangeError(minBet=game["min_bet"], maxBet=game["max_bet"])
    try:
        definition.line_bet(stake)
    except InvalidStakeError as exc:
        raise StakeOutOfRangeError(
            f"The stake must be a multiple of {definition.n_lines} within the game's limits.",
            minBet=game["min_bet"],
            maxBet=game["max_bet"],
            multipleOf=definition.n_lines,
        ) from exc


def p_loss(game: asyncpg.Record) -> float | None:
    """The game's chance of a losing round, from its maths (the safety engine's signals)."""
    return game["paytable"].get("math", {}).get("pLoss")


def spin_event(bet: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "betId": bet["id"],
        "roundId": str(bet["round_id"]),
        "gameKey": bet["game_key"],
        "stake": bet["stake"],
        "win": bet["win"],
        "jackpotWin": bet["jackpot_win"],
        "balances": {"cash": bet["cash_after"], "bonus": bet["bonus_after"]},
        "outcome": bet["outcome"],
    }
