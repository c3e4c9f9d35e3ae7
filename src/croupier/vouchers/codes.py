"""Voucher codes, login codes and PINs: random, typable, and only ever stored hashed.

The alphabet has 32 symbols (5 bits each) and leaves out 0/O and 1/I, the pairs people misread
on a printed slip. Input is forgiving: case, spaces and hyphens are ignored.
"""

from __future__ import annotations

import secrets

from croupier.kit.security import token_hash

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
# 16 symbols = 80 random bits: guessing one live voucher is hopeless even without the throttle.
VOUCHER_CODE_LENGTH = 16
# 10 symbols = 50 bits: a user name, not a secret; the PIN and the login throttle guard it.
LOGIN_CODE_LENGTH = 10
PIN_DIGITS = 6
HINT_LENGTH = 4

_SYMBOLS = frozenset(ALPHABET)


def _random_symbols(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def _grouped(compact: str, size: int) -> str:
    return "-".join(compact[i : i + size] for i in range(0, len(compact), size))


def new_voucher_code() -> str:
    """A fresh code in its compact form (what is hashed and stored)."""
    return _random_symbols(VOUCHER_CODE_LENGTH)


def display_voucher_code(compact: str) -> str:
    """``ABCD-EFGH-JKLM-NPQR``: four groups of four, as printed on the slip."""
    return _grouped(compact, 4)


def new_login_code() -> str:
    return _random_symbols(LOGIN_CODE_LENGTH)


def display_login_code(compact: str) -> str:
    return _grouped(compact, 5)


def new_pin() -> str:
    return f"{secrets.randbelow(10**PIN_DIGITS):0{PIN_DIGITS}d}"


def normalize(typed: str, length: int) -> str | None:
    """The compact form of a typed code, or None if it cannot be one of ours."""
    compact = typed.upper().replace("-", "").replace(" ", "")
    if len(compact) != length or not set(compact) <= _SYMBOLS:
        return None
    return compact


def code_hash(compact: str) -> bytes:
    return token_hash(compact)


def code_hint(compact: str) -> str:
    """The last characters, so a shop can tell its vouchers apart without the secret."""
    return compact[-HINT_LENGTH:]
