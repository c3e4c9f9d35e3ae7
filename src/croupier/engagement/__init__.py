"""Player engagement and marketing analytics (seed 004): the CSV-in, reports-out pipeline."""
