"""The one error type for invalid input."""

from __future__ import annotations


class SpecError(ValueError):
    """Invalid input: the message names the parameter and the rule it breaks.

    Every validation in symconv raises this type, so callers (the CLI above all)
    catch one class and print its message as a single line.
    """

    def __init__(self, parameter: str, rule: str) -> None:
        self.parameter = parameter
        self.rule = rule
        super().__init__(f"{parameter}: {rule}")


class PlanError(RuntimeError):
    """Generated code would disagree with the derivation it comes from.

    Code generation reads every slice, route and coefficient off the core's objects and
    checks it against them; a mismatch raises this (never ``assert``, which ``python -O``
    removes), and no module is written."""


def require(ok: bool, message: str) -> None:
    """Raise :class:`PlanError` with ``message`` unless ``ok``."""
    if not ok:
        raise PlanError(message)
