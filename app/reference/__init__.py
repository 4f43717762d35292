"""Reference data of the region: districts, municipalities, industries, occupations."""
