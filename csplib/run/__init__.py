"""Layer 7, running: the notebook context, the runner and the command line (``csp``)."""
