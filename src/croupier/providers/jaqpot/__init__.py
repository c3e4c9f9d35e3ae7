"""Jaqpot Games: seed 003's demo provider, an outside party that shares only the process.

It owns the ``provider_*`` tables and reaches the casino only through signed HTTP.
"""
