"""Payments: deposits through pluggable providers, signed webhooks, withdrawals with approval."""
