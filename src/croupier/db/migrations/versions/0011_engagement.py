"""Engagement (seed 004): guest devices, free-to-play earnings, custom events, attribution
clicks, ad costs and pipeline jobs.

Guests keep their device credentials in ``engagement_devices`` rather than on ``players``, so the
players table stays the auth domain's and a player may later own several devices.

Revision ID: 0011_engagement
Revises: 0010_clock
Create Date: 2026-11-24
"""

from croupier.db.migration_sql import execute_script

revision = "0011_engagement"
down_revision = "0010_clock"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script("""
    -- A guest's device: the id the app chose, and the SHA-256 of the random secret we issued.
    CREATE TABLE engagement_devices (
        id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        operator_id     integer NOT NULL REFERENCES operators(id),
        player_id       bigint NOT NULL,
        device_id       text NOT NULL CHECK (device_id ~ '^[A-Za-z0-9._:-]{1,128}$'),
        secret_hash     bytea NOT NULL CHECK (length(secret_hash) = 32),
        created_ip      inet,
        created_at      timestamptz NOT NULL DEFAULT now(),
        last_login_at   timestamptz,
        UNIQUE (operator_id, device_id),
        FOREIGN KEY (operator_id, player_id) REFERENCES players(operator_id, id)
    );
    CREATE INDEX engagement_devices_player ON engagement_devices (player_id);
    CREATE INDEX engagement_devices_created_ip ON engagement_devices (created_ip, created_at);

    -- Failed device logins, for the per-device and per-IP throttle (successes are not needed).
    CREATE TABLE engagement_login_failures (
        id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        operator_id   integer NOT NULL,
        device_id     text NOT NULL,
        ip            inet,
        created_at    timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX engagement_login_failures_device
        ON engagement_login_failures (operator_id, device_id, created_at);
    CREATE INDEX engagement_login_failures_ip ON engagement_login_failures (ip, created_at);

    -- One row per accepted earn: the idempotency record and what it answered.
    CREATE TABLE engagement_earns (
        id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        operator_id      integer NOT NULL,
        player_id        bigint NOT NULL,
        idempotency_key  text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 100),
        request_hash     bytea NOT NULL CHECK (length(request_hash) = 32),
        reason           text NOT NULL,
        amount           bigint NOT NULL CHECK (amount > 0),
        day              date NOT NULL,
        transfer_id      bigint,
        coins_after      bigint,
        earned_today     bigint,
        created_at       timestamptz NOT NULL DEFAULT now(),
        UNIQUE (player_id, idempotency_key),
        FOREIGN KEY (operator_id, player_id) REFERENCES players(operator_id, id)
    );

    -- The daily cap's counter: raised by a conditional upsert, so two concurrent earns
    -- serialise on this row and cannot both pass the cap.
    CREATE TABLE engagement_earn_counters (
        player_id    bigint NOT NULL,
        reason       text NOT NULL,
        day          date NOT NULL,
        operator_id  integer NOT NULL,
        earned       bigint NOT NULL CHECK (earned >= 0),
        PRIMARY KEY (player_id, reason, day)
    );

    CREATE TABLE engagement_events (
        id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        operator_id  integer NOT NULL,
        player_id    bigint NOT NULL,
        event_type   text NOT NULL CHECK (event_type ~ '^[A-Za-z][A-Za-z0-9_.:-]{0,63}$'),
        meta         jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(meta) = 'object'),
        client_ts    timestamptz NOT NULL,
        server_ts    timestamptz NOT NULL DEFAULT now(),
        FOREIGN KEY (operator_id, player_id) REFERENCES players(operator_id, id)
    );
    CREATE INDEX engagement_events_player ON engagement_events (player_id, server_ts DESC, id DESC);
    CREATE INDEX engagement_events_operator ON engagement_events (operator_id, server_ts);

    -- A deeplink click; player_id and linked_at are set once, by the first login after it.
    CREATE TABLE engagement_clicks (
        id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        operator_id   integer NOT NULL REFERENCES operators(id),
        click_id      text NOT NULL CHECK (click_id ~ '^[A-Za-z0-9._~-]{1,128}$'),
        media_source  text CHECK (length(media_source) <= 100),
        campaign      text CHECK (length(campaign) <= 200),
        adset         text CHECK (length(adset) <= 200),
        ip            inet,
        user_agent    text,
        clicked_at    timestamptz NOT NULL DEFAULT now(),
        player_id     bigint,
        linked_at     timestamptz,
        UNIQUE (operator_id, click_id),
        FOREIGN KEY (operator_id, player_id) REFERENCES players(operator_id, id),
        CHECK ((player_id IS NULL) = (linked_at IS NULL))
    );
    CREATE INDEX engagement_clicks_player ON engagement_clicks (player_id, linked_at)
        WHERE player_id IS NOT NULL;

    -- Daily ad spend per campaign key, in the operator's currency (the pipeline's costs file).
    CREATE TABLE ad_costs (
        operator_id   integer NOT NULL REFERENCES operators(id),
        day           date NOT NULL,
        media_source  text NOT NULL CHECK (length(media_source) BETWEEN 1 AND 100),
        campaign      text NOT NULL CHECK (length(campaign) BETWEEN 1 AND 200),
        adset         text NOT NULL CHECK (length(adset) BETWEEN 1 AND 200),
        spend_minor   bigint NOT NULL CHECK (spend_minor >= 0),
        currency      char(3) NOT NULL,
        updated_at    timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (operator_id, day, media_source, campaign, adset)
    );

    CREATE TABLE pipeline_jobs (
        id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        operator_id  integer NOT NULL REFERENCES operators(id),
        status       text NOT NULL DEFAULT 'queued'
                     CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
        source       text NOT NULL CHECK (source IN ('platform', 'data_dir')),
        data_dir     text,
        as_of        date,
        charts       boolean NOT NULL,
        output_dir   text,
        summary      jsonb,
        error        text,
        created_by   bigint REFERENCES staff_users(id),
        created_at   timestamptz NOT NULL DEFAULT now(),
        updated_at   timestamptz NOT NULL DEFAULT now(),
        started_at   timestamptz,
        finished_at  timestamptz
    );
    -- At most one unfinished run per operator: a concurrent start fails on this index (409).
    CREATE UNIQUE INDEX pipeline_jobs_one_active ON pipeline_jobs (operator_id)
        WHERE status IN ('queued', 'running');
    CREATE INDEX pipeline_jobs_operator ON pipeline_jobs (operator_id, id DESC);
    """)


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
