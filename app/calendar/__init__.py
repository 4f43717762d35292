"""The calendar: events, venues, the public calendar and organiser editing."""
