"""Typed records of the declared model: the base class every record shares,
and the writer of ``zeren.graph.records`` (one frozen, slotted record class
per node and relationship kind, one ``StrEnum`` per enumeration), derived from
``zeren.graph.model`` so that the model stays the one declaration.

The records module is generated, not built at import time, so that a type
checker and a reader see ordinary classes. Write it again after changing the
model::

    python -m zeren.graph.typed          # rewrites graph/records.py
    python -m zeren.graph.typed --check  # exit 1 when it no longer matches the model

A record reads its fields as attributes, never by key: a misspelt field is
an ``AttributeError``, and a property the model does not declare is refused
when the record is made (``RecordError``, naming the kind and the property).
The store's own derived properties (the search text, the ciphertext, digest
and pseudonym of a confidential field) are not facts and are left out.
``as_dict`` gives the fields that have a value, as the row had them.
"""

from __future__ import annotations

import argparse
import keyword
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from . import model
from .confidential import stored_names
from .search import PROPERTY as SEARCH_PROPERTY

R = TypeVar("R", bound="Record")


class RecordError(ValueError):
    """A row that does not fit its kind's declaration."""


class Record:
    """A node's or relationship's properties, typed by the declared model."""

    __slots__ = ()
    KIND: ClassVar[str]
    FIELDS: ClassVar[frozenset[str]]
    STORED: ClassVar[frozenset[str]]  # the store's derived properties, left out
    CONVERT: ClassVar[Mapping[str, Callable[[Any], Any]]]  # field -> its enumeration (or list of)

    @classmethod
    def of(cls: type[R], props: Mapping[str, Any]) -> R:
        """The record of a row's properties; a property the model does not declare is refused."""
        kw = dict(props)
        if not kw.keys() <= cls.FIELDS:
            kw = {k: v for k, v in kw.items() if k not in cls.STORED}
            unknown = kw.keys() - cls.FIELDS
            if unknown:
                raise RecordError(f"{cls.KIND} has no field {min(unknown)!r} "
                                  f"(declared: {', '.join(sorted(cls.FIELDS))})")
        for k, c in cls.CONVERT.items():
            v = kw.get(k)
            if v is not None:
                try:
                    kw[k] = c(v)
                except (KeyError, ValueError):
                    raise RecordError(f"{cls.KIND}.{k}: {v!r} is not a code of its enumeration") from None
        try:
            return cls(**kw)
        except TypeError as e:
            raise RecordError(f"{cls.KIND} {props.get('id', '')!r}: {e}") from None

    @classmethod
    def maybe(cls: type[R], props: Mapping[str, Any] | None) -> R | None:
        """The record of a row's properties, or None for an optional match that found nothing."""
        return None if props is None else cls.of(props)

    def as_dict(self) -> dict[str, Any]:
        """The fields that have a value, in declared order: the row the record was made from, less the store's
        derived properties."""
        return {f: v for f in type(self).__slots__ if (v := getattr(self, f)) is not None}


# --------------------------------------------------------------------------- the writer

OUT = Path(__file__).with_name("records.py")

_PY = {"string": "str", "text": "str", "int": "int", "bool": "bool", "date": "date", "datetime": "str",
       "list": "tuple[str, ...]", "ref": "str"}


def class_name(kind_name: str) -> str:
    """The record class of a kind: a node label as it is, a relationship type in CamelCase (HOLDS_CASE -> HoldsCase)."""
    return kind_name if not kind_name.isupper() else "".join(p.capitalize() for p in kind_name.split("_"))


def _type(f: model.Field) -> str:
    if f.type == "enum":
        return str(f.enum)
    if f.type == "enumlist":
        return f"tuple[{f.enum}, ...]"
    return _PY[f.type]


def _comment(en: str, zh: str) -> str:
    return f"  # {zh} {en}".replace("\n", " ")


def _wrapped(head: str, items: list[str], tail: str, width: int = 120) -> list[str]:
    """``head`` + the items + ``tail`` on one line when it fits, else one item a line."""
    one = head + ", ".join(items) + tail
    if len(one) <= width:
        return [one]
    lines, line = [head], "       "
    for i in items:
        if len(line) + len(i) + 2 > width:
            lines.append(line)
            line = "       "
        line += f" {i},"
    return [*lines, line, "    " + tail]


def _enum_source(e: model.Enumeration) -> list[str]:
    out = [f"class {e.name}(StrEnum):", f'    """{e.zh} {e.en}"""', ""]
    for code, label in e.values.items():
        if keyword.iskeyword(code) or not code.isidentifier():
            raise ValueError(f"enumeration {e.name}: code {code!r} is not a Python name")
        out.append(f'    {code} = "{code}"' + _comment(label.en, label.zh))
    return out


def _record_source(k: model.NodeKind | model.RelKind) -> list[str]:
    rel = isinstance(k, model.RelKind)
    fields = k.all_fields if isinstance(k, model.RelKind) else k.fields
    if all(f.name != k.key for f in fields):  # a relationship's key is declared on the kind, not as a field
        fields = (model.Field(k.key, "string", "stable key", "唯一标识", required=True), *fields)
    ends = {k.source.name, k.target.name} if isinstance(k, model.RelKind) else set()
    stored = sorted({SEARCH_PROPERTY} | {n for f in fields if f.confidential for n in stored_names(f)})
    convert = [f'"{f.name}": _code({f.enum})' if f.type == "enum" else f'"{f.name}": _list_of({f.enum})'
               for f in fields if f.type in ("enum", "enumlist")]
    convert += [f'"{f.name}": tuple' for f in fields if f.type == "list"]
    out = ["@dataclass(frozen=True, slots=True, kw_only=True)", f"class {class_name(k.name)}(Record):",
           f'    """{k.zh} {k.en}' + (f" (relationship {k.name})" if rel else "") + '"""', "",
           f'    KIND: ClassVar[str] = "{k.name}"',
           *_wrapped("    FIELDS: ClassVar[frozenset[str]] = frozenset({", [f'"{f.name}"' for f in fields], "})"),
           *_wrapped("    STORED: ClassVar[frozenset[str]] = frozenset({", [f'"{s}"' for s in stored], "})"),
           *_wrapped("    CONVERT: ClassVar[Mapping[str, Callable[[Any], Any]]] = {", convert, "}"), ""]
    # A relationship's ends are not stored on it (the relationship joins them):
    # they are optional on its record. Required fields come first, without a default.
    required = [f for f in fields if f.required and f.name not in ends]
    optional = [f for f in fields if not (f.required and f.name not in ends)]
    for f in required:
        out.append(f"    {f.name}: {_type(f)}" + _comment(f.en, f.zh))
    for f in optional:
        out.append(f"    {f.name}: {_type(f)} | None = None" + _comment(f.en, f.zh))
    return out


def source() -> str:
    """The text of ``zeren.graph.records`` for the model as declared now."""
    names = [e for e in model.ENUMS] + [class_name(k) for k in [*model.NODES, *model.RELS]]
    clash = sorted({n for n in names if names.count(n) > 1})
    if clash:
        raise ValueError(f"an enumeration and a kind share a name: {', '.join(clash)}")
    lines = [
        '"""Typed records and enumerations of the declared model (zeren.graph.model).',
        "",
        "Generated by ``python -m zeren.graph.typed``: do not edit; change the model",
        "and run it again (a test fails while this file does not match the model).",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from collections.abc import Callable, Iterable, Mapping",
        "from dataclasses import dataclass",
        "from datetime import date",
        "from enum import StrEnum",
        "from typing import Any, ClassVar, TypeVar",
        "",
        "from .typed import Record",
        "",
        'E = TypeVar("E", bound=StrEnum)',
        "",
        "",
        "def _code(enum: type[E]) -> Callable[[str], E]:",
        '    """The member of a code (a look-up: faster than calling the enumeration)."""',
        "    return enum._value2member_map_.__getitem__  # type: ignore[return-value]",
        "",
        "",
        "def _list_of(enum: type[E]) -> Callable[[Iterable[str]], tuple[E, ...]]:",
        "    member = _code(enum)",
        "    return lambda codes: tuple(member(c) for c in codes)",
        "",
        "",
        "# " + "-" * 75 + " enumerations",
    ]
    for e in model.ENUMS.values():
        lines += ["", "", *_enum_source(e)]
    lines += ["", "", "# " + "-" * 75 + " node kinds"]
    for k in model.NODES.values():
        lines += ["", "", *_record_source(k)]
    lines += ["", "", "# " + "-" * 75 + " relationship kinds"]
    for r in model.RELS.values():
        lines += ["", "", *_record_source(r)]
    lines += ["", "", "ENUMS: dict[str, type[StrEnum]] = {"]
    lines += [f'    "{e}": {e},' for e in model.ENUMS]
    lines += ["}", "", "RECORDS: dict[str, type[Record]] = {"]
    lines += [f'    "{k}": {class_name(k)},' for k in [*model.NODES, *model.RELS]]
    lines += ["}", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m zeren.graph.typed", description=__doc__.split("\n\n")[0])
    p.add_argument("--check", action="store_true", help="exit 1 when graph/records.py does not match the model")
    args = p.parse_args(argv)
    text = source()
    current = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
    if args.check:
        if current != text:
            print(f"{OUT}: does not match zeren.graph.model; run python -m zeren.graph.typed", file=sys.stderr)
            return 1
        return 0
    if current != text:
        OUT.write_text(text, encoding="utf-8")
        print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
