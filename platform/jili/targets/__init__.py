"""Targets as a process: metrics, the grid, splits, publication and progress."""
