"""RTP monitoring (reference B2.3): game versions, bet channels, capped wins and large wins.

* ``games.version`` counts the revisions of a game's maths: a trigger bumps it whenever the
  paytable, RTP, volatility or engine changes, whatever path changes them, so the monitor can
  restart its window for the new maths and never judge old bets against it.
* ``bets.game_version`` and ``bets.channel`` record the slice a bet belongs to. The version is
  nullable until the spin path records it (the tailer then reads the catalogue's version at fold
  time, about a second after the spin); the channel defaults to 'web'.
* ``ledger_events`` and ``an_rollups`` gain the slice keys (version, channel) and two additive
  measures: the win capped at C x stake and the count of wins of at least C x stake.
* ``game_configs`` gains the exact capped maths per game version.

Rows folded before this migration have no capped figures: they keep game_version 0, which no
game ever has, so monitoring windows start afresh; new rows default to version 1, every game's
first version.

Revision ID: 0012_rtp_monitoring
Revises: 0011_engagement
Create Date: 2026-11-25
"""

from croupier.db.migration_sql import execute_script

revision = "0012_rtp_monitoring"
down_revision = "0011_engagement"
branch_labels = None
depends_on = None

CATALOGUE = """
ALTER TABLE games ADD COLUMN version integer NOT NULL DEFAULT 1 CHECK (version >= 1);

CREATE FUNCTION games_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.paytable, NEW.rtp, NEW.volatility, NEW.engine_key)
           IS DISTINCT FROM (OLD.paytable, OLD.rtp, OLD.volatility, OLD.engine_key)
       AND NEW.version <= OLD.version THEN
        NEW.version := OLD.version + 1;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER games_version BEFORE UPDATE ON games
    FOR EACH ROW EXECUTE FUNCTION games_bump_version();

ALTER TABLE bets ADD COLUMN game_version integer CHECK (game_version >= 1);
ALTER TABLE bets ADD COLUMN channel text NOT NULL DEFAULT 'web'
    CHECK (channel ~ '^[a-z][a-z0-9_-]{0,19}$');

ALTER TABLE game_configs
    ADD COLUMN game_version integer NOT NULL DEFAULT 1,
    ADD COLUMN cap_multiple integer CHECK (cap_multiple >= 1),
    ADD COLUMN capped_rtp numeric(12, 10),
    ADD COLUMN capped_sigma double precision,
    ADD COLUMN p_large numeric,  -- P(win >= cap_multiple x stake), exact to 28 digits
    ADD COLUMN p_top_capped double precision;
"""

ANALYTICS = """
ALTER TABLE ledger_events
    ADD COLUMN game_version integer NOT NULL DEFAULT 0,
    ADD COLUMN channel text NOT NULL DEFAULT '',
    ADD COLUMN capped_win bigint NOT NULL DEFAULT 0,
    ADD COLUMN large_wins smallint NOT NULL DEFAULT 0;
ALTER TABLE ledger_events ALTER COLUMN game_version SET DEFAULT 1;

ALTER TABLE an_rollups
    ADD COLUMN game_version integer NOT NULL DEFAULT 0,
    ADD COLUMN channel text NOT NULL DEFAULT '',
    ADD COLUMN capped_win bigint NOT NULL DEFAULT 0,
    ADD COLUMN large_wins bigint NOT NULL DEFAULT 0;
ALTER TABLE an_rollups ALTER COLUMN game_version SET DEFAULT 1;
ALTER TABLE an_rollups DROP CONSTRAINT an_rollups_pkey,
    ADD PRIMARY KEY (operator_id, grain, ts, game_id, stake_level, agent_id, cashier_id, region,
                     is_seeded, game_version, channel);
"""


def upgrade() -> None:
    execute_script(CATALOGUE + ANALYTICS)


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
