"""Claims files shipped with symconv (the seed audit)."""
