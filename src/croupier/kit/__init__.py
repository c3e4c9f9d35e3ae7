"""Domain-free helpers: errors, SQL building, money, pagination, ids, time."""
