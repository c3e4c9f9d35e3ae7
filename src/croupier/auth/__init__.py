"""Authentication: players and staff, server-side sessions, roles and the caller's scope."""
