"""Background jobs (huey): calculations, imports, exports and mail run outside the web request."""
