"""The safety hooks the platform calls, and the seed-000 telemetry and session-loss-limit rules.

* ``check_login`` / ``check_spin`` / ``check_deposit``: cheap pre-checks that raise a 403
  ``SafetyRefusal`` before any money moves. Withdrawals and the settlement of bets already
  placed have no hook on purpose: nothing here may keep a player from their money.
* ``record_spin`` / ``record_deposit``: after the fact, inside the caller's unit of work; they
  update the rolling state, score, and issue (and audit) actions. ``record_spin`` never changes
  an outcome and never raises for a scoring reason.

Client telemetry and the server's own feed share one session state, keyed by the x-session-id
(or, without one, the server's session that restarts after 30 min of inactivity). A spin must not
count twice, so the rule is: **client events count as spins only while the session has no
server-recorded spin**. Once the platform records spins for the session, a client event only
adds telemetry (its ``spinMs`` refines the decision-time signal of the latest spin) and returns
the current assessment, including an action the platform issued that the client has not seen.
"""

from croupier.safety.checks import (
    check_deposit,
    check_login,
    check_spin,
    is_marketing_suppressed,
    spin_refusals,
)
from croupier.safety.engine import SafetyAssessment
from croupier.safety.recording import (
    record_client_event,
    record_deposit,
    record_spin,
    set_session_loss_limit,
)
from croupier.safety.views import player_safety_summary

__all__ = [
    "SafetyAssessment",
    "check_deposit",
    "check_login",
    "check_spin",
    "is_marketing_suppressed",
    "player_safety_summary",
    "record_client_event",
    "record_deposit",
    "record_spin",
    "set_session_loss_limit",
    "spin_refusals",
]
