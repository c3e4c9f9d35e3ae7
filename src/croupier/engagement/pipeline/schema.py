"""The exact input column sets of the marketing pipeline (seed 004, analytics.md B4.1).

All four files are UTF-8 CSV with a header row. Columns may appear in any order; extra
columns are ignored; a *required* column missing from the header stops the run with a
:class:`~croupier.engagement.pipeline.io.InputSchemaError` (nothing sensible can be
computed). Everything else wrong with a single row - an unparseable date or amount, an
unknown currency, a negative amount, a missing id - sends that row to ``bad_rows.json``
(file, 1-based data row number, reason) and the run goes on without it.

Conventions shared by every file
--------------------------------
* **Timestamps** are ISO 8601: ``2024-11-03T01:30:00-04:00``, ``...Z``, ``...+0000``,
  optional fractional seconds, ``T`` or a space between date and time. A timestamp
  *without* an offset is local time in the row's timezone column (an IANA name such as
  ``America/New_York``); an empty or absent timezone column means UTC. Everything is
  normalised to UTC, microsecond precision. A naive local time that falls in a DST gap is
  a bad row; one in the repeated autumn hour is read as the first (earlier) occurrence.
* **Money** is integer minor units, parsed exactly from text (never through a float).
  Each money field comes as a pair: ``<name>_minor`` (an integer in minor units, e.g.
  ``499``) or ``<name>`` (a decimal string in major units, e.g. ``4.99``). When the
  ``_minor`` cell is non-empty it wins. A decimal with more places than the currency has
  (``4.995`` USD) is a bad row unless the extra digits are zeros.
* **Currency** is an ISO 4217 code (case-insensitive); unknown codes are bad rows.
* **Dates** (``costs_daily.date``, ``sessions.date``) are ``YYYY-MM-DD`` UTC days.

purchases_raw.csv - AppsFlyer raw in-app ``af_purchase`` events (client side)
--------------------------------------------------------------------------------
================  ========  ===============================================================
column            required  meaning
================  ========  ===============================================================
event_id          yes       id of the AppsFlyer event row; a repeated id is a resend
appsflyer_id      yes       device id
customer_user_id  yes       our player id (``= player_id`` on the gateway side)
event_time        yes       purchase time as reported by the SDK
event_tz          no        IANA zone for naive ``event_time`` / ``install_time`` values
revenue           one of    af_revenue, decimal string in major units
revenue_minor     one of    revenue in integer minor units
currency          yes       af_currency
order_id          no        our order / transaction id put into eventValue
media_source      no        empty means ``organic``
campaign          no        empty means ``(none)``
adset             no        empty means ``(none)``
install_time      yes       attributed install time (the ROAS cohort is its UTC date)
================  ========  ===============================================================

confirmed_purchases.csv - the payment gateway (server side, the truth for money)
---------------------------------------------------------------------------------
One row per gateway transaction. Refunds and chargebacks are rows of their own that point
at the payment they reverse, so the payment keeps its ``captured`` status.

===================  ========  =============================================================
column               required  meaning
===================  ========  =============================================================
psp_txn_id           yes       unique gateway transaction id
kind                 no        ``payment`` (default), ``refund`` or ``chargeback``
original_psp_txn_id  reversal  for refunds/chargebacks: the ``psp_txn_id`` reversed
order_id             no        our order id, when the client passed it through
player_id            yes       our player id
amount               one of    decimal string in major units (always positive)
amount_minor         one of    integer minor units (always positive)
currency             yes       ISO 4217; a reversal must use its payment's currency
status               yes       payments: ``captured`` is a match candidate; ``authorized``,
                               ``failed``, ``voided``... are not. Reversals: ``succeeded``
                               (or ``captured``/``completed``/``lost``) moved money
authorized_at        payments  time of truth for the +-10 min window (configurable)
captured_at          no        capture time; a reversal's date is ``captured_at`` else
                               ``authorized_at``
tz                   no        IANA zone for naive timestamps in this row
fx_rate              non-rep.  reporting-currency units per 1 unit of ``currency`` at
                               booking time; required for payments not in the reporting
                               currency (reversals reuse their payment's rate)
===================  ========  =============================================================

costs_daily.csv - ad spend
--------------------------
================  ========  ===============================================================
date              yes       spend day (UTC)
media_source      no        as in purchases_raw
campaign          no        as in purchases_raw
adset             no        as in purchases_raw
spend             one of    decimal string in major units
spend_minor       one of    integer minor units
currency          no        must be the reporting currency when given
================  ========  ===============================================================

Rows with the same (date, media_source, campaign, adset) are summed.

sessions.csv - activity for DAU
-------------------------------
================  ========  ===============================================================
player_id         yes       our player id
session_start     one of    session start timestamp; its UTC date is the active day
date              one of    the active UTC day, for pre-aggregated exports
session_end       no        accepted and ignored (DAU needs only the start)
tz                no        IANA zone for naive timestamps in this row
media_source      no        the player's attribution, when the session source knows it;
campaign          no        otherwise the player's AppsFlyer attribution is used, and
adset             no        a player with neither is ``organic``
================  ========  ===============================================================
"""

from __future__ import annotations

PURCHASES_FILE = "purchases_raw.csv"
GATEWAY_FILE = "confirmed_purchases.csv"
COSTS_FILE = "costs_daily.csv"
SESSIONS_FILE = "sessions.csv"

# required columns, optional columns, and "at least one of" groups per file.
PURCHASES_REQUIRED = (
    "event_id",
    "appsflyer_id",
    "customer_user_id",
    "event_time",
    "currency",
    "install_time",
)
PURCHASES_OPTIONAL = (
    "event_tz",
    "revenue",
    "revenue_minor",
    "order_id",
    "media_source",
    "campaign",
    "adset",
)
PURCHASES_ONE_OF = (("revenue", "revenue_minor"),)

GATEWAY_REQUIRED = ("psp_txn_id", "player_id", "currency", "status", "authorized_at")
GATEWAY_OPTIONAL = (
    "kind",
    "original_psp_txn_id",
    "order_id",
    "amount",
    "amount_minor",
    "captured_at",
    "tz",
    "fx_rate",
)
GATEWAY_ONE_OF = (("amount", "amount_minor"),)

COSTS_REQUIRED = ("date",)
COSTS_OPTIONAL = ("media_source", "campaign", "adset", "spend", "spend_minor", "currency")
COSTS_ONE_OF = (("spend", "spend_minor"),)

SESSIONS_REQUIRED = ("player_id",)
SESSIONS_OPTIONAL = (
    "session_start",
    "session_end",
    "date",
    "tz",
    "media_source",
    "campaign",
    "adset",
)
SESSIONS_ONE_OF = (("session_start", "date"),)

CAMPAIGN_KEY = ("media_source", "campaign", "adset")

KIND_PAYMENT = "payment"
KIND_REFUND = "refund"
KIND_CHARGEBACK = "chargeback"
KINDS = (KIND_PAYMENT, KIND_REFUND, KIND_CHARGEBACK)
