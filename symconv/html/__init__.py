"""Derivations as self-contained HTML pages: the LaTeX documents' sections, worked entries
and remarks in a browser, with MathML math and live SVG pictures.

* :mod:`.page`: ``page`` gives the HTML of a layer or network (deterministic),
  ``write_page`` writes it atomically, ``notebook`` the smaller page Jupyter shows;
* :mod:`.tex`: the LaTeX the document templates produce, read into HTML (text, sections,
  displays, remarks, tables);
* :mod:`.mathml`: LaTeX math to MathML (latex2mathml);
* :mod:`.svg`: the pictures as inline SVG, the window map made live.

No kind is named here: a page is built from the same templates and data as the LaTeX
document, so every kind that has a document has a page.  This package file imports nothing.
"""
