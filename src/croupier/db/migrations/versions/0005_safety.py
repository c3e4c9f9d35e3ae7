"""Player safety: per-player and per-session risk state, actions, cases and the change audit.

Revision ID: 0005_safety
Revises: 0004_bets
Create Date: 2026-11-21
"""

from croupier.db.migration_sql import execute_script

revision = "0005_safety"
down_revision = "0004_bets"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script("""
    -- Both state tables are rewritten on every spin: spare room on each page (fillfactor) lets
    -- PostgreSQL update a row in place (HOT) when no indexed column changes.

    -- One row per player: the restrictions every spin, debit, deposit and login checks (typed
    -- columns, so the checks decode no JSON), the player's limits with their period counters,
    -- and the rolling history the baselines come from. The spin path reads and writes it once.
    CREATE TABLE safety_players (
        operator_id                 integer NOT NULL REFERENCES operators(id),
        player_id                   bigint NOT NULL,
        state                       jsonb NOT NULL DEFAULT '{}'::jsonb,
        limits                      jsonb NOT NULL DEFAULT '[]'::jsonb,
        band                        text NOT NULL DEFAULT 'NORMAL'
                                    CHECK (band IN ('NORMAL', 'ELEVATED', 'TILT_RISK')),
        score                       integer NOT NULL DEFAULT 0 CHECK (score BETWEEN 0 AND 100),
        reasons                     text[] NOT NULL DEFAULT '{}',
        cooldown_until              timestamptz,
        stop_until                  timestamptz,
        stop_code                   text,
        timeout_until               timestamptz,
        self_excluded_at            timestamptz,
        self_excluded_until         timestamptz,
        marketing_suppressed_until  timestamptz,
        reality_check_minutes       integer CHECK (reality_check_minutes BETWEEN 1 AND 1440),
        last_activity_at            timestamptz,
        updated_at                  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (operator_id, player_id),
        FOREIGN KEY (operator_id, player_id) REFERENCES players(operator_id, id)
    ) WITH (fillfactor = 80);
    CREATE INDEX safety_players_recent
        ON safety_players (operator_id, updated_at DESC, player_id DESC);
    CREATE INDEX safety_players_band
        ON safety_players (operator_id, band, updated_at DESC, player_id DESC)
        WHERE band <> 'NORMAL';

    -- One row per player session. session_key is the client's x-session-id, or '' for the
    -- server's own session (spins with no key); a session restarts after 30 min of inactivity.
    CREATE TABLE safety_sessions (
        operator_id  integer NOT NULL,
        player_id    bigint NOT NULL,
        session_key  text NOT NULL CHECK (length(session_key) <= 200),
        started_at   timestamptz NOT NULL,
        touched_at   timestamptz NOT NULL,
        net_loss     bigint NOT NULL DEFAULT 0,
        loss_limit   bigint CHECK (loss_limit > 0),
        ended_code   text,
        state        jsonb NOT NULL DEFAULT '{}'::jsonb,
        PRIMARY KEY (operator_id, player_id, session_key),
        FOREIGN KEY (operator_id, player_id) REFERENCES players(operator_id, id)
    ) WITH (fillfactor = 80);

    -- Every NUDGE / COOLDOWN / STOP the engine issued: append-only, the operator's audit trail.
    CREATE TABLE safety_actions (
        id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        operator_id  integer NOT NULL,
        player_id    bigint NOT NULL,
        session_key  text NOT NULL,
        game_key     text,
        action_type  text NOT NULL CHECK (action_type IN ('NUDGE', 'COOLDOWN', 'STOP')),
        code         text,
        score        integer NOT NULL,
        band         text NOT NULL,
        reasons      text[] NOT NULL DEFAULT '{}',
        action       jsonb NOT NULL,
        source       text NOT NULL,
        created_at   timestamptz NOT NULL,
        FOREIGN KEY (operator_id, player_id) REFERENCES players(operator_id, id)
    );
    CREATE INDEX safety_actions_player ON safety_actions (operator_id, player_id, created_at DESC);

    -- Responsible-gambling cases for human follow-up; at most one open case per player, which
    -- later STOPs add to instead of opening duplicates.
    CREATE TABLE safety_cases (
        id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        operator_id   integer NOT NULL,
        player_id     bigint NOT NULL,
        status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
        trigger_code  text NOT NULL,
        reasons       text[] NOT NULL DEFAULT '{}',
        score         integer NOT NULL,
        stop_count    integer NOT NULL DEFAULT 1,
        opened_at     timestamptz NOT NULL,
        last_stop_at  timestamptz NOT NULL,
        closed_at     timestamptz,
        closed_by     bigint,
        updated_at    timestamptz NOT NULL DEFAULT now(),
        FOREIGN KEY (operator_id, player_id) REFERENCES players(operator_id, id)
    );
    CREATE UNIQUE INDEX safety_cases_one_open ON safety_cases (operator_id, player_id)
        WHERE status = 'open';
    CREATE INDEX safety_cases_recent ON safety_cases (operator_id, opened_at DESC, id DESC);

    CREATE TABLE safety_case_notes (
        id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        case_id          bigint NOT NULL REFERENCES safety_cases(id),
        operator_id      integer NOT NULL,
        author_staff_id  bigint NOT NULL,
        body             text NOT NULL CHECK (length(body) BETWEEN 1 AND 5000),
        created_at       timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX safety_case_notes_case ON safety_case_notes (case_id, created_at);

    -- Every change to a limit, time-out, self-exclusion, reality check or case: who asked,
    -- what it was, what it became, when it was asked for and when it takes effect.
    CREATE TABLE safety_audit (
        id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        operator_id   integer NOT NULL,
        player_id     bigint NOT NULL,
        actor_type    text NOT NULL CHECK (actor_type IN ('player', 'staff', 'system')),
        actor_id      bigint,
        action        text NOT NULL,
        subject       text NOT NULL,
        old_value     jsonb,
        new_value     jsonb,
        requested_at  timestamptz NOT NULL,
        effective_at  timestamptz,
        created_at    timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX safety_audit_player ON safety_audit (operator_id, player_id, created_at DESC);
    """)


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
