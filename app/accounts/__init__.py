"""Accounts: users, organisations, member companies, login and API tokens."""
