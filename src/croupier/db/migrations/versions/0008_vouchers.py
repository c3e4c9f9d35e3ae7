"""Sweepstakes vouchers (seed 000): voucher batches and vouchers, the ephemeral players' login code
and PIN, the per-voucher held bonus, cash-outs paid by the shop, and failed-attempt records for
the redeem and login throttles.

Money never lives here: the agent's float, the voucher liability, the held bonus and the player's
cash are ledger accounts (see croupier.vouchers.money); these tables say which voucher, player
and shop each movement belongs to.

Revision ID: 0008_vouchers
Revises: 0007_providers
Create Date: 2026-11-23
"""

from croupier.db.migration_sql import execute_script

revision = "0008_vouchers"
down_revision = "0007_providers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script("""
    -- An ephemeral player logs in with a typed login code and a PIN (stored as an argon2 hash).
    ALTER TABLE players
        ADD COLUMN login_code text
            CHECK (login_code ~ '^[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{10}$'),
        ADD COLUMN pin_hash text,
        ADD CONSTRAINT players_login_code_with_pin CHECK ((login_code IS NULL) = (pin_hash IS NULL));
    CREATE UNIQUE INDEX players_login_code_per_operator ON players (operator_id, login_code)
        WHERE login_code IS NOT NULL;
    -- Seed 000's login names no operator: the code alone finds the player.
    CREATE INDEX players_login_code ON players (login_code) WHERE login_code IS NOT NULL;

    -- One POST of the issue endpoint: what the agent was charged, once per idempotency key.
    CREATE TABLE voucher_batches (
        id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        operator_id      integer NOT NULL REFERENCES operators(id),
        agent_id         bigint NOT NULL,
        issued_by        bigint NOT NULL REFERENCES staff_users(id),
        cashier_id       bigint REFERENCES staff_users(id),
        currency         char(3) NOT NULL,
        amount           bigint NOT NULL CHECK (amount > 0 AND amount % 2 = 0),
        bonus            bigint NOT NULL CHECK (bonus * 2 = amount),
        count            integer NOT NULL CHECK (count BETWEEN 1 AND 100),
        expires_at       timestamptz NOT NULL,
        idempotency_key  text NOT NULL,
        request_hash     bytea NOT NULL,
        transfer_id      bigint NOT NULL,
        created_at       timestamptz NOT NULL DEFAULT now(),
        UNIQUE (operator_id, agent_id, idempotency_key),
        FOREIGN KEY (operator_id, agent_id) REFERENCES agents(operator_id, id)
    );

    -- The code is a bearer secret: only its SHA-256 is kept (80 random bits need no slow hash),
    -- with the last characters as a hint for the shop's listings. Its ledger transfers carry the
    -- reference 'voucher:<id>' and keys 'voucher:<id>:redeem|release|bonus'.
    CREATE TABLE vouchers (
        id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        operator_id          integer NOT NULL REFERENCES operators(id),
        agent_id             bigint NOT NULL,
        batch_id             bigint NOT NULL REFERENCES voucher_batches(id),
        issued_by            bigint NOT NULL REFERENCES staff_users(id),
        cashier_id           bigint REFERENCES staff_users(id),
        region               text,
        code_hash            bytea NOT NULL UNIQUE CHECK (length(code_hash) = 32),
        code_hint            text NOT NULL,
        currency             char(3) NOT NULL,
        amount               bigint NOT NULL CHECK (amount > 0),
        bonus                bigint NOT NULL CHECK (bonus * 2 = amount),
        status               text NOT NULL DEFAULT 'active'
                             CHECK (status IN ('active', 'redeemed', 'expired', 'voided')),
        expires_at           timestamptz NOT NULL,
        player_id            bigint,
        redeemed_at          timestamptz,
        closed_at            timestamptz,
        created_at           timestamptz NOT NULL DEFAULT now(),
        UNIQUE (operator_id, id),
        FOREIGN KEY (operator_id, agent_id) REFERENCES agents(operator_id, id),
        FOREIGN KEY (operator_id, player_id) REFERENCES players(operator_id, id),
        CHECK (player_id IS NULL OR status = 'redeemed'),
        CHECK ((status = 'redeemed') = (redeemed_at IS NOT NULL)),
        CHECK ((status IN ('expired', 'voided')) = (closed_at IS NOT NULL))
    );
    CREATE INDEX vouchers_agent_created ON vouchers (operator_id, agent_id, created_at DESC, id DESC);
    CREATE INDEX vouchers_due ON vouchers (expires_at) WHERE status = 'active';
    CREATE INDEX vouchers_agent_active ON vouchers (operator_id, agent_id) WHERE status = 'active';
    CREATE INDEX vouchers_player ON vouchers (player_id) WHERE player_id IS NOT NULL;

    -- The 50% bonus of a redeemed voucher: held on the player's bonus_held account until the
    -- balance falls to the trigger, then granted once; the popup shows until acknowledged.
    CREATE TABLE voucher_bonuses (
        voucher_id         bigint PRIMARY KEY REFERENCES vouchers(id),
        operator_id        integer NOT NULL,
        player_id          bigint NOT NULL,
        agent_id           bigint NOT NULL,
        currency           char(3) NOT NULL,
        amount             bigint NOT NULL CHECK (amount > 0),
        state              text NOT NULL DEFAULT 'held'
                           CHECK (state IN ('held', 'granted', 'acknowledged', 'forfeited')),
        granted_at         timestamptz,
        acknowledged_at    timestamptz,
        forfeited_at       timestamptz,
        created_at         timestamptz NOT NULL DEFAULT now(),
        FOREIGN KEY (operator_id, player_id) REFERENCES players(operator_id, id),
        FOREIGN KEY (operator_id, agent_id) REFERENCES agents(operator_id, id),
        CHECK ((state IN ('granted', 'acknowledged')) = (granted_at IS NOT NULL)),
        CHECK ((state = 'acknowledged') = (acknowledged_at IS NOT NULL)),
        CHECK ((state = 'forfeited') = (forfeited_at IS NOT NULL))
    );
    CREATE INDEX voucher_bonuses_player ON voucher_bonuses (player_id, voucher_id);

    -- A player's request to cash out winnings, paid in the shop by the agent or its cashier.
    CREATE TABLE voucher_cashouts (
        id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        operator_id          integer NOT NULL REFERENCES operators(id),
        player_id            bigint NOT NULL,
        agent_id             bigint NOT NULL,
        currency             char(3) NOT NULL,
        amount               bigint NOT NULL CHECK (amount > 0),
        status               text NOT NULL DEFAULT 'PENDING'
                             CHECK (status IN ('PENDING', 'PAID', 'REJECTED')),
        idempotency_key      text NOT NULL,
        request_hash         bytea NOT NULL,
        hold_transfer_id     bigint NOT NULL,
        resolve_transfer_id  bigint,
        resolved_by          bigint REFERENCES staff_users(id),
        cashier_id           bigint REFERENCES staff_users(id),
        reason               text CHECK (length(reason) <= 500),
        resolved_at          timestamptz,
        created_at           timestamptz NOT NULL DEFAULT now(),
        UNIQUE (operator_id, player_id, idempotency_key),
        FOREIGN KEY (operator_id, player_id) REFERENCES players(operator_id, id),
        FOREIGN KEY (operator_id, agent_id) REFERENCES agents(operator_id, id),
        CHECK ((status = 'PENDING') = (resolved_at IS NULL)),
        CHECK (status <> 'REJECTED' OR reason IS NOT NULL)
    );
    CREATE INDEX voucher_cashouts_agent ON voucher_cashouts (operator_id, agent_id, created_at DESC, id DESC);
    CREATE INDEX voucher_cashouts_player ON voucher_cashouts (player_id, created_at DESC, id DESC);

    -- Failed redeem and player-login attempts, counted per subject and per IP in a window.
    CREATE TABLE voucher_failed_attempts (
        id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        action      text NOT NULL CHECK (action IN ('redeem', 'login')),
        subject     text,
        ip          inet,
        created_at  timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX voucher_failed_attempts_subject ON voucher_failed_attempts (action, subject, created_at);
    CREATE INDEX voucher_failed_attempts_ip ON voucher_failed_attempts (action, ip, created_at);
    """)


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
