"""The demo provider's HTTP client for the casino's callbacks, signed with x-casino-signature."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from croupier.providers.jaqpot.errors import CasinoUnavailableError
from croupier.providers.signature import sign
from croupier.providers.wire import JSON, stringify


@dataclass(frozen=True, slots=True)
class CasinoReply:
    status: int
    body: Any  # the decoded JSON, or the raw text if it was not JSON


@dataclass(frozen=True, slots=True)
class CasinoClient:
    http: httpx.AsyncClient
    secret: str
    base_url: str | None  # None: relative URLs, i.e. the casino served by this very server
    provider_code: str | None  # sent as x-provider-code when the casino asked for it

    async def call(self, endpoint: str, body: dict[str, Any]) -> CasinoReply:
        raw = stringify(body)  # signed and sent as the very same bytes
        headers = {"content-type": JSON, "x-casino-signature": sign(self.secret, raw)}
        if self.provider_code:
            headers["x-provider-code"] = self.provider_code
        url = f"{self.base_url.rstrip('/')}{endpoint}" if self.base_url else endpoint
        try:
            response = await self.http.post(url, content=raw, headers=headers)
        except httpx.HTTPError as exc:
            raise CasinoUnavailableError(
                f"The casino did not answer {endpoint}: {type(exc).__name__}"
            ) from exc
        try:
            return CasinoReply(response.status_code, response.json())
        except ValueError:
            return CasinoReply(response.status_code, response.text)
