"""Evaluation (issue 14): the KPI library, KPI sets per level, scorecards, ratings."""
