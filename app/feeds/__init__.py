"""iCalendar feeds for schools, teachers and families."""
