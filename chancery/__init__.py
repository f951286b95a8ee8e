"""Chancery: full-text search over diplomatic and international news."""
__version__ = "0.2.0"
