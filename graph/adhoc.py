"""Checks on the text of an analyst's ad hoc Cypher query, made before the
store sees it, for what the store's own limits do not cover.

FalkorDB 4.16 checks its timeout and its per-query memory capacity between
records, never inside the evaluation of one expression: ``range(1, 2000000000)``
builds its whole list (16 bytes an element) before any check, so it ran past
the timeout and grew the server until the kernel killed it
(docs/reliability.md). So every ``range()`` in an ad hoc query must have
number literals or number parameters as bounds, and the product of the
lengths of all of them (ranges nest in list comprehensions, where their lengths
multiply) is capped.

The row cap on FalkorDB is applied while rows are produced: the query runs
inside ``CALL { ... } RETURN * LIMIT $cap`` (see ``with_row_cap``). That wrap is
only safe when the query cannot close the block itself, so the text is scanned
first: strings, comments and quoted names are skipped, brackets must balance.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ROW_CAP_PARAM = "zeren_row_cap"


class AdHocRefused(ValueError):
    """The query text is refused before it runs; the message says why."""


class Unclosed(AdHocRefused):
    """A string, comment or bracket of the query is not closed (or closed unopened)."""


class TooLarge(AdHocRefused):
    """The query would build more than the limits allow."""


_OPEN = {"(": ")", "[": "]", "{": "}"}
_CLOSE = {v: k for k, v in _OPEN.items()}


def code_only(query: str) -> str:
    """The query with string literals, comments and backquoted names blanked
    to spaces (same length, so positions stay), after checking that every
    string, comment and bracket is closed."""
    out = list(query)
    i, n = 0, len(query)
    stack: list[tuple[str, int]] = []
    while i < n:
        c = query[i]
        if c in "'\"`":
            j = i + 1
            while j < n and query[j] != c:
                j += 2 if query[j] == "\\" and c != "`" else 1
            if j >= n:
                raise Unclosed(f"the query has an unclosed {'name' if c == '`' else 'string'} "
                                   f"starting at character {i + 1}")
            out[i:j + 1] = " " * (j + 1 - i)
            i = j + 1
            continue
        if query.startswith("//", i):
            j = query.find("\n", i)
            j = n if j < 0 else j
            out[i:j] = " " * (j - i)
            i = j
            continue
        if query.startswith("/*", i):
            j = query.find("*/", i + 2)
            if j < 0:
                raise Unclosed(f"the query has an unclosed comment starting at character {i + 1}")
            out[i:j + 2] = " " * (j + 2 - i)
            i = j + 2
            continue
        if c in _OPEN:
            stack.append((c, i))
        elif c in _CLOSE:
            if not stack or stack[-1][0] != _CLOSE[c]:
                raise Unclosed(f"the query closes '{c}' at character {i + 1} that was not opened")
            stack.pop()
        i += 1
    if stack:
        c, at = stack[-1]
        raise Unclosed(f"the query opens '{c}' at character {at + 1} and never closes it")
    return "".join(out)


_RANGE = re.compile(r"(?<![\w.$`])range\s*\(", re.I)
_HEX = re.compile(r"^[+-]?\s*0x[0-9a-f]+$", re.I)
_NUMBER = re.compile(r"^[+-]?\s*(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$", re.I)
_PARAM = re.compile(r"^\$(\w+)$")


def _arguments(code: str, open_at: int) -> tuple[list[tuple[int, int]], int]:
    """The spans of the top-level arguments of the call whose '(' is at
    ``open_at``, and the position after its ')'."""
    depth, start, spans = 0, open_at + 1, []
    for i in range(open_at, len(code)):
        c = code[i]
        if c in _OPEN:
            depth += 1
        elif c in _CLOSE:
            depth -= 1
            if depth == 0:
                spans.append((start, i))
                return spans, i + 1
        elif c == "," and depth == 1:
            spans.append((start, i))
            start = i + 1
    raise AdHocRefused("the query has an unclosed range(")  # code_only has checked brackets


def _bound(query: str, span: tuple[int, int], params: Mapping[str, Any], what: str) -> int:
    text = query[span[0]:span[1]].strip()
    if _HEX.match(text):
        return int(text.replace(" ", ""), 16)
    if _NUMBER.match(text):
        value = float(text.replace(" ", ""))
        if not math.isfinite(value):
            raise AdHocRefused(f"range(): its {what} {text[:60]!r} is not a finite number")
        return int(value)
    m = _PARAM.match(text)
    if m:
        v = params.get(m.group(1))
        if type(v) in (int, float):
            return int(v)
        raise AdHocRefused(f"range(): the parameter ${m.group(1)} for its {what} must be a number, "
                           f"not {type(v).__name__ if m.group(1) in params else 'missing'}")
    raise AdHocRefused(f"range(): its {what} must be a number or a number parameter, not "
                       f"{text[:60]!r} (the length of a range must be known before the query runs)")


@dataclass(frozen=True)
class RangeCall:
    start: int
    end: int
    step: int

    @property
    def length(self) -> int:
        if (self.step > 0 and self.end < self.start) or (self.step < 0 and self.end > self.start):
            return 0
        return (self.end - self.start) // self.step + 1


def range_calls(query: str, params: Mapping[str, Any] | None = None) -> list[RangeCall]:
    """Every ``range()`` of the query with its bounds; refuses one whose bounds
    are not number literals or number parameters."""
    params = params or {}
    code = code_only(query)
    calls = []
    for m in _RANGE.finditer(code):
        spans, _ = _arguments(code, m.end() - 1)
        if len(spans) not in (2, 3):
            raise AdHocRefused(f"range() at character {m.start() + 1} takes 2 or 3 arguments, not {len(spans)}")
        start = _bound(query, spans[0], params, "start")
        end = _bound(query, spans[1], params, "end")
        step = _bound(query, spans[2], params, "step") if len(spans) == 3 else 1
        if step == 0:
            raise AdHocRefused("range(): its step must not be 0")
        calls.append(RangeCall(start, end, step))
    return calls


_REDUCE = re.compile(r"(?<![\w.$`])reduce\s*\(", re.I)


def check_before_running(query: str, params: Mapping[str, Any] | None, max_elements: int) -> None:
    """Refuse the query when the product of its ranges' lengths is above
    ``max_elements`` (the product: a range inside a list comprehension over
    another multiplies their lengths, and which one nests in which is not
    worth parsing for a cap this coarse), or when it uses ``reduce()``: an
    accumulator doubled on each of 40 elements (``reduce(s = 'x', i IN
    range(1, 40) | s + s)``) grew the store to 4 GB, past a 512 MB capacity,
    inside one expression (docs/reliability.md)."""
    m = _REDUCE.search(code_only(query))
    if m:
        raise TooLarge(f"reduce() (at character {m.start() + 1}) is not allowed in an ad hoc query: its "
                       "accumulator can grow past every limit inside one expression")
    total = 1
    for call in range_calls(query, params):
        total *= max(call.length, 1)
        if total > max_elements:
            raise TooLarge(f"the query's range() calls would build {total:,} elements or more (the product of "
                           f"their lengths); at most {max_elements:,} are allowed")


# ----------------------------------------------------------------------------- the row cap


def with_row_cap(query: str) -> str:
    """The query inside ``CALL { ... } RETURN * LIMIT $zeren_row_cap``: the
    store stops producing rows at the cap (lazily: ``UNWIND range(1, 3000000)``
    returns its first rows in milliseconds). The text must have passed
    ``code_only``, so it cannot close the block early; the line breaks keep a
    trailing ``//`` comment inside it."""
    code_only(query)
    return f"CALL {{\n{query}\n}} RETURN * LIMIT ${ROW_CAP_PARAM}"


_BARE_CALL = re.compile(r"^\s*CALL\s+[A-Za-z_]", re.I)


def bare_procedure_call(query: str) -> bool:
    """The query is a procedure call with no RETURN (``CALL db.labels()``):
    its rows have no names the row cap's ``RETURN *`` could pass on."""
    return bool(_BARE_CALL.match(code_only(query))) and _last_return(code_only(query)) is None


def _last_return(code: str) -> int | None:
    """Where the last RETURN outside any bracket starts."""
    depth, last = 0, None
    for i, c in enumerate(code):
        if c in _OPEN:
            depth += 1
        elif c in _CLOSE:
            depth -= 1
        elif depth == 0 and c in "rR" and _RETURN.match(code, i) and (i == 0 or not code[i - 1].isalnum()):
            last = i
    return last


_TAIL = re.compile(r"\b(ORDER\s+BY|SKIP|LIMIT)\b", re.I)
_RETURN = re.compile(r"\bRETURN\b", re.I)
_DISTINCT = re.compile(r"^\s*DISTINCT\b", re.I)
_ALIAS = re.compile(r"\bAS\s+(\w+|`[^`]+`)\s*$", re.I)


def projected_names(query: str) -> list[str] | None:
    """The column names of the query's last top-level RETURN in the order it
    lists them, or None when they cannot be read off the text (``RETURN *``,
    a RETURN inside brackets only). ``RETURN *`` around the wrapped query
    sorts the columns by name; this gives their order back."""
    code = code_only(query)
    last = _last_return(code)
    if last is None:
        return None
    start = last + len("RETURN")
    m = _DISTINCT.match(code, start)
    if m:
        start = m.end()
    end = len(code)
    depth = 0
    items, item_start = [], start
    for i in range(start, len(code)):
        c = code[i]
        if c in _OPEN:
            depth += 1
        elif c in _CLOSE:
            depth -= 1
        elif depth == 0 and c == ",":
            items.append((item_start, i))
            item_start = i + 1
        elif depth == 0 and _TAIL.match(code, i) and not code[i - 1].isalnum():
            end = i
            break
    items.append((item_start, end))
    names = []
    for a, b in items:
        text = query[a:b].strip()
        alias = _ALIAS.search(text)
        if text == "*":
            return None
        names.append(alias.group(1).strip("`") if alias else text)
    return names


def in_query_order(query: str, columns: list[str], rows: list[list[Any]]) -> tuple[list[str], list[list[Any]]]:
    """Columns (and each row's cells) back in the order the query's RETURN
    lists them, when that list names exactly the columns returned."""
    names = projected_names(query)
    if names is None or names == columns or sorted(names) != sorted(columns) or len(set(names)) != len(names):
        return columns, rows
    at = [columns.index(n) for n in names]
    return names, [[row[i] for i in at] for row in rows]
