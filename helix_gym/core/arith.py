"""Safe exact arithmetic on what a model writes: integer literals, + - × ÷, parentheses. Never evaluates code.

A small tokenizer and recursive-descent parser turn text such as `8 ÷ (3 - 8/3)` into a tree of `Num` and
`BinOp` nodes; `evaluate` computes its value exactly with `Fraction`. The notation is lenient (`*`, `x`,
`×`, `·`, `\\times`, `\\cdot` for times; `/`, `÷`, `\\div`, `\\frac` for division; `[]` and `{}` as brackets;
the words plus, minus, times, divided by; implicit multiplication next to a bracket, `3(9 - 1)`), and
strict about what is not arithmetic on whole numbers: decimal points, leading zeros, `**`, `^`, `//`,
unary minus (unless asked for) and any other symbol are errors that say what is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from helix_gym.core.parse import clean_latex

MAX_TOKENS = 256  # longer inputs are rejected, which bounds the recursion depth of parse/evaluate
MAX_DIGITS = 40
OPS = ("+", "-", "*", "/")
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}
_GLYPH = {"+": "+", "-": "-", "*": "×", "/": "÷"}
_CLOSE = {"(": ")", "[": "]", "{": "}"}

_TOKEN = re.compile(
    r"(?P<space>\s+)"
    r"|(?P<num>[0-9]+(?:\.[0-9]+)?)"
    r"|(?P<bad>\*\*|//|\^)"
    r"|(?P<op>[-+*/×÷xX·⋅∗−–—∕])"
    r"|(?P<word>divided\s+by|multiplied\s+by|[A-Za-z_]+)"
    r"|(?P<open>[(\[{])"
    r"|(?P<close>[)\]}])"
    r"|(?P<other>.)",
    re.S,
)
_OP_SYMBOL = {"+": "+", "-": "-", "−": "-", "–": "-", "—": "-", "*": "*", "×": "*", "x": "*", "X": "*",
              "·": "*", "⋅": "*", "∗": "*", "/": "/", "÷": "/", "∕": "/"}
_OP_WORD = {"plus": "+", "minus": "-", "times": "*", "mul": "*", "div": "/", "over": "/"}
_BAD = {"**": "`**` (powers) is not allowed", "^": "`^` (powers) is not allowed",
        "//": "`//` (floor division) is not allowed"}
_FRAC = re.compile(r"\\frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_LATEX_EXTRA = ((r"\dfrac", r"\frac"), (r"\tfrac", r"\frac"), (r"\ast", "*"), (r"\(", ""), (r"\)", ""),
                (r"\[", ""), (r"\]", ""), (r"\bigl", ""), (r"\bigr", ""), (r"\Bigl", ""), (r"\Bigr", ""),
                (r"\biggl", ""), (r"\biggr", ""), (r"\bigg", ""), (r"\big", ""), (r"\Big", ""))


class ArithError(ValueError):
    """Text that is not a well-formed expression, or a division by zero; the message says why, in words."""


@dataclass(frozen=True)
class Num:
    value: int


@dataclass(frozen=True)
class BinOp:
    op: str  # one of OPS
    left: Node
    right: Node


@dataclass(frozen=True)
class Neg:
    """Unary minus; only produced when `parse(..., allow_unary=True)`."""

    operand: Node


Node = Num | BinOp | Neg


@dataclass(frozen=True)
class Token:
    kind: str  # num | op | open | close
    text: str  # the canonical symbol (`*` for `×`) or the digits


def normalize(text: str) -> str:
    """LaTeX to plain symbols (`\\times`, `\\div`, nested `\\frac{a}{b}`, `\\left(`, `$`, `\\( \\)`...), and
    no sentence-ending period."""
    text = str(text)
    if "\\" in text:
        for src, dst in _LATEX_EXTRA:
            text = text.replace(src, dst)
        for _ in range(8):  # innermost \frac first, so nested fractions unfold too
            text, count = _FRAC.subn(r"(\1)/(\2)", text)
            if not count:
                break
    return clean_latex(text).rstrip(" .")


def tokenize(text: str) -> list[Token]:
    """The tokens of `text` (already normalised); raises ArithError on anything that is not arithmetic."""
    tokens: list[Token] = []
    for match in _TOKEN.finditer(text):
        kind, value = match.lastgroup, match.group()
        if kind == "space":
            continue
        if kind == "num":
            if "." in value:
                raise ArithError(f"{value} is not a whole number (decimal points are not allowed)")
            if len(value) > MAX_DIGITS:
                raise ArithError(f"the number {value[:12]}... is too long")
            if len(value) > 1 and value[0] == "0":
                raise ArithError(f"{value} has a leading zero; write whole numbers plainly")
            tokens.append(Token("num", value))
        elif kind == "op":
            tokens.append(Token("op", _OP_SYMBOL[value]))
        elif kind == "word":
            word = " ".join(value.lower().split())
            symbol = {"divided by": "/", "multiplied by": "*"}.get(word) or _OP_WORD.get(word)
            if symbol is None:
                raise ArithError(f"unknown word {value!r} (only numbers, + - × ÷ and brackets are allowed)")
            tokens.append(Token("op", symbol))
        elif kind in ("open", "close"):
            tokens.append(Token(kind, value))
        elif kind == "bad":
            raise ArithError(_BAD[value])
        elif value == ".":
            raise ArithError("a decimal point is not allowed (only whole numbers)")
        else:
            raise ArithError(f"unknown symbol {value!r} (only numbers, + - × ÷ and brackets are allowed)")
        if len(tokens) > MAX_TOKENS:
            raise ArithError(f"the expression is too long (more than {MAX_TOKENS} symbols)")
    return tokens


class _Parser:
    """expr := term (('+'|'-') term)* ; term := factor (('*'|'/')? factor)* ; factor := NUM | '(' expr ')'."""

    def __init__(self, tokens: list[Token], allow_unary: bool, implicit_mul: bool) -> None:
        self.tokens, self.pos = tokens, 0
        self.allow_unary, self.implicit_mul = allow_unary, implicit_mul

    def peek(self) -> Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def parse(self) -> Node:
        if not self.tokens:
            raise ArithError("the expression is empty")
        node = self.expr()
        extra = self.peek()
        if extra is not None:
            if extra.kind == "close":
                raise ArithError(f"unmatched closing bracket {extra.text!r}")
            raise ArithError(f"unexpected {extra.text!r} after a complete expression")
        return node

    def expr(self) -> Node:
        node = self.term()
        while (tok := self.peek()) is not None and tok.kind == "op" and tok.text in "+-":
            self.pos += 1
            node = BinOp(tok.text, node, self.term())
        return node

    def term(self) -> Node:
        node = self.factor()
        while (tok := self.peek()) is not None:
            if tok.kind == "op" and tok.text in "*/":
                self.pos += 1
                node = BinOp(tok.text, node, self.factor())
            elif tok.kind in ("num", "open"):
                prev = self.tokens[self.pos - 1]
                if not self.implicit_mul or (tok.kind == "num" and prev.kind == "num"):
                    raise ArithError(f"missing operator between {prev.text} and {tok.text}")
                node = BinOp("*", node, self.factor())  # 3(9 - 1), (1 + 2)(3 + 5), (9 - 1)3
            else:
                break
        return node

    def factor(self) -> Node:
        tok = self.peek()
        if tok is None:
            last = self.tokens[-1].text
            raise ArithError(f"the expression ends after {last!r}; an operand is missing")
        self.pos += 1
        if tok.kind == "num":
            return Num(int(tok.text))
        if tok.kind == "open":
            inner = self.expr()
            close = self.peek()
            if close is None:
                raise ArithError(f"bracket {tok.text!r} is never closed")
            if close.kind != "close":
                raise ArithError(f"unexpected {close.text!r} inside brackets")
            if close.text != _CLOSE[tok.text]:
                raise ArithError(f"bracket {tok.text!r} is closed by {close.text!r}")
            self.pos += 1
            return inner
        if tok.kind == "op" and tok.text in "+-":
            if not self.allow_unary:
                raise ArithError(f"unary {'minus' if tok.text == '-' else 'plus'} is not allowed: every "
                                 f"{tok.text} must stand between two operands")
            operand = self.factor()
            return Neg(operand) if tok.text == "-" else operand
        if tok.kind == "close":
            raise ArithError(f"unexpected closing bracket {tok.text!r} where a number is expected")
        raise ArithError(f"operator {_GLYPH.get(tok.text, tok.text)!r} has no left operand")


def parse(text: str, allow_unary: bool = False, implicit_mul: bool = True) -> Node:
    """The expression tree of `text` (LaTeX and glyphs normalised first); raises ArithError when malformed."""
    return _Parser(tokenize(normalize(text)), allow_unary, implicit_mul).parse()


def evaluate(node: Node) -> Fraction:
    """The exact value of `node`; raises ArithError on a division by zero (naming the divisor)."""
    if isinstance(node, Num):
        return Fraction(node.value)
    if isinstance(node, Neg):
        return -evaluate(node.operand)
    left, right = evaluate(node.left), evaluate(node.right)
    if node.op == "+":
        return left + right
    if node.op == "-":
        return left - right
    if node.op == "*":
        return left * right
    if right == 0:
        raise ArithError(f"division by zero: {to_text(node.right)} is 0")
    return left / right


def evaluate_text(text: str, allow_unary: bool = False) -> Fraction:
    """parse + evaluate in one call."""
    return evaluate(parse(text, allow_unary=allow_unary))


def literals(node: Node) -> list[int]:
    """The integer literals of `node`, left to right."""
    if isinstance(node, Num):
        return [node.value]
    if isinstance(node, Neg):
        return literals(node.operand)
    return literals(node.left) + literals(node.right)


def needs_brackets(child_op: str | None, op: str, side: str) -> bool:
    """Whether an operand whose top operator is `child_op` (None: a number) must be bracketed as the
    `side` ("left"/"right") operand of `op` to keep its value: `(1 + 2) × 3`, `8 - (3 - 1)`, `8 ÷ (2 × 2)`."""
    if child_op is None:
        return False
    inner, outer = _PRECEDENCE[child_op], _PRECEDENCE[op]
    return inner < outer or (side == "right" and inner == outer and op in "-/")


def _top_op(node: Node) -> str | None:
    return node.op if isinstance(node, BinOp) else None


def to_text(node: Node, glyphs: bool = True) -> str:
    """`node` written with spaces around operators and the fewest brackets (× ÷ glyphs unless glyphs=False)."""
    if isinstance(node, Num):
        return str(node.value)
    if isinstance(node, Neg):
        inner = to_text(node.operand, glyphs)
        return f"-{inner}" if isinstance(node.operand, Num) else f"-({inner})"
    parts = []
    for side, child in (("left", node.left), ("right", node.right)):
        text = to_text(child, glyphs)
        bracket = (side == "right") if isinstance(child, Neg) else needs_brackets(_top_op(child), node.op, side)
        parts.append(f"({text})" if bracket else text)
    symbol = _GLYPH[node.op] if glyphs else node.op
    return f"{parts[0]} {symbol} {parts[1]}"


def fraction_text(value: Fraction) -> str:
    """`24`, `3/4`, `-7/2`: a rational as a/b, integers bare."""
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
