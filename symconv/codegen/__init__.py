"""symconv.codegen (being built)."""
