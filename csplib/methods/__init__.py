"""Layer 4, the methods: pure analysis on tidy tables (models, change, measures and targets,
volume, harm, risk, places and hotspots, themes, scoring). No parameters files and no chapter
ids: every setting is an argument."""
