"""The casino side's rules, one module per use case."""
