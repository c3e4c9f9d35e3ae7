"""The bots' HTTP client: one keep-alive connection pool shared by every bot, and the tally of
every request by route and status (the simulator must never see a 5xx)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import structlog

from croupier.providers.signature import sign
from croupier.providers.wire import stringify

log = structlog.get_logger("croupier.simulation.client")


@dataclass(frozen=True, slots=True)
class Reply:
    status: int  # 0: no HTTP answer at all (connection refused, timeout)
    body: Any

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def get(self, key: str, default: Any = None) -> Any:
        return self.body.get(key, default) if isinstance(self.body, dict) else default


@dataclass
class Tally:
    """What the run did: requests by (route, status) and the business events it produced."""

    requests: Counter[tuple[str, int]] = field(default_factory=Counter)
    events: Counter[str] = field(default_factory=Counter)
    server_errors: int = 0
    transport_errors: int = 0

    def count(self, event: str, amount: int = 1) -> None:
        self.events[event] += amount

    @property
    def bets(self) -> int:
        return self.events["bet"] + self.events["provider_bet"]

    def by_status(self) -> Counter[int]:
        totals: Counter[int] = Counter()
        for (_, status), n in self.requests.items():
            totals[status] += n
        return totals


class Api:
    """A thin JSON client; every call is tallied under a short route label."""

    def __init__(self, base_url: str, tally: Tally, *, connections: int = 200) -> None:
        self.tally = tally
        self.http = httpx.AsyncClient(
            base_url=base_url,
            # Generous: a login's argon2 check queues behind others' when many bots arrive at once.
            timeout=httpx.Timeout(60.0, connect=10.0),
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
            headers={"user-agent": "croupier-bot/1"},
        )

    async def close(self) -> None:
        await self.http.aclose()

    async def call(
        self,
        label: str,
        method: str,
        path: str,
        *,
        token: str | None = None,
        body: Any = None,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
    ) -> Reply:
        sent = dict(headers or {})
        if token:
            sent["authorization"] = f"Bearer {token}"
        if body is not None:
            raw = json.dumps(body, separators=(",", ":")).encode()
        if raw is not None:
            sent["content-type"] = "application/json"
        try:
            response = await self.http.request(
                method, path, content=raw, headers=sent, params=params
            )
        except httpx.HTTPError as exc:
            self.tally.requests[(label, 0)] += 1
            self.tally.transport_errors += 1
            log.warning("bot_request_failed", route=label, error=type(exc).__name__)
            return Reply(0, None)
        self.tally.requests[(label, response.status_code)] += 1
        try:
            data = response.json() if response.content else None
        except ValueError:
            data = response.text
        if response.status_code >= 500:
            self.tally.server_errors += 1
            log.error("bot_server_error", route=label, status=response.status_code, body=data)
        return Reply(response.status_code, data)

    async def provider_callback(self, label: str, path: str, secret: str, body: dict) -> Reply:
        """A /casino callback as the demo provider's game server sends it: signed over the
        exact bytes sent (seed 003)."""
        raw = stringify(body)
        return await self.call(
            label, "POST", path, raw=raw, headers={"x-casino-signature": sign(secret, raw)}
        )
