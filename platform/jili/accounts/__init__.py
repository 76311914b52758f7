"""Accounts: companies (tenants), users, memberships and roles, invitations,
sign-up and login, the company's settings.
"""
