"""Operators (casino brands), their agents and staff."""
