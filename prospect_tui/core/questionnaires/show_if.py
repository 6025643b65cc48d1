"""The `show_if` conditions: a tokenizer and a recursive-descent parser over a fixed grammar.

Never `eval`: only literals, earlier question ids, comparisons, `in`, `not in`, `and`, `or`,
`not` and brackets exist, so a condition can read answers and do nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

# What an answer is for a condition: a code, a number, the codes of a multi, or None when
# the question was not answered (skipped, missing code, not shown).
Value = str | float | tuple[str, ...] | None

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<number>-?\d+(?:\.\d+)?)
    | (?P<string>'[^'\\\n]*'|"[^"\\\n]*")
    | (?P<name>[a-z][a-z0-9_]*)
    | (?P<op>==|!=|<=|>=|<|>|\(|\)|\[|\]|,)
    )""",
    re.VERBOSE,
)
_BLANK = re.compile(r"\s*\Z")
KEYWORDS = frozenset({"and", "or", "not", "in"})
# How deep `not`, brackets and lists may nest: the parser and `evaluate` recurse once per
# level, and thousands of levels would exhaust Python's stack (a RecursionError).
MAX_NESTING = 32
COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">="})


class ShowIfError(ValueError):
    """A condition that does not follow the grammar, or names a question it may not read."""


@dataclass(frozen=True)
class Token:
    kind: str  # number, string, name, op, keyword
    text: str
    at: int


@dataclass(frozen=True)
class Literal:
    value: str | float


@dataclass(frozen=True)
class ListOf:
    items: tuple[Literal, ...]


@dataclass(frozen=True)
class Ref:
    question: str


@dataclass(frozen=True)
class Compare:
    op: str  # a comparison, "in" or "not in"
    left: Operand
    right: Operand


@dataclass(frozen=True)
class Not:
    operand: Condition


@dataclass(frozen=True)
class Both:
    """A chain `a and b and c` as one node: however long, it adds one level, not one each."""

    op: str  # "and" or "or"
    parts: tuple[Condition, ...]


Operand = Literal | ListOf | Ref
Condition = Compare | Not | Both


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    at = 0
    while at < len(text):
        if _BLANK.match(text, at):
            break
        found = _TOKEN.match(text, at)
        if found is None or found.end() == at:
            rest = text[at:].lstrip()
            column = len(text) - len(rest) + 1
            raise ShowIfError(f"unexpected {rest[:1]!r} at column {column}")
        kind = found.lastgroup or ""
        word, start = found.group(kind), found.start(kind)
        if kind == "name" and word in KEYWORDS:
            kind = "keyword"
        tokens.append(Token(kind, word, start + 1))
        at = found.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.position = 0
        self.nesting = 0

    def peek(self, offset: int = 0) -> Token | None:
        index = self.position + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise ShowIfError("the condition ends too early")
        self.position += 1
        return token

    def expect(self, text: str) -> None:
        token = self.take()
        if token.text != text:
            raise ShowIfError(f"expected {text!r} at column {token.at}, found {token.text!r}")

    def at(self, text: str, offset: int = 0) -> bool:
        token = self.peek(offset)
        return token is not None and token.kind in ("op", "keyword") and token.text == text

    def deeper(self, token: Token) -> None:
        """Enter one more level of `not`, brackets or list, refused beyond MAX_NESTING."""
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise ShowIfError(
                f"nested more than {MAX_NESTING} levels deep (not, brackets) at column {token.at}"
            )

    def condition(self) -> Condition:
        parts = [self.conjunction()]
        while self.at("or"):
            self.take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else Both("or", tuple(parts))

    def conjunction(self) -> Condition:
        parts = [self.negation()]
        while self.at("and"):
            self.take()
            parts.append(self.negation())
        return parts[0] if len(parts) == 1 else Both("and", tuple(parts))

    def negation(self) -> Condition:
        if self.at("not"):
            self.deeper(self.take())
            negated = Not(self.negation())
            self.nesting -= 1
            return negated
        if self.at("("):  # brackets group conditions; a list of literals only follows `in`
            self.deeper(self.take())
            inner = self.condition()
            self.expect(")")
            self.nesting -= 1
            return inner
        return self.comparison()

    def comparison(self) -> Compare:
        left = self.operand()
        token = self.take()
        if token.kind == "op" and token.text in COMPARISONS:
            return Compare(token.text, left, self.operand())
        if token.text == "in":
            return Compare("in", left, self.operand())
        if token.text == "not" and self.at("in"):
            self.take()
            return Compare("not in", left, self.operand())
        raise ShowIfError(f"expected a comparison at column {token.at}, found {token.text!r}")

    def operand(self) -> Operand:
        token = self.take()
        if token.kind == "number":
            return Literal(float(token.text))
        if token.kind == "string":
            return Literal(token.text[1:-1])
        if token.kind == "name":
            return Ref(token.text)
        if token.text in ("[", "("):
            closing = "]" if token.text == "[" else ")"
            self.deeper(token)
            items: list[Literal] = []
            while not self.at(closing):
                item = self.operand()
                if not isinstance(item, Literal):
                    raise ShowIfError(f"a list holds only literals (column {token.at})")
                items.append(item)
                if not self.at(closing):
                    self.expect(",")
            self.take()
            self.nesting -= 1
            return ListOf(tuple(items))
        raise ShowIfError(f"unexpected {token.text!r} at column {token.at}")


def parse_condition(text: str) -> Condition:
    """The condition tree of `text`; ShowIfError says what is wrong and where."""
    if not text.strip():
        raise ShowIfError("empty condition")
    parser = _Parser(text)
    tree = parser.condition()
    extra = parser.peek()
    if extra is not None:
        raise ShowIfError(f"unexpected {extra.text!r} at column {extra.at}")
    return tree


def references(tree: Condition | Operand) -> list[str]:
    """The question ids a condition reads, in order."""
    if isinstance(tree, Ref):
        return [tree.question]
    if isinstance(tree, Compare):
        return references(tree.left) + references(tree.right)
    if isinstance(tree, Not):
        return references(tree.operand)
    if isinstance(tree, Both):
        return [name for part in tree.parts for name in references(part)]
    return []


def _value(operand: Operand, answers: Mapping[str, Value]) -> Value | list[str | float]:
    if isinstance(operand, Literal):
        return operand.value
    if isinstance(operand, ListOf):
        return [item.value for item in operand.items]
    return answers.get(operand.question)


def _compare(op: str, left: object, right: object) -> bool:
    # An unanswered question satisfies no comparison: "shown if x == 1" stays hidden, and so
    # does "shown if x != 1", until x has an answer.
    if left is None or right is None:
        return False
    if op in ("in", "not in"):
        if not isinstance(right, list | tuple):
            return False
        if isinstance(left, tuple):  # a multi: any of its codes
            found = bool(set(left) & set(right))
        else:
            found = left in right
        return found if op == "in" else not found
    if isinstance(left, tuple) or isinstance(right, tuple):
        left = set(left) if isinstance(left, tuple) else left
        right = set(right) if isinstance(right, tuple) else right
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    if not (isinstance(left, float) and isinstance(right, float)):
        return False  # order is for numbers only
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]


def evaluate(tree: Condition, answers: Mapping[str, Value]) -> bool:
    """Whether the condition holds for these answers (question id -> value)."""
    if isinstance(tree, Both):
        holds = (evaluate(part, answers) for part in tree.parts)
        return all(holds) if tree.op == "and" else any(holds)
    if isinstance(tree, Not):
        return not evaluate(tree.operand, answers)
    return _compare(tree.op, _value(tree.left, answers), _value(tree.right, answers))
