"""Operator analytics: the event stream, rollups, KPIs, RTP monitoring and the back office."""
