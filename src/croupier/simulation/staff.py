"""The staff bots: an operator admin approving withdrawals for the demo, and a sweepstakes shop
(seed 000) whose agent issues vouchers to walk-in customers, who redeem them, play their FUN
coins and ask the cashier to pay out what they won."""

from __future__ import annotations

import asyncio
import uuid

import structlog

from croupier.simulation import profiles
from croupier.simulation.demo_data import DEMO_PASSWORD
from croupier.simulation.player_bot import PlayerBot
from croupier.simulation.runtime import OperatorInfo, Runtime
from croupier.simulation.static_extras import agent_email, cashier_email

log = structlog.get_logger("croupier.simulation.staff")

REVIEW_EVERY = 3.0  # real seconds between two looks at the withdrawal queue
FLOAT_TOP_UP = 20_000_000


async def staff_login(rt: Runtime, email: str) -> str | None:
    reply = await rt.api.call(
        "auth_login", "POST", "/api/v1/auth/login", body={"email": email, "password": DEMO_PASSWORD}
    )
    return reply.get("token") if reply.ok else None


async def approver(rt: Runtime, operator: OperatorInfo, token: str) -> None:
    """Approve every pending withdrawal of the operator, as a demo's back office would."""
    while await rt.sleep(REVIEW_EVERY):
        queue = await rt.api.call(
            "withdrawal_queue",
            "GET",
            "/api/v1/operator/withdrawals",
            token=token,
            params={"status": "PENDING", "limit": 100},
        )
        if queue.status == 404:
            return  # payments are not served by this casino
        for item in queue.get("items", []) if queue.ok else []:
            reply = await rt.api.call(
                "withdrawal_review",
                "PUT",
                f"/api/v1/admin/withdrawals/{item['id']}",
                token=token,
                body={"status": "APPROVED"},
            )
            if reply.ok:
                rt.tally.count("withdrawal_approved")
                log.info("staff_withdrawal_approved", operator=operator.slug, amount=item["amount"])


class Shop:
    """One agent with its first cashier; customers walk in at the run's pace."""

    def __init__(self, rt: Runtime, operator: OperatorInfo, agent: dict, admin_token: str) -> None:
        self.rt, self.operator, self.agent, self.admin_token = rt, operator, agent, admin_token
        self.customers: set[asyncio.Task[None]] = set()

    async def run(self, max_customers: int) -> None:
        code = self.agent["code"]
        agent_token = await staff_login(self.rt, agent_email(code))
        cashier_token = await staff_login(self.rt, cashier_email(code, 1)) or agent_token
        if agent_token is None or cashier_token is None:
            log.warning("shop_closed", agent=code, reason="no staff login")
            return
        try:
            while not self.rt.stopping():
                if len(self.customers) < max_customers:
                    await self._serve_customer(agent_token)
                await self._pay_cashouts(cashier_token)
                hour = profiles.local_hour(self.rt.sim_now(), "America/Los_Angeles")
                # Walk-ins come every ~15 simulated minutes at peak, rarely at night.
                gap = self.rt.rng.expovariate(1 / 900) / max(profiles.activity(hour), 0.1)
                if not await self.rt.sleep(min(gap / self.rt.intensity.time_scale, 5.0) + 0.5):
                    break
        finally:
            customers = list(self.customers)  # their done-callbacks shrink the set
            for task in customers:
                task.cancel()
            await asyncio.gather(*customers, return_exceptions=True)

    async def _serve_customer(self, agent_token: str) -> None:
        amount = self.rt.rng.choice((2_000, 5_000, 10_000, 20_000))
        issued = await self.rt.api.call(
            "voucher_issue",
            "POST",
            f"/api/v1/voucher/agents/{self.agent['id']}/vouchers",
            token=agent_token,
            body={"amount": amount, "count": 1, "idempotencyKey": uuid.uuid4().hex},
        )
        if issued.get("code") == "INSUFFICIENT_FLOAT":
            await self._buy_float()
            return
        vouchers = issued.get("vouchers") or []
        if not issued.ok or not vouchers:
            log.info("shop_issue_refused", status=issued.status, code=issued.get("code"))
            return
        self.rt.tally.count("voucher_issued")
        task = asyncio.create_task(self._customer(vouchers[0]["code"]))
        self.customers.add(task)
        task.add_done_callback(self.customers.discard)

    async def _buy_float(self) -> None:
        reply = await self.rt.api.call(
            "agent_float",
            "POST",
            f"/api/v1/operator/agents/{self.agent['id']}/float",
            token=self.admin_token,
            body={"amount": FLOAT_TOP_UP, "idempotencyKey": uuid.uuid4().hex},
        )
        if reply.ok:
            log.info("shop_float_bought", agent=self.agent["code"], amount=FLOAT_TOP_UP)

    async def _customer(self, code: str) -> None:
        redeemed = await self.rt.api.call(
            "voucher_redeem", "POST", "/api/v1/voucher/redeem", body={"code": code}
        )
        if not redeemed.ok:
            return
        self.rt.tally.count("voucher_redeemed")
        login = await self.rt.api.call(
            "player_login",
            "POST",
            "/api/v1/player/login",
            body={
                "loginCode": redeemed.get("loginCode"),
                "pin": redeemed.get("pin"),
                "operatorSlug": self.operator.slug,
            },
        )
        if not login.ok:
            return
        bot = PlayerBot(
            self.rt,
            self.operator,
            player_id=redeemed.get("playerId"),
            username=None,
            token=login.get("accessToken"),
            timezone="America/Los_Angeles",
            profile=profiles.BY_NAME["casual"],
        )
        bot.can_deposit = False  # more FUN coins come from the shop, not from a card
        bot.log.info("walk_in_customer", voucher_amount=redeemed.get("balances", {}).get("cash"))
        await bot.session()
        await bot.refresh_wallet()
        if bot.wallet.withdrawable >= 100 and not self.rt.stopping():
            reply = await bot.call(
                "voucher_cashout",
                "POST",
                "/api/v1/player/redemptions",
                body={"amount": bot.wallet.withdrawable, "idempotencyKey": uuid.uuid4().hex},
            )
            if reply.ok:
                self.rt.tally.count("voucher_cashout_requested")

    async def _pay_cashouts(self, cashier_token: str) -> None:
        queue = await self.rt.api.call(
            "cashout_queue",
            "GET",
            "/api/v1/voucher/redemptions",
            token=cashier_token,
            params={"status": "PENDING", "limit": 50},
        )
        for item in queue.get("items", []) if queue.ok else []:
            paid = await self.rt.api.call(
                "cashout_pay",
                "PUT",
                f"/api/v1/voucher/redemptions/{item['id']}",
                token=cashier_token,
                body={"status": "PAID"},
            )
            if paid.ok:
                self.rt.tally.count("voucher_cashout_paid")
