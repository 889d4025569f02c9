"""HTTP routes of the reads: thin wrappers that validate parameters and call the queries."""
