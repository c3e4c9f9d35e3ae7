"""The double-entry ledger: the only writer of balances (accounts, transfers, entries)."""
