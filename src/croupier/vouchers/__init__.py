"""Sweepstakes mode (seed 000): agents and cashiers, their floats, vouchers with a 50% bonus,
ephemeral players who redeem them, the 1.00 FUN bonus trigger, and cash-outs paid by the shop."""
