"""The targets pages: the grid (set, split, publish), the metrics and a person's targets."""
