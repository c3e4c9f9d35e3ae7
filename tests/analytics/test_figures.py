"""Every figure against a history known to the minor unit: builtin spins (cash and bonus
stakes, each winning the jackpot), a provider round with its win, a provider bet rolled back,
deposits (one FTD), a paid withdrawal and adjustments."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

import asyncpg
import httpx

from croupier.analytics.kpis import ratio
from tests.analytics.conftest import fold
from tests.analytics.world import History, make_history


def _half_even(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), ROUND_HALF_EVEN))


def _f(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


async def _expected(pool: asyncpg.Pool, h: History) -> dict[str, object]:
    async with pool.acquire() as conn:
        rtps = {
            r["game_id"]: r["expected_rtp"] for r in await conn.fetch("SELECT * FROM game_configs")
        }
    spins = h.spins
    handle = sum(s["stake"] for s in spins) + 300
    wins = sum(s["win"] for s in spins) + 450
    jackpots = sum(s["jackpotWin"] for s in spins)
    payout = wins + jackpots
    theo = sum(Decimal(s["stake"]) * (1 - rtps[s["gameId"]]) for s in spins)
    theo += Decimal(300) * (1 - rtps[h.provider_game["id"]])
    ggr = handle - payout
    return {
        "rounds": 5,
        "handle": handle,
        "handleCash": sum(s["stakeCash"] for s in spins) + 300,
        "handleBonus": 100,
        "wins": wins,
        "jackpotWins": jackpots,
        "jackpotContributions": 4,
        "payout": payout,
        "ggr": ggr,
        "bonusCost": 100,
        "ngr": ggr - 100,
        "hold": _f(ratio(ggr, handle)),
        "rtp": _f(ratio(payout, handle)),
        "theo": _half_even(theo),
        "theoreticalRtp": _f(ratio(handle - theo, handle)),
        "winVsTheo": ggr - _half_even(theo),
        "rollbacks": 1,
        "rollbackAmount": 200,
        "deposits": 7000,
        "depositCount": 2,
        "ftd": 1,
        "ftdAmount": 5000,
        "withdrawals": 1000,
        "withdrawalCount": 1,
        "netDeposits": 6000,
        "adjustments": 11_000,
        "bonusGranted": 0,
        "activePlayers": 2,
        "depositingPlayers": 1,
        "newPlayers": 2,
        "regToFtd": 0.5,
        "arpu": _f(Decimal(ggr - 100) / 2),
        "arppu": float(ggr - 100),
    }


async def test_every_figure_to_the_minor_unit(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    h = await make_history(client, pool)
    await fold(pool)
    expected = await _expected(pool, h)
    headers = h.world.operator_admin.headers

    overview = (await client.get("/api/v1/admin/analytics/overview", headers=headers)).json()
    assert {k: overview["totals"][k] for k in expected} == expected
    assert overview["definitions"]["ngrFormula"] == "handle - payout - bonuses"
    today = [p for p in overview["series"] if p["handle"]]
    assert len(today) == 1 and today[0]["ngr"] == expected["ngr"]
    assert sum(p["handle"] for p in overview["series"]) == expected["handle"]

    revenue = (await client.get("/api/v1/admin/analytics/revenue", headers=headers)).json()
    money = [k for k in expected if k in revenue["totals"]]
    assert {k: revenue["totals"][k] for k in money} == {k: expected[k] for k in money}
    empty = [p for p in revenue["series"] if p["bucket"] != today[0]["bucket"]]
    # The default window is the last 30 × 24 h: 31 local days, or 30 when it spans the end of
    # daylight saving time and ends in the local day's last hour (with the repeated hour, it
    # then starts in the first hour of the 30th day back, not in the 31st day's last hour).
    assert len(empty) >= 29 and all(
        p["handle"] == p["payout"] == p["ngr"] == p["deposits"] == p["rounds"] == 0 for p in empty
    )

    players = (await client.get("/api/v1/admin/analytics/players", headers=headers)).json()
    assert players["totals"]["activePlayers"] == 2
    assert players["totals"]["depositingPlayers"] == 1
    assert players["totals"]["newPlayers"] == 2 and players["totals"]["regToFtd"] == 0.5

    games = (await client.get("/api/v1/admin/analytics/games", headers=headers)).json()
    by_key = {g["gameKey"]: g for g in games["items"]}
    neon = [s for s in h.spins if s["gameKey"] == "neon-fruits"]
    assert by_key["neon-fruits"]["handle"] == 300 and by_key["neon-fruits"]["rounds"] == 3
    assert by_key["neon-fruits"]["payout"] == sum(s["win"] + s["jackpotWin"] for s in neon)
    assert by_key["pharaoh-gold"]["handleBonus"] == 100
    acme = by_key["acme-slot"]
    assert (acme["handle"], acme["payout"], acme["rounds"], acme["rollbacks"]) == (300, 450, 1, 1)
    assert [lvl["band"] for lvl in acme["stakeLevels"]] == ["200-499"]
    assert acme["expectedRtp"] == 0.96 and acme["monitor"]["status"] == "INSUFFICIENT_VOLUME"
    assert {g["status"] for g in games["flags"]} <= {"WARN", "ALERT"} and not games["flags"]

    simple = (await client.get("/api/v1/operator/analytics/games", headers=headers)).json()
    acme_row = next(i for i in simple["items"] if i["gameKey"] == "acme-slot")
    assert acme_row == {
        "gameId": h.provider_game["id"],
        "gameName": "Acme Slot",
        "gameKey": "acme-slot",
        "totalWagered": 300,
        "totalWon": 450,
        "ggr": -150,
        "rtp": 1.5,
        "rounds": 1,
    }
    summary = (await client.get("/api/v1/operator/analytics/rtp-summary", headers=headers)).json()
    by_player = {p["playerId"]: p for p in summary["byPlayer"]}
    a_spins = [s for s in h.spins if s["gameKey"] == "neon-fruits"]
    a_won = sum(s["win"] + s["jackpotWin"] for s in a_spins) + 450
    assert by_player[h.world.player.subject_id]["wagered"] == 600
    assert by_player[h.world.player.subject_id]["won"] == a_won
    perf = (
        await client.get(
            f"/api/v1/admin/games/{h.provider_game['id']}/performance", headers=headers
        )
    ).json()
    assert perf["totalWagered"] == 300 and perf["byPlayer"][0]["rtp"] == 1.5
    rtp = (
        await client.get(f"/api/v1/admin/rtp?playerId={h.world.player.subject_id}", headers=headers)
    ).json()
    assert (rtp["totals"]["wagered"], rtp["totals"]["won"]) == (600, a_won)

    fin = (await client.get("/api/v1/admin/financials", headers=headers)).json()
    details = [
        (await client.get(f"/api/v1/operator/players/{p}/detail", headers=headers)).json()
        for p in (h.world.player.subject_id, h.bonus_player.subject_id)
    ]
    assert fin["playerBalances"]["cash"] == sum(d["wallet"]["cash"] for d in details)
    assert fin["playerBalances"]["bonus"] == sum(d["wallet"]["bonus"] for d in details)
    assert fin["ggr"] == expected["ggr"] and fin["affiliatePayouts"]["total"] == 0
    a = details[0]
    assert a["lifetime"]["rounds"] == 4 and a["lifetime"]["firstDepositAmount"] == 5000
    assert a["lifetime"]["ngrAll"] == 600 - a_won
    assert a["safety"]["band"] == "NORMAL" and a["vip"]["xp"] == 300

    ltv = (await client.get("/api/v1/admin/analytics/ltv", headers=headers)).json()
    cohort = next(c for c in ltv["cohorts"] if c["size"])
    assert cohort["size"] == 2 and cohort["ltv"][0]["ngr"] == expected["arpu"]
    assert cohort["ltv"][0]["mature"] is False
    funnel = (await client.get("/api/v1/admin/analytics/funnel", headers=headers)).json()
    assert funnel["acquisition"] == {"registrations": 2, "ftd": 1, "regToFtd": 0.5}
    attribution = (
        await client.get("/api/v1/admin/analytics/attribution?metric=ngr", headers=headers)
    ).json()
    assert attribution["total"] == expected["ngr"]
    ops = (await client.get("/api/v1/admin/analytics/ops", headers=headers)).json()
    assert ops["sessions"]["totals"]["sessions"] == 2
    assert ops["providers"] == [{"provider": "acme", "rollbacks": 1, "rollbackAmount": 200}]


async def test_transactions_list_filters_and_pages(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    h = await make_history(client, pool)
    await fold(pool)
    headers = h.world.operator_admin.headers
    url = "/api/v1/operator/transactions"
    everything = (await client.get(f"{url}?limit=500", headers=headers)).json()["items"]
    wins = sum(1 for s in h.spins if s["win"])
    assert len(everything) == 2 + 2 + 4 + wins + 4 + 2 + 1 + 1 + 1
    stamps = [(i["occurredAt"], i["id"]) for i in everything]
    assert stamps == sorted(stamps, reverse=True)

    deposits = (await client.get(f"{url}?type=deposits", headers=headers)).json()["items"]
    assert [d["amount"] for d in deposits] == [2000, 5000]
    bets = (await client.get("/api/v1/admin/transactions?type=bets", headers=headers)).json()
    assert len(bets["items"]) == 6
    b = h.bonus_player.subject_id
    mine = (await client.get(f"{url}?playerId={b}", headers=headers)).json()["items"]
    assert {i["type"] for i in mine} <= {"adjustment", "bet", "win", "jackpot_win"}
    assert next(i for i in mine if i["type"] == "bet")["bonus"] == -100

    seen, cursor = [], None
    while True:
        page = (
            await client.get(
                f"{url}?limit=4" + (f"&cursor={cursor}" if cursor else ""), headers=headers
            )
        ).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert seen == [i["id"] for i in everything]

    async with pool.acquire() as conn:
        pushed = await conn.fetch(
            "SELECT audience, topic, payload FROM outbox WHERE topic LIKE 'analytics.%'"
        )
    assert {r["audience"] for r in pushed} == {f"operator:{h.operator_id}"}
    # The app's own analytics worker may fold part of the history before fold() does: each
    # fold pushes its own delta, and together they account for all of it.
    kpis = [r["payload"] for r in pushed if r["topic"] == "analytics.kpis"]
    assert sum(k["delta"]["handle"] for k in kpis) == 700
    assert {k["ngrFormula"] for k in kpis} == {"handle - payout - bonuses"}
