"""VIP: experience from wagers and deposits, levels and their rewards."""
