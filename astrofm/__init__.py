"""``python -m astrofm``: a thin command-line front for astrokeras and its recipes."""
