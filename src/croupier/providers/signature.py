"""HMAC-SHA256 request signatures (seed 003 and provider-wallet.md §2.7).

Two schemes are accepted on the same header:

* seed 003's: ``<hex HMAC(secret, raw body)>``;
* the reference's: ``v1=<hex HMAC(secret, timestamp + "." + raw body)>`` with the Unix time in
  ``x-casino-timestamp``, refused outside the provider's skew window.

The MAC is always over the raw body bytes as received, never a re-serialisation. Several secrets
may be live at once (a rotation): any of them verifies.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from croupier.kit.security import constant_time_equal, hmac_sha256_hex

V1_PREFIX = "v1="


def sign(secret: str, body: bytes) -> str:
    return hmac_sha256_hex(secret.encode(), body)


def sign_v1(secret: str, body: bytes, timestamp: int) -> str:
    return V1_PREFIX + hmac_sha256_hex(secret.encode(), f"{timestamp}.".encode() + body)


def verify(
    secrets: Sequence[str],
    body: bytes,
    signature: str | None,
    *,
    timestamp: str | None = None,
    skew_seconds: int = 300,
    now: float | None = None,
) -> bool:
    if not signature or not secrets:
        return False
    signature = signature.strip().lower()
    message = body
    if signature.startswith(V1_PREFIX):
        if timestamp is None or not timestamp.strip().isdigit():
            return False
        moment = int(timestamp.strip())
        if abs((time.time() if now is None else now) - moment) > skew_seconds:
            return False
        message = f"{moment}.".encode() + body
        signature = signature[len(V1_PREFIX) :]
    matched = False
    for secret in secrets:
        # Every secret is tried, so the time taken does not say which one matched.
        matched |= constant_time_equal(hmac_sha256_hex(secret.encode(), message), signature)
    return matched
