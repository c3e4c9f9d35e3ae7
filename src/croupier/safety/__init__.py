"""Player safety: risk scoring on every spin, responsible-gambling tools, and the operator's
cases (seed 000 PSE; rules in shared/reference/player-safety.md). It never changes an outcome."""
