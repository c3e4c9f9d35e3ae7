"""Bonuses: rules, grants with wagering requirements (BonusTask), conversion and forfeiture."""
