"""What the evaluation capability does (no request code)."""
