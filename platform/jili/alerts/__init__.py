"""Progress alerts (yellow, red, threshold rules) and the improvement plans they ask for."""
