"""The operator back office: transactions from the event stream, a player's full picture
assembled through each domain's service, the financial overview, and RTP views."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from croupier.analytics import kpis, live, queries
from croupier.analytics.kpis import Sums
from croupier.analytics.reports import Request, bucket_sums
from croupier.bonuses import service as bonuses
from croupier.kit.errors import InvalidInputError
from croupier.kit.pagination import decode_cursor, encode_cursor
from croupier.kit.tenancy import Scope
from croupier.players import service as players
from croupier.safety import service as safety
from croupier.vip import service as vip
from croupier.wallets import service as wallets

# Seed 001/002 names (plural, and singular) for groups of ledger transfer types; any other value
# is taken as a transfer type itself.
CATEGORIES: dict[str, tuple[str, ...]] = {
    "deposits": ("deposit", "deposit_reversal"),
    "withdrawals": ("withdrawal_post", "withdrawal_return", "voucher_cashout_paid"),
    "bets": ("bet",),
    "wins": ("win", "jackpot_win", "free_spin_win"),
    "rollbacks": ("rollback",),
    "bonuses": (
        "bonus_grant",
        "bonus_convert",
        "bonus_forfeit",
        "voucher_bonus_grant",
        "voucher_bonus_forfeit",
        "vip_cashback",
    ),
    "adjustments": ("adjustment",),
    "vouchers": ("voucher_issue", "voucher_redeem", "voucher_expired", "voucher_voided"),
}
PLAYER_ACCOUNT_KINDS = ("player_cash", "player_bonus", "player_coins", "bonus_held")


def transfer_types(spec: str | None) -> list[str] | None:
    if not spec:
        return None
    types: list[str] = []
    for part in (p.strip().lower() for p in spec.split(",") if p.strip()):
        group = CATEGORIES.get(part) or CATEGORIES.get(part + "s") or CATEGORIES.get(part + "es")
        types.extend(group or (part,))
    return types


async def transactions(
    conn: asyncpg.Connection,
    scope: Scope,
    *,
    player_id: int | None,
    types: str | None,
    start: datetime | None,
    end: datetime | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first, keyset-paginated on (occurred_at, id); within the caller's scope."""
    if start is not None and end is not None and start >= end:
        raise InvalidInputError("'from' must be before 'to'.", field="from")
    args = queries.Args()
    clauses = ["true"]
    if scope.operator_id is not None:
        clauses.append(f"operator_id = {args.add(scope.operator_id)}")
    if player_id is not None:
        clauses.append(f"player_id = {args.add(player_id)}")
    wanted = transfer_types(types)
    if wanted:
        clauses.append(f"type = ANY({args.add(wanted)}::text[])")
    if start is not None:
        clauses.append(f"occurred_at >= {args.add(start)}")
    if end is not None:
        clauses.append(f"occurred_at < {args.add(end)}")
    if cursor:
        at, row_id = decode_cursor(cursor)
        if not row_id.isdigit():
            raise InvalidInputError("The cursor is not valid.", field="cursor")
        clauses.append(f"(occurred_at, id) < ({args.add(at)}, {args.add(int(row_id))})")
    rows = await conn.fetch(
        "SELECT id, transfer_id, operator_id, type, occurred_at, player_id, game_id, reference,"
        " cash_delta, bonus_delta, coins_delta FROM ledger_events"
        f" WHERE {' AND '.join(clauses)} ORDER BY occurred_at DESC, id DESC"
        f" LIMIT {args.add(limit + 1)}",
        *args.values,
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1]["occurred_at"], rows[-1]["id"])
    return [{**live.transaction_json(r), "operatorId": r["operator_id"]} for r in rows], next_cursor


async def player_detail(conn: asyncpg.Connection, scope: Scope, player_id: int) -> dict[str, Any]:
    """Profile, wallet, lifetime figures, VIP, open bonuses, safety state, recent money."""
    player = await players.get_player(conn, scope, player_id)  # 404 for another operator's
    operator_id = player["operator_id"]
    balances = await wallets.get_balances(conn, operator_id=operator_id, player_id=player_id)
    status = await vip.status(conn, operator_id=operator_id, player_id=player_id)
    grants, _ = await bonuses.list_grants(
        conn, Scope(operator_id=operator_id), player_id=player_id, statuses=bonuses.OPEN, limit=20
    )
    recent, _ = await transactions(
        conn,
        Scope(operator_id=operator_id),
        player_id=player_id,
        types=None,
        start=None,
        end=None,
        cursor=None,
        limit=20,
    )
    lifetime = await conn.fetchrow(
        """SELECT a.registered_at, a.first_deposit_at, a.first_deposit_amount, a.first_bet_at,
                  a.last_active_at, a.ngr_all, a.ggr_all,
                  (SELECT coalesce(sum(x.rounds), 0)::bigint FROM an_player_activity x
                   WHERE x.operator_id = a.operator_id AND x.player_id = a.player_id
                     AND x.grain = 2) AS rounds
           FROM an_players a WHERE a.player_id = $1""",
        player_id,
    )
    return {
        "player": dict(player),
        "wallet": {
            "currency": balances.currency,
            "cash": balances.cash,
            "bonus": balances.bonus,
            "coins": balances.coins,
            "reserved": balances.reserved,
            "withdrawable": balances.withdrawable,
        },
        "lifetime": dict(lifetime) if lifetime else None,
        "vip": {
            "xp": status.xp,
            "level": status.level["level"] if status.level else None,
            "level_name": status.level["name"] if status.level else None,
            "xp_to_next_level": status.xp_to_next_level,
        },
        "bonuses": [
            {
                "id": g["id"],
                "kind": g["kind"],
                "status": g["status"],
                "bonus_amount": g["bonus_amount"],
                "wagering_required": g["wagering_required"],
                "wagering_progress": g["wagering_progress"],
                "expires_at": g["expires_at"],
            }
            for g in grants
        ],
        "safety": await safety.player_safety_summary(
            conn, operator_id=operator_id, player_id=player_id
        ),
        "recent_transactions": recent,
    }


async def financials(conn: asyncpg.Connection, request: Request) -> dict[str, Any]:
    """Player balances now; GGR, NGR, cash flows and affiliate payouts over the window."""
    balances = await conn.fetch(
        """SELECT kind, sum(balance)::bigint AS balance, sum(reserved)::bigint AS reserved,
                  count(*) FILTER (WHERE balance <> 0) AS holders
           FROM ledger_accounts
           WHERE operator_id = ANY($1::int[]) AND kind = ANY($2::text[]) AND NOT derived
           GROUP BY kind""",
        request.target.operator_ids,
        list(PLAYER_ACCOUNT_KINDS),
    )
    by_kind = {row["kind"]: row for row in balances}
    _, total = await bucket_sums(conn, request)
    affiliates = await queries.affiliate_shares(conn, request.target, request.whole())
    return {
        **request.header(),
        "player_balances": {
            "cash": by_kind["player_cash"]["balance"] if "player_cash" in by_kind else 0,
            "bonus": by_kind["player_bonus"]["balance"] if "player_bonus" in by_kind else 0,
            "coins": by_kind["player_coins"]["balance"] if "player_coins" in by_kind else 0,
            "bonus_held": by_kind["bonus_held"]["balance"] if "bonus_held" in by_kind else 0,
            "reserved": by_kind["player_cash"]["reserved"] if "player_cash" in by_kind else 0,
            "players_with_cash": by_kind["player_cash"]["holders"]
            if "player_cash" in by_kind
            else 0,
        },
        **kpis.money(total),
        **kpis.cash_flows(total, True),
        "affiliate_payouts": {
            "total": sum(row["share"] for row in affiliates),
            "by_affiliate": [dict(row) for row in affiliates],
        },
    }


async def rtp_view(
    conn: asyncpg.Connection, request: Request, *, game_id: int | None, player_id: int | None
) -> dict[str, Any]:
    """RTP per bucket and overall, for the operator, one game, one player, or both."""
    target = request.target
    if game_id is not None:
        target = queries.Target(target.operator_ids, target.currency, [game_id])
    scoped = Request(target, request.filters, request.window, request.ranges)
    series = [Sums() for _ in request.window.buckets]
    if player_id is None:
        series, _ = await bucket_sums(conn, scoped)
    else:
        for row in await queries.player_bucket_sums(
            conn, target, request.filters, request.ranges, player_id
        ):
            series[row["b"]] = Sums(rounds=row["rounds"], stake=row["stake"], win=row["payout"])
    total = Sums()
    for sums in series:
        total.add(sums)
    expected = None
    if game_id is not None:
        game = (await queries.game_catalogue(conn, [game_id])).get(game_id)
        expected = kpis.ratio(game["expected_rtp"], 1) if game and game["expected_rtp"] else None

    def point(sums: Sums) -> dict[str, Any]:
        return {
            "rounds": sums.rounds,
            "wagered": sums.stake,
            "won": kpis.payout(sums),
            "rtp": kpis.ratio(kpis.payout(sums), sums.stake),
        }

    return {
        **request.header(),
        "game_id": game_id,
        "player_id": player_id,
        "expected_rtp": expected,
        "totals": point(total),
        "series": [{**request.bucket_json(i), **point(s)} for i, s in enumerate(series)],
    }
