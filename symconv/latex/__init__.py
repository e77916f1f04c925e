"""LaTeX derivations for any given shapes: the seed's derivation redone step by step.

* :mod:`.document`: ``document`` gives the standalone ``.tex`` of a layer or network
  (deterministic), ``fragment`` the display math that ``.latex()`` and ``_repr_latex_``
  show in notebooks (MathJax-safe), ``write_document`` writes the ``.tex`` and, if asked,
  the PDF and PNG pages;
* :mod:`.compile`: pdflatex run safely and reproducibly;
* :mod:`.printer`, :mod:`.notation`, :mod:`.layout`, :mod:`.common`: what every layer's
  LaTeX builder (in its home, ``symconv/layers/*/latex.py``) prints with.

Python computes every piece, printing through a SymPy ``LatexPrinter`` subclass; the Jinja
templates in ``templates/latex/`` lay them out.  This package file imports nothing, so the
layer homes can use the printing modules without pulling in the document machinery.
"""
