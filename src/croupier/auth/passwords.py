"""argon2id password hashing and the password rules."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from croupier.kit.errors import InvalidInputError

_hasher = PasswordHasher()  # argon2id with the library's RFC 9106 low-memory profile
# Verified when the account does not exist, so unknown users cost the same time as known ones.
_DUMMY_HASH = _hasher.hash("an unguessable placeholder password that never matches")


def configure_hashing(*, time_cost: int, memory_kib: int, parallelism: int) -> None:
    """Set argon2id's cost (from settings). Hashes made with other costs still verify: the
    parameters are stored in each hash."""
    global _hasher, _DUMMY_HASH
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)
    _DUMMY_HASH = _hasher.hash("an unguessable placeholder password that never matches")


MIN_LENGTH = 10
MAX_LENGTH = 128
_COMMON = frozenset(
    {
        "password123",
        "password1234",
        "1234567890",
        "qwertyuiop",
        "iloveyou123",
        "letmein1234",
        "welcome1234",
        "administrator",
        "passw0rd123",
        "0123456789",
    }
)


def check_password_rules(password: str, *, email: str | None, username: str | None) -> None:
    """Length over composition (NIST SP 800-63B), plus a deny-list and no echo of the login."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise InvalidInputError(
            f"Password must be {MIN_LENGTH} to {MAX_LENGTH} characters.", field="password"
        )
    lowered = password.lower()
    if lowered in _COMMON or len(set(password)) < 4:
        raise InvalidInputError("Password is too easy to guess.", field="password")
    for ident in (username, (email or "").split("@")[0]):
        if ident and len(ident) >= 4 and ident.lower() in lowered:
            raise InvalidInputError("Password must not contain your login.", field="password")


async def hash_password(password: str) -> str:
    # argon2 is deliberately slow; keep it off the event loop.
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(stored_hash: str | None, password: str) -> bool:
    def _verify() -> bool:
        try:
            return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(_verify)
