r"""Indices as people write them: subscripts with index arithmetic, free indices and ranges.

A subscript is read into *groups* (commas separate them):

* digits only (``32``, ``111``): one or more indices, cut where the tensor's shape allows
  one reading only (``w_{31}`` on a 40x40 tensor is (3, 1));
* single letters and digits side by side (``mn``, ``i1``, ``pq``): one index each;
* anything with an operator (``i+m-1``, ``s(p-1)+m``, ``2p-2+r``, ``h_s \cdot p``): one
  index, an integer expression in which juxtaposition multiplies.

Letters are *index variables*: bound by a sum (``\sum_{i}``, ``sum_for``), free (then the
claim is checked for every value in their range), or ``[define]``\ d integers; named
constants (``h_s``, ``p_{top}``) are read inside arithmetic.

Ranges are inferred from the tensors a variable indexes *by itself* (``k_{mn}``: ``m`` runs
over the rows of ``k``); a variable that only appears inside arithmetic needs its range
given (``for = {m = [1, 3]}``, ``\forall 1 \le m \le 3`` or ``\sum_{m=1}^{3}``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from .values import ClaimError

MAX_INDEX_POINTS = 4_096  # index values a claim with free indices is checked at
MAX_SUBSCRIPT_TOKENS = 60


# -- index expressions ---------------------------------------------------------------------
@dataclass(frozen=True)
class Num:
    value: int


@dataclass(frozen=True)
class Var:
    """An index variable (one letter) or a named constant (``h_s``, ``p_top``)."""

    name: str


@dataclass(frozen=True)
class Bin:
    op: str  # "+", "-", "*" or "/"
    left: IndexExpr
    right: IndexExpr


@dataclass(frozen=True)
class Round:
    """``\\lfloor x \\rfloor`` or ``\\lceil x \\rceil`` (``ceil``: ``\\lceil i/2 \\rceil``)."""

    ceil: bool
    item: IndexExpr


IndexExpr = Num | Var | Bin | Round


def names_in(e: IndexExpr) -> set[str]:
    if isinstance(e, Var):
        return {e.name}
    if isinstance(e, Bin):
        return names_in(e.left) | names_in(e.right)
    if isinstance(e, Round):
        return names_in(e.item)
    return set()


def evaluate(e: IndexExpr, env: Mapping[str, int], describe_unknown: str = "") -> int:
    """The integer value of an index expression (a division must come out whole, or be
    rounded with a floor or a ceiling)."""
    value = _value(e, env, describe_unknown)
    if isinstance(value, Fraction):
        if value.denominator != 1:
            raise ClaimError(
                f"the index {show(e)} is {value} here, not an integer; round it: \\lceil {show(e)} \\rceil"
            )
        return int(value)
    return value


def _value(e: IndexExpr, env: Mapping[str, int], unknown: str) -> int | Fraction:
    """Integers, and fractions only where a division makes them."""
    if isinstance(e, Num):
        return e.value
    if isinstance(e, Var):
        value = env.get(e.name)
        if value is None:
            raise ClaimError(unknown or f"the index {e.name} has no value here")
        return value
    if isinstance(e, Round):
        x = _value(e.item, env, unknown)
        return math.ceil(x) if e.ceil else math.floor(x)
    a, b = _value(e.left, env, unknown), _value(e.right, env, unknown)
    if e.op == "/":
        if b == 0:
            raise ClaimError(f"division by zero in the index {show(e)}")
        return Fraction(a) / b
    return a + b if e.op == "+" else a - b if e.op == "-" else a * b


def show(e: IndexExpr) -> str:
    if isinstance(e, Num):
        return str(e.value)
    if isinstance(e, Var):
        return e.name
    if isinstance(e, Round):
        return f"{'ceil' if e.ceil else 'floor'}({show(e.item)})"
    return f"{show(e.left)}{'' if e.op == '*' else e.op}{show(e.right)}"


# -- subscripts ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Digits:
    """A run of digits, read as one or more indices by the tensor's shape."""

    text: str


@dataclass(frozen=True)
class Choice:
    """Letters and digits side by side with a number before a letter (``2m``, ``2pq``): one
    index per character (row 2, column m), or the number times the letter (``2 m``); the
    tensor's shape decides, and a subscript that fits both ways is an error asking for a
    comma or ``\\cdot``."""

    options: tuple[tuple[IndexExpr, ...], ...]


Group = Digits | Choice | tuple[IndexExpr, ...]  # a tuple: one index per item


@dataclass(frozen=True)
class Subscript:
    """A subscript as read: its index groups, and the word it spells when it may be part of
    a name (``n_h``, ``X_{col}``, ``p_{top}``); ``named``: written ``\\mathrm{...}`` or
    ``\\text{...}``, so a name part and never indices."""

    groups: tuple[Group, ...]
    word: str = ""
    named: bool = False
    text: str = ""

    def variables(self) -> set[str]:
        out: set[str] = set()
        for g in self.groups:
            for option in g.options if isinstance(g, Choice) else [] if isinstance(g, Digits) else [g]:
                for e in option:
                    out |= names_in(e)
        return out


_WORD_COMMANDS = ("\\mathrm", "\\text", "\\operatorname", "\\textrm", "\\mathit")
_OPERATORS = ("+", "-", "*", "/", "\\cdot", "\\times", "(", "_", "\\lfloor", "\\lceil")


def parse_subscript(toks: Sequence[str]) -> Subscript:
    """Read the tokens of a subscript (already whitelisted by the LaTeX tokenizer)."""
    text = "".join(toks)
    if len(toks) > MAX_SUBSCRIPT_TOKENS:
        raise ClaimError(
            f"the subscript {{{text[:40]}}} is longer than {MAX_SUBSCRIPT_TOKENS} tokens; "
            "write a shorter index ([define] its pieces)"
        )
    words = _words(list(toks))
    if len(words) == 1 and isinstance(words[0], _Word):
        return Subscript((), words[0].text, True, text)
    groups: list[list[object]] = [[]]
    depth = 0
    for tok in words:
        if tok == "(":
            depth += 1
        elif tok == ")":
            depth -= 1
        if tok == "," and depth == 0:
            groups.append([])
        else:
            groups[-1].append(tok)
    if any(not g for g in groups):
        raise _bad(text, "an empty index")
    out: list[Group] = []
    for g in groups:
        out.append(_group(g, text))
    letters = "".join(t for t in words if isinstance(t, str) and t.isalpha() and len(t) == 1)
    word = letters if len(groups) == 1 and all(isinstance(t, str) and t.isalpha() for t in words) else ""
    return Subscript(tuple(out), word, False, text)


@dataclass(frozen=True)
class _Word:
    text: str


def _words(toks: list[str]) -> list[object]:
    r"""``\text{top}`` and friends as one word; braces dropped (they only group)."""
    out: list[object] = []
    k = 0
    while k < len(toks):
        tok = toks[k]
        if tok in _WORD_COMMANDS:
            if k + 1 >= len(toks) or toks[k + 1] != "{":
                raise ClaimError(f"{tok} in a subscript needs a word in braces, e.g. {tok}{{col}}")
            end = k + 2
            letters = []
            while end < len(toks) and toks[end] != "}":
                if not (toks[end].isalnum() and toks[end].isascii()):
                    raise ClaimError(f"{tok}{{...}} in a subscript holds letters and digits only")
                letters.append(toks[end])
                end += 1
            out.append(_Word("".join(letters)))
            k = end + 1
            continue
        if tok == "_" and k + 1 < len(toks) and toks[k + 1] == "{":  # h_{s}, p_{top}: a constant's name
            end = toks.index("}", k + 2) if "}" in toks[k + 2 :] else len(toks)
            out.extend(["_", _Word("".join(toks[k + 2 : end]))])
            k = end + 1
            continue
        if tok not in ("{", "}"):
            out.append(tok)
        k += 1
    return out


def _group(items: list[object], text: str) -> Group:
    if all(isinstance(t, str) and t.isdigit() for t in items):
        return Digits("".join(items))  # type: ignore[arg-type]
    if any(t in _OPERATORS for t in items if isinstance(t, str)) or any(isinstance(t, _Word) for t in items):
        return (_Arith(items, text).expression_all(),)
    singles: list[IndexExpr] = []
    products: list[IndexExpr] = []  # a number before a letter multiplies it (2m)
    for k, t in enumerate(items):
        if not isinstance(t, str) or not t.isascii():
            raise _bad(text)
        if t.isdigit():
            singles.extend(Num(int(d)) for d in t)
            nxt = items[k + 1] if k + 1 < len(items) else None
            if not (isinstance(nxt, str) and nxt.isalpha()):
                products.extend(Num(int(d)) for d in t)
        elif t.isalpha() and len(t) == 1:
            singles.append(Var(t))
            prev = items[k - 1] if k else None
            products.append(Bin("*", Num(int(prev)), Var(t)) if isinstance(prev, str) and prev.isdigit() else Var(t))
        else:
            raise _bad(text)
    if len(products) != len(singles):
        return Choice((tuple(singles), tuple(products)))
    return tuple(singles)


def _bad(text: str, what: str = "") -> ClaimError:
    detail = f" ({what})" if what else ""
    return ClaimError(
        f"the subscript {{{text}}} cannot be read as indices{detail}: write numbers, index letters "
        "and arithmetic, e.g. a_{32}, k_{mn}, a_{i+m-1,j+n-1} or a_{s(p-1)+m}"
    )


class _Arith:
    """Recursive descent: sums of products; juxtaposition multiplies (``2p``, ``s(p-1)``)."""

    def __init__(self, items: list[object], text: str) -> None:
        self.items = items
        self.pos = 0
        self.text = text

    def peek(self) -> object:
        return self.items[self.pos] if self.pos < len(self.items) else None

    def expression_all(self) -> IndexExpr:
        e = self.expression()
        if self.pos != len(self.items):
            raise _bad(self.text)
        return e

    def expression(self) -> IndexExpr:
        if self.peek() in ("+", "-"):
            sign = self.items[self.pos]
            self.pos += 1
            first = self.product()
            e: IndexExpr = Bin("-", Num(0), first) if sign == "-" else first
        else:
            e = self.product()
        while self.peek() in ("+", "-"):
            op = str(self.items[self.pos])
            self.pos += 1
            e = Bin(op, e, self.product())
        return e

    def product(self) -> IndexExpr:
        e = self.factor()
        while True:
            nxt = self.peek()
            if nxt in ("*", "\\cdot", "\\times", "/"):
                self.pos += 1
                e = Bin("/" if nxt == "/" else "*", e, self.factor())
            elif nxt is not None and nxt not in ("+", "-", ")", "\\rfloor", "\\rceil"):
                e = Bin("*", e, self.factor())  # juxtaposition: 2p, s(p - 1)
            else:
                return e

    def factor(self) -> IndexExpr:
        tok = self.peek()
        if tok is None:
            raise _bad(self.text)
        self.pos += 1
        if tok == "(":
            e = self.expression()
            if self.peek() != ")":
                raise _bad(self.text, "an unclosed parenthesis")
            self.pos += 1
            return e
        if tok in ("\\lfloor", "\\lceil"):
            close = "\\rfloor" if tok == "\\lfloor" else "\\rceil"
            e = self.expression()
            if self.peek() != close:
                raise _bad(self.text, f"an unclosed {tok}")
            self.pos += 1
            return Round(tok == "\\lceil", e)
        if isinstance(tok, _Word):
            return Var(tok.text)
        if isinstance(tok, str) and tok.isdigit():
            return Num(int(tok))
        if isinstance(tok, str) and tok.isalpha() and len(tok) == 1 and tok.isascii():
            if self.peek() == "_":  # a named constant: h_s, p_{top}, w_k
                self.pos += 1
                sub = self.peek()
                self.pos += 1
                if isinstance(sub, _Word):
                    return Var(f"{tok}_{sub.text}")
                if isinstance(sub, str) and sub.isalnum() and sub.isascii():
                    return Var(f"{tok}_{sub}")
                raise _bad(self.text)
            return Var(tok)
        raise _bad(self.text)


# -- readings: which indices, which axes ---------------------------------------------------------
def splits(digits: str, parts: int) -> list[tuple[int, ...]]:
    """Every way to cut ``digits`` into ``parts`` numbers without leading zeros (a lone 0
    is a number: 0-based indices)."""
    if parts == 1:
        ok = digits and (digits[0] != "0" or digits == "0")
        return [(int(digits),)] if ok else []
    out: list[tuple[int, ...]] = []
    for cut in range(1, len(digits) - parts + 2):
        head = digits[:cut]
        if head[0] == "0" and head != "0":
            continue
        out.extend((int(head), *rest) for rest in splits(digits[cut:], parts - 1))
    return out


@dataclass(frozen=True)
class Slot:
    """One index of a reading: its expression (numbers are literal) and whether it came
    from variables (then it may fall outside the tensor: zero, or an error)."""

    expr: IndexExpr

    @property
    def variable(self) -> bool:
        return bool(names_in(self.expr))


def readings(sub: Subscript, count: int) -> list[tuple[Slot, ...]]:
    """Ways to read ``sub`` as ``count`` indices."""
    groups = sub.groups

    def rec(k: int, left: int) -> list[tuple[Slot, ...]]:
        if k == len(groups):
            return [()] if left == 0 else []
        g = groups[k]
        out: list[tuple[Slot, ...]] = []
        if isinstance(g, Digits):
            for n in range(1, min(len(g.text), left) + 1):
                for head in splits(g.text, n):
                    out.extend((*(Slot(Num(h)) for h in head), *rest) for rest in rec(k + 1, left - n))
            return out
        for option in g.options if isinstance(g, Choice) else (g,):
            if len(option) <= left:
                out.extend((*(Slot(e) for e in option), *rest) for rest in rec(k + 1, left - len(option)))
        return out

    return rec(0, count)


@dataclass(frozen=True)
class Reading:
    """A subscript read against a tensor's shape: the slots, and the axes they index
    (``lead`` leading axes of size one left out: a one-channel tensor read as a matrix)."""

    slots: tuple[Slot, ...]
    lead: int
    sizes: tuple[int, ...]

    @property
    def entry(self) -> bool:
        return True if self.lead else len(self.slots) == len(self.sizes)


@functools.lru_cache(maxsize=4096)
def choose(
    sub: Subscript, shape: tuple[int, ...], name: str, base: int, *, prefer_entry: bool, collapse: bool = False
) -> Reading:
    """The one reading of ``sub`` that fits ``shape``: a full entry, a one-channel tensor
    read without its channel (``prefer_entry``; first when the tensor is a single layer's
    one-channel tensor, ``collapse``), or leading indices (a channel's matrix); literal
    numbers must lie in range, variables may not (they are checked when used)."""
    rank = len(shape)
    short: list[tuple[int, int]] = []  # (indices, leading axes left out)
    if prefer_entry:
        short = [(rank - lead, lead) for lead in range(1, rank) if all(n == 1 for n in shape[:lead])]
    counts = [*short, (rank, 0)] if collapse else [(rank, 0), *short]
    counts.extend((c, 0) for c in range(rank - 1, 0, -1))
    seen: set[tuple[int, int]] = set()
    for count, lead in counts:
        if (count, lead) in seen:
            continue
        seen.add((count, lead))
        sizes = shape[lead : lead + count]
        found = [r for r in readings(sub, count) if _fits(r, sizes, base)]
        if len(found) == 1:
            return Reading(found[0], lead, sizes)
        if len(found) > 1:
            shown = " or ".join(f"{name}_{{{','.join(show(s.expr) for s in r)}}}" for r in found[:3])
            dims = "x".join(map(str, shape))
            raise ClaimError(f"{name}_{{{sub.text}}} is ambiguous for a {dims} tensor: write {shown}")
    # nothing fits: one digit per index, so that the range check names the index at fault
    for count, lead in counts:
        for r in readings(sub, count):
            return Reading(r, lead, shape[lead : lead + count])
    raise ClaimError(f"{name}_{{{sub.text}}} names no entry of the {'x'.join(map(str, shape))} tensor {name}")


def _fits(slots: tuple[Slot, ...], sizes: tuple[int, ...], base: int) -> bool:
    for slot, n in zip(slots, sizes, strict=True):
        if not slot.variable:
            value = evaluate(slot.expr, {})
            if not base <= value <= base + n - 1:
                return False
    return True


# -- ranges ------------------------------------------------------------------------------------
@dataclass
class Ranges:
    """Where each index variable appears by itself as an index: ``name -> [(size, tensor)]``."""

    seen: dict[str, list[tuple[int, str]]] = field(default_factory=dict)

    def add(self, name: str, size: int, tensor: str) -> None:
        self.seen.setdefault(name, []).append((size, tensor))


def bare_occurrences(reading: Reading) -> list[tuple[str, int]]:
    """``(variable, axis size)`` for each slot that is a variable by itself."""
    return [(s.expr.name, n) for s, n in zip(reading.slots, reading.sizes, strict=True) if isinstance(s.expr, Var)]


def infer_range(name: str, ranges: Ranges, base: int, how: str) -> tuple[int, int]:
    """The range ``(first, last)`` of index ``name`` from where it indexes a tensor by
    itself; ``how`` says how to give it explicitly (for the error message)."""
    items = ranges.seen.get(name, [])
    sizes = sorted({n for n, _ in items})
    if len(sizes) == 1:
        return base, base + sizes[0] - 1
    if not sizes:
        raise ClaimError(
            f"cannot tell the range of the index {name}: it is never a whole index of a tensor "
            f"(k_{{{name}n}}), only part of one (a_{{i+{name}}}) or of no tensor; {how}"
        )
    shown = ", ".join(f"{base}..{base + n - 1} in {t}" for n, t in _first_per_size(items))
    raise ClaimError(f"the index {name} runs over {shown}: the range is not clear; {how}")


def _first_per_size(items: list[tuple[int, str]]) -> list[tuple[int, str]]:
    out: dict[int, str] = {}
    for n, t in items:
        out.setdefault(n, t)
    return sorted(out.items())


def points(ranges: dict[str, tuple[int, int]]) -> list[dict[str, int]]:
    """Every assignment of the free indices, the first index slowest (lexicographic)."""
    names = list(ranges)
    total = 1
    for lo, hi in ranges.values():
        total *= max(hi - lo + 1, 0)
    if total > MAX_INDEX_POINTS:
        shown = ", ".join(f"{n} = {lo}..{hi}" for n, (lo, hi) in ranges.items())
        raise ClaimError(
            f"the free indices ({shown}) take {total} values together; the limit is {MAX_INDEX_POINTS}: "
            "give smaller ranges with for = {...}"
        )
    out: list[dict[str, int]] = [{}]
    for name in names:
        lo, hi = ranges[name]
        out = [{**p, name: v} for p in out for v in range(lo, hi + 1)]
    return out
