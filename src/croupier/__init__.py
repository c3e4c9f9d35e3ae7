"""Croupier: a multi-operator online casino platform backend."""

__version__ = "0.1.0"
