"""Generated NumPy code: for the shapes of a layer or network, a self-contained module
whose forward and backward passes follow from the core's derivation.

* :mod:`.render`: ``generate`` gives the module source, ``write_module`` writes it atomically;
* :mod:`.checks`: ``check_module`` runs the numeric checks on a generated module file;
* :mod:`.plans`, :mod:`.slices`, :mod:`.printer`: what every layer's planner (in its home,
  ``symconv/layers/*/plan.py``) builds with.

This package file imports nothing, so the layer homes can use the planning modules
without pulling in the machinery.
"""
