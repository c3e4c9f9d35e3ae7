"""Sample players and purchases as numpy arrays, with the reconciliation scenario per row.

A purchase's *scenario* decides how its AppsFlyer and gateway rows will differ, so the
expected outcome of every purchase is known by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from . import sample_format as f

# media_source, campaign, adset, share of players, cost per *paying* install (USD).
CAMPAIGNS = (
    ("googleadwords_int", "uac_install_us", "ag_broad", 0.20, 170.0),
    ("googleadwords_int", "uac_roas_eu", "ag_value", 0.10, 210.0),
    ("Facebook Ads", "fb_aeo_purchase_us", "lal_1pct", 0.14, 190.0),
    ("Facebook Ads", "fb_aeo_purchase_us", "broad_25_44", 0.10, 230.0),
    ("Facebook Ads", "fb_retarget_lapsed", "custom_aud", 0.06, 120.0),
    ("applovin_int", "al_roas_global", "default", 0.12, 160.0),
    ("unityads_int", "unity_cpi_tier1", "video", 0.08, 260.0),
    ("tiktokglobal_int", "tt_spark_gb", "creators", 0.08, 240.0),
)
ORGANIC_SHARE = 0.12
ORGANIC = len(CAMPAIGNS)  # campaign index of organic players
# Weekly seasonality of installs, Monday first: weekends bring more players.
INSTALL_WEEKDAY = (0.90, 0.88, 0.90, 0.95, 1.08, 1.28, 1.22)

NORMAL, AF_ONLY, LATE_IN, LATE_OUT, CURRENCY_TRAP = 0, 1, 2, 3, 4
AMOUNT_MISMATCH, FUZZY_AMOUNT, BURST, DST_NIGHT = 5, 6, 7, 8
# scenario -> share of base purchases (bursts and the DST night are added separately)
SCENARIO_SHARES = (
    (AF_ONLY, 0.03),
    (LATE_IN, 0.012),
    (LATE_OUT, 0.012),
    (CURRENCY_TRAP, 0.003),
    (AMOUNT_MISMATCH, 0.005),
    (FUZZY_AMOUNT, 0.01),
)
TRAP_CURRENCY = {"USD": "EUR", "EUR": "USD", "GBP": "EUR", "JPY": "USD", "CAD": "USD", "KWD": "USD"}


@dataclass(slots=True)
class Players:
    camp: np.ndarray  # campaign index, ORGANIC for organic
    install_t: np.ndarray  # epoch us
    region: np.ndarray  # sample_format.REGION_*
    cur: np.ndarray  # index into sample_format.CURRENCIES


@dataclass(slots=True)
class Purchases:
    player: np.ndarray
    t: np.ndarray  # AppsFlyer event time, epoch us (whole seconds)
    scenario: np.ndarray
    af_cur: np.ndarray
    af_amount: np.ndarray
    pg_cur: np.ndarray
    pg_amount: np.ndarray
    lag: np.ndarray  # gateway authorized_at - AppsFlyer time, us
    af_order: np.ndarray  # bool: the AppsFlyer row carries the order id
    pg_order: np.ndarray  # bool: the gateway row carries it


def campaign_columns(camp: pl.Expr) -> list[pl.Expr]:
    """media_source / campaign / adset text for a campaign index (organic: empty)."""
    out = []
    for i, name in enumerate(("media_source", "campaign", "adset")):
        mapping = {k: c[i] for k, c in enumerate(CAMPAIGNS)}
        out.append(camp.replace_strict(mapping, default=None, return_dtype=pl.String).alias(name))
    return out


def make_players(rng: np.random.Generator, n: int) -> Players:
    """Paying players with an attributed install, a region and a store currency."""
    shares = np.array([c[3] for c in CAMPAIGNS] + [ORGANIC_SHARE])
    camp = rng.choice(len(shares), size=n, p=shares / shares.sum())
    weekday = (np.arange(f.FULL_DAYS) + f.START.weekday()) % 7
    day_weight = np.array(INSTALL_WEEKDAY)[weekday]
    day = rng.choice(f.FULL_DAYS, size=n, p=day_weight / day_weight.sum())
    install_t = f.START_US + day * f.DAY_US + rng.integers(0, 86_400, n) * f.US
    region = rng.choice(3, size=n, p=[0.70, 0.15, 0.15])
    local = rng.choice(len(f.CURRENCIES), size=n, p=[0.45, 0.35, 0.0, 0.08, 0.07, 0.05])
    cur = np.where(region == f.REGION_NY, 0, np.where(region == f.REGION_LONDON, 2, local))
    return Players(camp=camp, install_t=install_t, region=region, cur=cur)


def _delays(rng: np.random.Generator, n: int) -> np.ndarray:
    """Time from install to purchase: 45 % in the first two days, the rest spread out."""
    early = rng.random(n) < 0.45
    delay = np.where(early, rng.random(n) * 2 * f.DAY_US, rng.exponential(12 * f.DAY_US, n))
    return delay.astype(np.int64)


def _players_and_times(
    rng: np.random.Generator, players: Players, weights: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Purchases that would fall after the data ends are given to other players.

    Folding them back into the window instead would inflate the newest cohorts' ROAS.
    """
    player = rng.choice(len(weights), size=n, p=weights)
    t = players.install_t[player] + _delays(rng, n)
    for _ in range(20):
        late = np.flatnonzero(t >= f.END_US)
        if not len(late):
            break
        player[late] = rng.choice(len(weights), size=len(late), p=weights)
        t[late] = players.install_t[player[late]] + _delays(rng, len(late))
    late = t >= f.END_US  # the few left after 20 draws: the last minutes of the data
    t[late] = f.END_US - rng.integers(1, 600, late.sum()) * f.US
    return player, t // f.US * f.US


def make_purchases(rng: np.random.Generator, players: Players, n: int) -> Purchases:
    """``n`` AppsFlyer-visible purchases and how each will appear at the gateway."""
    activity = rng.lognormal(0.0, 0.7, len(players.camp))  # spenders vary, no extreme whales
    n_burst = max(1, round(n * 0.01))
    base = n - n_burst
    player, t = _players_and_times(rng, players, activity / activity.sum(), base)
    t[-1] = f.END_US - 3600 * f.US  # someone always buys on the partial day
    player[-1] = int(np.argmin(players.install_t))
    scenario = np.zeros(base, dtype=np.int8)
    chosen = rng.permutation(base)
    start = 0
    for value, share in SCENARIO_SHARES:
        k = max(1, round(base * share))
        scenario[chosen[start : start + k]] = value
        start += k
    _dst_night(rng, players, player, t, scenario)
    # Bursts: the same product bought again three minutes later, no order ids anywhere.
    src = rng.choice(np.flatnonzero(scenario == NORMAL), size=n_burst, replace=False)
    scenario[src] = BURST
    player = np.concatenate([player, player[src]])
    t = np.concatenate([t, t[src] + 180 * f.US])
    scenario = np.concatenate([scenario, np.full(n_burst, BURST, dtype=np.int8)])
    product = rng.choice(7, size=len(t), p=f.PRICE_WEIGHTS)
    product[base:] = product[src]
    return _money_and_keys(rng, players, player, t, scenario, product)


def _dst_night(rng, players: Players, player: np.ndarray, t: np.ndarray, scenario) -> None:
    """Move a few New York purchases to within 8 minutes of the 2024-11-03 fall-back."""
    fall_back = f.NY_DST_NIGHT_US[0] + 3600 * f.US  # 06:00 UTC = 02:00 EDT -> 01:00 EST
    ok = (players.region[player] == f.REGION_NY) & (
        players.install_t[player] < fall_back - 600 * f.US
    )
    ok &= scenario == NORMAL
    rows = np.flatnonzero(ok)
    rows = rng.choice(rows, size=min(len(rows), max(4, len(t) // 250)), replace=False)
    t[rows] = fall_back + rng.integers(-480, 481, len(rows)) * f.US
    scenario[rows] = DST_NIGHT


def _money_and_keys(rng, players: Players, player, t, scenario, product) -> Purchases:
    n = len(t)
    prices = f.price_table()
    af_cur = players.cur[player]
    pg_amount = prices[af_cur, product]
    af_amount = pg_amount.copy()
    pg_cur = af_cur.copy()
    fuzzy = scenario == FUZZY_AMOUNT  # the client rounded: one minor unit or ~0.3 % off
    af_amount[fuzzy] = pg_amount[fuzzy] - np.maximum(1, pg_amount[fuzzy] * 3 // 1000)
    wrong = scenario == AMOUNT_MISMATCH  # a stale price in the client
    pg_amount[wrong] = prices[af_cur[wrong], np.minimum(product[wrong] + 1, 6)] + 100
    trap = scenario == CURRENCY_TRAP
    index = {c: i for i, c in enumerate(f.CURRENCIES)}
    swap = np.array([index[TRAP_CURRENCY[c]] for c in f.CURRENCIES])
    pg_cur[trap] = swap[af_cur[trap]]
    lag = np.clip(rng.normal(15, 20, n), -60, 120) * f.US
    lag = lag.astype(np.int64) // 1000 * 1000  # gateway clocks have milliseconds
    late_in = scenario == LATE_IN
    lag[late_in] = rng.integers(540, 601, late_in.sum()) * f.US
    lag[late_in & (rng.random(n) < 0.2)] = 600 * f.US  # exactly on the inclusive edge
    late_out = scenario == LATE_OUT
    lag[late_out] = rng.integers(601, 721, late_out.sum()) * f.US
    dst = scenario == DST_NIGHT
    lag[dst] = rng.integers(-300, 301, dst.sum()) * f.US
    burst = scenario == BURST
    lag[burst] = rng.integers(2, 30, burst.sum()) * f.US
    keyless = np.isin(scenario, [LATE_IN, LATE_OUT, CURRENCY_TRAP, FUZZY_AMOUNT, BURST, DST_NIGHT])
    af_order = (rng.random(n) < 0.8) & ~keyless
    pg_order = ((rng.random(n) < 0.92) & ~keyless) | wrong
    af_order |= wrong
    return Purchases(
        player, t, scenario, af_cur, af_amount, pg_cur, pg_amount, lag, af_order, pg_order
    )
