"""Typed settings and their loader."""

from kgmed.config.settings import Settings, load_settings

__all__ = ["Settings", "load_settings"]
