"""The limit state machine and the period counters (pure)."""

from __future__ import annotations

import pytest

from croupier.safety import limits as rules
from croupier.safety.errors import (
    LimitChangeNotDueError,
    LimitNotFoundError,
    NoPendingLimitChangeError,
)
from croupier.safety.state import DAY_MS

H = 3_600_000


def test_first_limit_and_decreases_apply_at_once() -> None:
    limits: list[rules.Limit] = []
    first = rules.request_change(limits, "loss", "24h", 1000, 0, 24 * H)
    assert (first.status, first.old, first.new) == ("applied", None, 1000)
    lower = rules.request_change(limits, "loss", "24h", 400, H, 24 * H)
    assert (lower.status, lower.old, lower.new, lower.effective_ms) == ("applied", 1000, 400, H)
    assert rules.find(limits, "loss", "24h").amount == 400  # type: ignore[union-attr]


def test_increase_waits_24h_then_needs_confirmation() -> None:
    limits: list[rules.Limit] = []
    rules.request_change(limits, "deposit", "7d", 500, 0, 24 * H)
    raise_ = rules.request_change(limits, "deposit", "7d", 900, H, 24 * H)
    assert (raise_.status, raise_.effective_ms) == ("pending", 25 * H)
    limit = rules.find(limits, "deposit", "7d")
    assert limit is not None and limit.amount == 500  # still the old amount
    with pytest.raises(LimitChangeNotDueError):
        rules.confirm_change(limits, "deposit", "7d", 25 * H - 1)
    done = rules.confirm_change(limits, "deposit", "7d", 30 * H)
    assert (done.status, done.old, done.new) == ("applied", 500, 900)
    assert limit.amount == 900 and not limit.has_pending
    with pytest.raises(NoPendingLimitChangeError):
        rules.confirm_change(limits, "deposit", "7d", 31 * H)


def test_a_decrease_cancels_a_pending_increase_and_a_new_request_restarts_the_clock() -> None:
    limits: list[rules.Limit] = []
    rules.request_change(limits, "wager", "24h", 500, 0, 24 * H)
    rules.request_change(limits, "wager", "24h", 900, 0, 24 * H)
    again = rules.request_change(limits, "wager", "24h", 950, 10 * H, 24 * H)
    assert again.effective_ms == 34 * H
    rules.request_change(limits, "wager", "24h", 300, 11 * H, 24 * H)
    limit = rules.find(limits, "wager", "24h")
    assert limit is not None and limit.amount == 300 and not limit.has_pending


def test_removal_is_an_increase() -> None:
    limits: list[rules.Limit] = []
    with pytest.raises(LimitNotFoundError):
        rules.request_change(limits, "loss", "30d", None, 0, 24 * H)
    rules.request_change(limits, "loss", "30d", 500, 0, 24 * H)
    assert rules.request_change(limits, "loss", "30d", None, H, 24 * H).status == "pending"
    assert rules.confirm_change(limits, "loss", "30d", 26 * H).status == "removed"
    assert limits == []


def test_counters_roll_per_period_and_wins_make_loss_room() -> None:
    limits: list[rules.Limit] = []
    rules.request_change(limits, "loss", "24h", 1000, 0, 24 * H)
    rules.request_change(limits, "wager", "24h", 5000, 0, 24 * H)
    rules.add_spin(limits, 400, 0, H)
    rules.add_spin(limits, 400, 300, 2 * H)
    loss = rules.find(limits, "loss", "24h")
    wager = rules.find(limits, "wager", "24h")
    assert loss is not None and wager is not None
    assert (loss.used, wager.used) == (500, 800)
    assert rules.stake_violation(limits, 500, 3 * H) is None
    assert rules.stake_violation(limits, 501, 3 * H) is loss
    # a day after the limit was set, a new window starts
    assert rules.stake_violation(limits, 1000, DAY_MS + 1) is None
    assert loss.current(DAY_MS + 1) == (DAY_MS, 0)


def test_the_lowest_applicable_limit_bites() -> None:
    limits: list[rules.Limit] = []
    rules.request_change(limits, "loss", "24h", 1000, 0, 24 * H)
    rules.request_change(limits, "loss", "7d", 300, 0, 24 * H)
    rules.add_spin(limits, 250, 0, H)
    broken = rules.stake_violation(limits, 100, 2 * H)
    assert broken is not None and broken.period == "7d"


def test_deposits_count_gross_against_deposit_limits() -> None:
    limits: list[rules.Limit] = []
    rules.request_change(limits, "deposit", "24h", 1000, 0, 24 * H)
    rules.add_deposit(limits, 700, H)
    assert rules.deposit_violation(limits, 300, H) is None
    assert rules.deposit_violation(limits, 301, H) is not None
    assert rules.consumption(limits, H) == pytest.approx(0.7)


def test_json_round_trip() -> None:
    limits: list[rules.Limit] = []
    rules.request_change(limits, "loss", "session", 5000, 0, 24 * H)
    rules.request_change(limits, "loss", "session", 9000, 1, 24 * H)
    back = rules.limits_from_json(rules.limits_to_json(limits))
    assert back == limits
    view = rules.describe(back[0], 2)
    assert view["pending"]["amount"] == 9000 and view["pending"]["confirmable"] is False
    assert view["used"] is None and view["period_ends_at"] is None
