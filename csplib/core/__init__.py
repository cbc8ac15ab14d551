"""Layer 1, the core: errors, the data schema (every column, category and label, defined
once), periods and provenance. Imports nothing else from csplib."""
