"""Target adjustment requests: ask, review, approve; the target and its letter follow."""
