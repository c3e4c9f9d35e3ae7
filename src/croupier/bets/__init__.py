"""Bets: the spin flow, the bet log and provably-fair seeds."""
