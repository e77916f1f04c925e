"""Jinja templates, shipped inside the package as ``symconv.templates``."""
