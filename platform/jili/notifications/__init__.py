"""In-app notifications (the bell) and e-mail, queued and retried."""
