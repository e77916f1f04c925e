"""symconv.verify (being built)."""
