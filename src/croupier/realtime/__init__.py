"""Real-time pushes: events written to the outbox in the unit of work, fanned out after commit."""
