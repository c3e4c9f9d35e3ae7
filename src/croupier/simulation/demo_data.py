"""The static demo catalogue: what an operator evaluating Croupier sees after `croupier up`."""

from __future__ import annotations

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - a published demo login, printed by `croupier up`

OPERATORS = [
    {
        "slug": "lucky-star",
        "name": "Lucky Star Casino",
        "currency": "USD",
        "timezone": "America/New_York",
        "mode": "real",
        "settings": {},
    },
    {
        "slug": "royal-malta",
        "name": "Royal Malta",
        "currency": "EUR",
        "timezone": "Europe/Malta",
        "mode": "real",
        "settings": {},
    },
    {
        "slug": "playtime-usa",
        "name": "Playtime USA",
        # Sweepstakes play is in FUN coins (seed 000), never in a real currency.
        "currency": "FUN",
        "timezone": "America/Los_Angeles",
        "mode": "sweepstakes",
        "settings": {},
    },
]

CATEGORIES = [
    ("slots", "Slots", 10),
    ("jackpots", "Jackpot Slots", 20),
    ("new", "New Games", 30),
    ("classics", "Classics", 40),
    ("table-games", "Table Games", 50),
    ("provider-picks", "Jaqpot Games", 60),
]

# Builtin games: several themed releases share one certified maths model, as real studios do.
BUILTIN_GAMES = [
    ("neon-fruits", "neon-fruits", "Neon Fruits", "classics", None),
    ("neon-fruits-deluxe", "neon-fruits", "Neon Fruits Deluxe", "slots", "mega"),
    ("cherry-blaze", "neon-fruits", "Cherry Blaze", "classics", None),
    ("lucky-sevens", "neon-fruits", "Lucky Sevens", "new", None),
    ("pharaoh-gold", "pharaoh-gold", "Pharaoh's Gold", "slots", "mega"),
    ("sphinx-riches", "pharaoh-gold", "Sphinx Riches", "slots", None),
    ("temple-of-ra", "pharaoh-gold", "Temple of Ra", "new", None),
    ("aztec-sun", "pharaoh-gold", "Aztec Sun", "jackpots", "mega"),
    ("dragon-vault", "dragon-vault", "Dragon Vault", "jackpots", "mega"),
    ("jade-emperor", "dragon-vault", "Jade Emperor", "slots", None),
    ("viking-hoard", "dragon-vault", "Viking Hoard", "new", "mega"),
    ("wild-west-gold", "dragon-vault", "Wild West Gold", "slots", None),
]

# Games of the demo provider (seed 003's "Jaqpot Games"), played through /casino callbacks.
PROVIDER_GAMES = [
    ("SLOTS_001", "Jaqpot Classic Reels", "provider-picks", "0.9600", "medium"),
    ("SLOTS_002", "Jaqpot Mega Spin", "provider-picks", "0.9550", "high"),
    ("BLACKJACK_001", "Jaqpot Blackjack", "table-games", "0.9950", "low"),
    ("ROULETTE_001", "Jaqpot European Roulette", "table-games", "0.9730", "medium"),
    ("BACCARAT_001", "Jaqpot Baccarat", "table-games", "0.9894", "low"),
    ("SLOTS_003", "Jaqpot Gold Rush", "provider-picks", "0.9620", "high"),
    ("SLOTS_004", "Jaqpot Candy Pop", "new", "0.9580", "low"),
    ("SLOTS_005", "Jaqpot Deep Sea", "slots", "0.9610", "medium"),
]

JACKPOT_POOLS = [
    # slug, group, name, currency, seed, contribution bp, trigger ppt (per minor unit staked)
    ("mega-usd", "mega", "Mega Jackpot", "USD", 100_000, 50, 200),
    ("mega-eur", "mega", "Mega Jackpot", "EUR", 100_000, 50, 200),
    ("mega-fun", "mega", "Mega FUN Jackpot", "FUN", 100_000, 50, 200),
]

AFFILIATES = [
    # operator slug, code, name, revenue share bp
    ("lucky-star", "topcasinos", "Top Casinos Reviews", 2500),
    ("lucky-star", "slotstreamer", "Slot Streamer Co", 3000),
    ("royal-malta", "maltabets", "Malta Bets Portal", 2500),
]

# Seed 000's shops of the sweepstakes operator: an agent (the shop's owner) and its cashiers.
SWEEPSTAKES_OPERATOR = "playtime-usa"
AGENTS = [
    # code, name, region, initial float (FUN minor units), cashier count
    ("vegas-strip", "Vegas Strip Arcade", "NV", 50_000_000, 2),
    ("sunset-blvd", "Sunset Blvd Games", "CA", 30_000_000, 1),
]

# Platform-wide VIP ladder: (level, name, xp required, cashback bp, free spins, boost bp).
VIP_LEVELS = [
    (0, "Bronze", 0, 0, 0, 0),
    (1, "Silver", 100_000, 200, 10, 500),
    (2, "Gold", 1_000_000, 500, 25, 1000),
    (3, "Platinum", 10_000_000, 800, 50, 1500),
    (4, "Diamond", 50_000_000, 1200, 100, 2500),
]
VIP_FREE_SPIN_GAME = "neon-fruits"
VIP_FREE_SPIN_VALUE = 50

# Bonus rules per operator (codes are what bots and players type in).
BONUS_RULES: dict[str, list[dict[str, object]]] = {
    "lucky-star": [
        {
            "code": "WELCOME100",
            "name": "100% first deposit match",
            "kind": "deposit_match",
            "match_bp": 10_000,
            "max_bonus": 50_000,
            "min_deposit": 1_000,
            "wagering_multiplier": 30,
        },
        {
            "code": "FREESPINS20",
            "name": "20 free spins on Neon Fruits",
            "kind": "free_spins",
            "free_spins": 20,
            "free_spin_game": "neon-fruits",
            "free_spin_value": 50,
            "wagering_multiplier": 20,
        },
        {
            "code": "NODEP5",
            "name": "$5 no-deposit bonus",
            "kind": "no_deposit",
            "bonus_amount": 500,
            "wagering_multiplier": 40,
            "max_conversion": 5_000,
        },
    ],
    "royal-malta": [
        {
            "code": "MALTA50",
            "name": "50% reload bonus",
            "kind": "deposit_match",
            "match_bp": 5_000,
            "max_bonus": 25_000,
            "min_deposit": 2_000,
            "wagering_multiplier": 25,
        },
        {
            "code": "PHARAOH10",
            "name": "10 free spins on Pharaoh's Gold",
            "kind": "free_spins",
            "free_spins": 10,
            "free_spin_game": "pharaoh-gold",
            "free_spin_value": 100,
            "wagering_multiplier": 20,
        },
    ],
    "playtime-usa": [
        {
            "code": "FUNSTART",
            "name": "500 free FUN coins",
            "kind": "no_deposit",
            "bonus_amount": 500,
            "wagering_multiplier": 10,
            "max_conversion": 2_000,
        },
    ],
}
