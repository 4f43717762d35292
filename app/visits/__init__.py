"""Class visits (Klassenbesuche): an organiser offers time slots for school classes at a
fair; teachers register classes without an account (double opt-in by a mailed link)."""
