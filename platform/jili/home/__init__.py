"""Home pages per role (staff, manager, admin / hr) and linking logins to people."""
