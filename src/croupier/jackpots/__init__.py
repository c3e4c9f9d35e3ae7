"""Progressive jackpot pools shared by every operator."""
