"""What the home pages show, computed from the data: no request code here."""
