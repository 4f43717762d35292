"""Booth sign-ups: fair set-up, booth categories, bookings with waitlist, exports, outbox."""
