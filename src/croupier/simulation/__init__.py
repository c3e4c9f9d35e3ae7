"""Demo data: the static seed, bot players and the activity simulator."""
