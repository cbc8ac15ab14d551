"""Layer 6, presentation: charts, disclosure control (one suppression path and the
record-level scan), HTML and the page templates."""
