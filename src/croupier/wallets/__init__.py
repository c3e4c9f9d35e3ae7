"""Players' wallets (cash, bonus, coins) on top of the ledger."""
