"""Appeals and pay inquiries: named cases about a score, a statement line or a missing deal credit."""
