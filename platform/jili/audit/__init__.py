"""The audit log: every change and calculation in words a person can read;
append-only.
"""
