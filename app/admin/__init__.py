"""Admin pages: organisations and users."""
