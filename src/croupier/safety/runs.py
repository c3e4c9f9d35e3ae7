"""A run of one player's spins, checked and scored in memory and saved once: the bulk path's
``check_spin`` + ``record_spin`` (bets.bulk).

The rules are the same functions the per-spin hooks call: ``checks.refuse_spin`` on the state
as the run has left it, and ``recording.assess`` for the scoring. Only the I/O differs: the two
state rows are read (and locked) when the run opens and written when it closes. A run covers
one play session: :meth:`SpinRun.continues` says when the next spin would start a new one,
and a run ends at the first spin that issues an action (the action is stored and announced
when the run closes, exactly as ``record_spin`` stores it).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from croupier.kit.errors import NotFoundError
from croupier.safety import limits as limit_rules
from croupier.safety import recording, state_rows
from croupier.safety.checks import refuse_spin
from croupier.safety.engine import SafetyAssessment, SpinInput
from croupier.safety.state import from_ms, to_ms
from croupier.safety.support import moment_of, session_key_of


class SpinRun:
    def __init__(
        self,
        operator_id: int,
        player_id: int,
        key: str,
        row: asyncpg.Record,
        loaded: recording.Loaded,
        touched_ms: int,
    ) -> None:
        self.operator_id, self.player_id, self.key = operator_id, player_id, key
        self._row = row
        self._loaded = loaded
        self._touched_ms = touched_ms
        self._action: tuple[SafetyAssessment, str, bool] | None = None  # (…, game key, case)

    @classmethod
    async def open(
        cls,
        conn: asyncpg.Connection,
        *,
        operator_id: int,
        player_id: int,
        session_key: str | None,
        at: datetime,
    ) -> SpinRun:
        """Lock the player's state rows (after the wallet, as every money flow does)."""
        key = session_key_of(session_key)
        row = await state_rows.locked(conn, operator_id, player_id, key, at)
        return await cls._of(conn, operator_id, player_id, key, at, row)

    @classmethod
    async def open_many(
        cls,
        conn: asyncpg.Connection,
        spins: Sequence[tuple[int, int, str | None, datetime]],
    ) -> list[SpinRun | None]:
        """:meth:`open` for many players (distinct), each (operator, player, session key,
        at), with one read of their rows; None for a player that does not exist."""
        keyed = [(o, p, session_key_of(k), at) for o, p, k, at in spins]
        rows = await state_rows.locked_many(conn, keyed)
        return [
            None if row is None else await cls._of(conn, operator_id, player_id, key, at, row)
            for (operator_id, player_id, key, at), row in zip(keyed, rows, strict=True)
        ]

    @classmethod
    async def _of(
        cls,
        conn: asyncpg.Connection,
        operator_id: int,
        player_id: int,
        key: str,
        at: datetime,
        row: asyncpg.Record | None,
    ) -> SpinRun:
        if row is None:
            raise NotFoundError("Player not found.")
        at_ms = to_ms(at)
        loaded = await recording.load(conn, operator_id, player_id, key, at_ms, at_ms, row)
        touched = row["touched_at"]
        return cls(operator_id, player_id, key, row, loaded, to_ms(touched) if touched else 0)

    def continues(self, at: datetime) -> bool:
        """Whether a spin at ``at`` still belongs to this run's session."""
        idle = timedelta(minutes=self._loaded.cfg.session_inactivity_minutes)
        return at - from_ms(max(self._touched_ms, self._loaded.session.started_ms)) < idle

    def check(self, stake: int, at: datetime) -> None:
        """``check_spin``'s refusals, on the state as the run's spins so far left it."""
        session, r = self._loaded.session, self._loaded.restrictions
        refuse_spin(
            {
                "self_excluded_until": self._row["self_excluded_until"],
                "timeout_until": self._row["timeout_until"],
                "stop_until": moment_of(r.stop_until_ms),
                "stop_code": r.stop_code,
                "cooldown_until": moment_of(r.cooldown_until_ms),
                "limits": limit_rules.limits_to_json(self._loaded.limits),
                "config": self._row["config"],
                "touched_at": moment_of(self._touched_ms),
                "ended_code": session.ended_code,
                "loss_limit": session.loss_limit,
                "net_loss": session.net_loss,
                "started_at": from_ms(session.started_ms),
            },
            stake,
            at,
        )

    def record(
        self,
        *,
        game_key: str,
        stake: int,
        win: int,
        balance_after: int,
        p_loss: float | None,
        at: datetime,
    ) -> tuple[SafetyAssessment, bool]:
        """Score a settled spin; True if it issued an action (the run must end with it)."""
        at_ms = to_ms(at)
        spin = SpinInput(
            at_ms=max(at_ms, self._loaded.session.last_ms),
            now_ms=at_ms,
            stake=stake,
            win=win,
            balance_after=balance_after,
            p_loss=p_loss,
            min_cycle_ms=2500,
            counts_money=True,
        )
        self._touched_ms = at_ms
        verdict = recording.assess(self.operator_id, self.player_id, self._loaded, spin)
        if verdict is None:
            p = self._loaded.player
            return SafetyAssessment(p.score, p.band, list(p.reasons)), False
        if verdict.persist:
            self._action = (verdict.assessment, game_key, verdict.open_case)
        return verdict.assessment, verdict.persist

    async def close(self, conn: asyncpg.Connection) -> None:
        """Write the state rows back (and the action's audit row, push and case, if any)."""
        stored: Any = None
        if self._action is not None:
            assessment, game_key, _ = self._action
            stored = (assessment, "server", game_key)
        await recording.save(
            conn, self.operator_id, self.player_id, self.key, self._loaded, self._touched_ms,
            stored,
        )  # fmt: skip
        if self._action is not None:
            assessment, _, open_case = self._action
            await recording.announce(
                conn, self.operator_id, self.player_id, assessment, open_case, self._touched_ms
            )

    @staticmethod
    async def close_many(conn: asyncpg.Connection, runs: Sequence[SpinRun]) -> None:
        """:meth:`close` for many runs (distinct players): the rows of the runs without an
        action are written with one statement."""
        await recording.save_many(
            conn,
            [
                (run.operator_id, run.player_id, run.key, run._loaded, run._touched_ms)
                for run in runs
                if run._action is None
            ],
        )
        for run in runs:
            if run._action is not None:
                await run.close(conn)
