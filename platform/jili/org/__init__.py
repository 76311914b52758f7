"""The organisation: teams (region → group), people, and the people import."""
