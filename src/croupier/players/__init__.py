"""Players: the operator's view of its player accounts."""
