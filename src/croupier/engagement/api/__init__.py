"""Seed 004's engagement API: guest login, coins, events, attribution, pipeline jobs.

Mount :data:`croupier.engagement.api.endpoints.router` under ``/api/v1``.
"""
