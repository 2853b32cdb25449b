"""Fit and evaluate loops for kgmed's models (torch lives here and in the model modules)."""
