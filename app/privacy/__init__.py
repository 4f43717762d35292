"""Personal data: a user's own data as JSON and deleting an account.

It sits above ``booths``, ``clashes`` and ``planning`` (and below ``public``), because the
export reads bookings, clash notes and event history, which live there.
"""
