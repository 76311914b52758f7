"""The accounts pages: sign-up, login, account and invitations (outside any
company), members and the company's settings (inside one).
"""
