"""Periods: fiscal years, quarters, months and weeks, and their life
(open → calculated → published → closed).
"""
