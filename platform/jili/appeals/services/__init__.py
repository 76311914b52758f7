"""What the appeals capability does: raising and answering cases, deciding them, corrections."""
