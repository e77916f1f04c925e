"""symconv.latex (being built)."""
