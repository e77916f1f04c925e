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
