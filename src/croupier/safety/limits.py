"""Player limits: the change state machine and the per-period counters. Pure.

A limit is ``(kind, period) -> amount``: deposit, loss and wager limits per 24 h, 7 d and 30 d
(minor units), the session loss limit (``loss/session``, minor units) and the session time
limit (``time/session``, minutes). Several limits of one kind may be set; every one is
enforced, so the lowest applicable limit is the one that bites.

Changes (reference A2.1):

* no limit -> set: active at once (it only restricts);
* ACTIVE(a) -> lower: ACTIVE(new) at once, and any pending increase is cancelled;
* ACTIVE(a) -> raise or remove: PENDING(new, effective = now + 24 h); a repeated request
  restarts the 24 h;
* PENDING -> confirm once effective: ACTIVE(new) (or removed); before that, refused.

Each period limit counts its own window, anchored when the limit was first set and rolled
forward whole periods at a time; changing the amount keeps the window and what was used in it,
so a decrease bites immediately.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from croupier.safety.errors import (
    LimitChangeNotDueError,
    LimitNotFoundError,
    NoPendingLimitChangeError,
)
from croupier.safety.state import DAY_MS, from_ms

PERIOD_MS = {"24h": DAY_MS, "7d": 7 * DAY_MS, "30d": 30 * DAY_MS}
VALID_LIMITS = frozenset(
    [(kind, period) for kind in ("deposit", "loss", "wager") for period in PERIOD_MS]
    + [("loss", "session"), ("time", "session")]
)


@dataclass(slots=True)
class Limit:
    kind: str
    period: str
    amount: int
    set_ms: int
    window_ms: int
    used: int = 0
    pending_amount: int | None = None  # None while a change is pending means removal
    pending_requested_ms: int = 0
    pending_effective_ms: int = 0  # 0: nothing pending

    @property
    def key(self) -> str:
        return f"{self.kind}/{self.period}"

    @property
    def has_pending(self) -> bool:
        return self.pending_effective_ms > 0

    def current(self, now_ms: int) -> tuple[int, int]:
        """(window start, used in it) as of ``now_ms``, without changing the limit."""
        length = PERIOD_MS.get(self.period)
        if length is None or now_ms < self.window_ms + length:
            return self.window_ms, self.used
        return self.window_ms + (now_ms - self.window_ms) // length * length, 0

    def roll(self, now_ms: int) -> None:
        self.window_ms, self.used = self.current(now_ms)

    def window_end_ms(self, now_ms: int) -> int | None:
        length = PERIOD_MS.get(self.period)
        return None if length is None else self.current(now_ms)[0] + length

    def clear_pending(self) -> None:
        self.pending_amount, self.pending_requested_ms, self.pending_effective_ms = None, 0, 0


_LIMIT_FIELDS = tuple(f.name for f in fields(Limit))


def limits_from_json(data: list[dict[str, Any]] | None) -> list[Limit]:
    return [Limit(**{k: v for k, v in item.items() if k in _LIMIT_FIELDS}) for item in data or []]


def limits_to_json(limits: list[Limit]) -> list[dict[str, Any]]:
    return [{name: getattr(limit, name) for name in _LIMIT_FIELDS} for limit in limits]


def find(limits: list[Limit], kind: str, period: str) -> Limit | None:
    for limit in limits:
        if limit.kind == kind and limit.period == period:
            return limit
    return None


@dataclass(frozen=True, slots=True)
class LimitChange:
    kind: str
    period: str
    old: int | None
    new: int | None
    status: str  # "applied" | "pending" | "removed"
    requested_ms: int
    effective_ms: int


def request_change(
    limits: list[Limit], kind: str, period: str, amount: int | None, now_ms: int, delay_ms: int
) -> LimitChange:
    """Set, lower, raise or (``amount`` None) remove a limit; mutates ``limits``."""
    limit = find(limits, kind, period)
    if limit is None:
        if amount is None:
            raise LimitNotFoundError()
        limits.append(Limit(kind, period, amount, set_ms=now_ms, window_ms=now_ms))
        return LimitChange(kind, period, None, amount, "applied", now_ms, now_ms)
    old = limit.amount
    if amount is not None and amount <= old:
        limit.amount = amount
        limit.clear_pending()
        return LimitChange(kind, period, old, amount, "applied", now_ms, now_ms)
    limit.pending_amount = amount
    limit.pending_requested_ms = now_ms
    limit.pending_effective_ms = now_ms + delay_ms
    return LimitChange(kind, period, old, amount, "pending", now_ms, limit.pending_effective_ms)


def confirm_change(limits: list[Limit], kind: str, period: str, now_ms: int) -> LimitChange:
    """The player's reconfirmation of a pending increase or removal, once it is due."""
    limit = find(limits, kind, period)
    if limit is None or not limit.has_pending:
        raise NoPendingLimitChangeError()
    if now_ms < limit.pending_effective_ms:
        raise LimitChangeNotDueError(effectiveAt=from_ms(limit.pending_effective_ms).isoformat())
    old, new, requested = limit.amount, limit.pending_amount, limit.pending_requested_ms
    if new is None:
        limits.remove(limit)
        return LimitChange(kind, period, old, None, "removed", requested, now_ms)
    limit.amount = new
    limit.clear_pending()
    return LimitChange(kind, period, old, new, "applied", requested, now_ms)


def _spin_counted(limit: Limit) -> bool:
    return limit.period in PERIOD_MS and limit.kind in ("loss", "wager")


def add_spin(limits: list[Limit], stake: int, win: int, now_ms: int) -> None:
    for limit in limits:
        if _spin_counted(limit):
            limit.roll(now_ms)
            # A loss is what was staked minus what came back, so wins make room again.
            limit.used += stake if limit.kind == "wager" else stake - win


def add_deposit(limits: list[Limit], amount: int, now_ms: int) -> None:
    for limit in limits:
        if limit.kind == "deposit":
            limit.roll(now_ms)
            limit.used += amount


def stake_violation(limits: list[Limit], stake: int, now_ms: int) -> Limit | None:
    """The first loss or wager limit this stake could break (a loss counts the whole stake)."""
    for limit in limits:
        if _spin_counted(limit) and limit.current(now_ms)[1] + stake > limit.amount:
            return limit
    return None


def deposit_violation(limits: list[Limit], amount: int, now_ms: int) -> Limit | None:
    for limit in limits:
        if limit.kind == "deposit" and limit.current(now_ms)[1] + amount > limit.amount:
            return limit
    return None


def exhausted(limits: list[Limit], now_ms: int) -> Limit | None:
    for limit in limits:
        if _spin_counted(limit) and limit.current(now_ms)[1] >= limit.amount:
            return limit
    return None


def consumption(limits: list[Limit], now_ms: int) -> float:
    """The highest share used of any period limit (session limits are the session's to add)."""
    share = 0.0
    for limit in limits:
        if limit.period in PERIOD_MS:
            share = max(share, limit.current(now_ms)[1] / limit.amount)
    return share


def session_amount(limits: list[Limit], kind: str) -> int | None:
    limit = find(limits, kind, "session")
    return limit.amount if limit else None


def describe(limit: Limit, now_ms: int) -> dict[str, Any]:
    """A limit as the player and the operator see it (snake_case; the schemas camelCase it)."""
    periodic = limit.period in PERIOD_MS
    _, used = limit.current(now_ms)
    end = limit.window_end_ms(now_ms)
    pending = None
    if limit.has_pending:
        pending = {
            "amount": limit.pending_amount,
            "requested_at": from_ms(limit.pending_requested_ms),
            "effective_at": from_ms(limit.pending_effective_ms),
            "confirmable": now_ms >= limit.pending_effective_ms,
        }
    return {
        "kind": limit.kind,
        "period": limit.period,
        "amount": limit.amount,
        "used": used if periodic else None,
        "remaining": max(limit.amount - used, 0) if periodic else None,
        "period_ends_at": from_ms(end) if end is not None else None,
        "pending": pending,
    }
