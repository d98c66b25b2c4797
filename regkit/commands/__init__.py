"""Command-line areas of ``regkit`` that are not tied to one module."""
