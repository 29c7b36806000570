"""The regulations' texts parsed into their tree, and the look-up of a
provision's exact text. The texts ship in ``zeren.law`` (folder ``texts``),
declared in ``documents.json``; ``zeren.loaders.regulations`` writes the tree
into the graph.

Structure
---------
A document is parsed into Document > Chapter (章) > Article (条) > Paragraph
(款) > Item (项), all frozen dataclasses, numbered with integers (the Chinese
numerals of the headings are converted):

* a chapter starts at a line ``第N章<space>title``;
* an article starts at a line ``第N条<space>text``; the space is a full-width
  space (national measures), a no-break space (Chongqing rules) or any other
  white space;
* every further line of an article starts a new paragraph, except item lines
  ``（N）text``, which are items of the paragraph they follow (national art. 11
  ¶1 has six items; the paragraph after them is ¶2).

Texts are exact: ``Item.text`` is the item line after its label ``（N）``;
``Paragraph.text`` is the paragraph's own line followed by its item lines
(labels included), joined with ``"\\n"``; ``Article.text`` is every line of
the article joined with ``"\\n"``, minus the heading ``第N条<space>``. Headings
and labels are kept too, so ``Document.render()`` rebuilds the body of the
document character for character.

What the parser drops from the shipped files
--------------------------------------------
The files are kept exactly as published (they are the evidence); two things
in them are not part of the regulation and are dropped when parsing:

* **front matter**: everything before the first chapter heading. In the
  national file this is a Xinhua news lead (``新华社北京10月24日电 …全文如下。``),
  in the Chongqing file the title line and a blank line; titles come from
  ``documents.json`` instead;
* **editor artefacts**: word-processor bookmarks such as ``[bookmark: _GoBack]``
  (in the Chongqing file, glued to the front of ``第四章``) are removed
  wherever they occur.

Anything else the grammar above does not expect (a blank line inside the body,
lines before a chapter's first article, numbers out of sequence) is refused
with ``ValueError`` rather than guessed at.

Metadata
--------
``documents.json`` gives each document's id, title, short name, issuing organ,
jurisdiction (territory code; ``000000`` is the nation), in-force date and file.
The Chongqing text does not name its issuer: the ``issued_by`` given there
(中共重庆市委办公厅、重庆市人民政府办公厅) comes from outside the text, as the
file's ``comment`` says.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any, Protocol, TypeVar

PACKAGE = "zeren.law"
FOLDER = "texts"
INDEX_FILE = "documents.json"

# --------------------------------------------------------------------------- Chinese numerals

_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ZEROS = "零〇"
_UNITS = {"十": 10, "百": 100, "千": 1000}
_NUMERAL_CHARS = _ZEROS + "".join(_DIGITS) + "".join(_UNITS)


def parse_chinese_numeral(text: str) -> int:
    """Convert a Chinese numeral from 1 to 9999 to an int: ``十一`` is 11,
    ``二十`` is 20, ``一百零五`` is 105. Raises ``ValueError`` for anything
    else, including colloquial abbreviations such as ``一百五`` (150?)."""
    total, pending, prev_unit, after_zero = 0, None, 10_000, False
    for ch in text:
        if ch in _ZEROS:
            if pending is not None or total == 0 or after_zero:
                raise ValueError(f"misplaced zero in Chinese numeral {text!r}")
            after_zero = True
        elif ch in _DIGITS:
            if pending is not None:
                raise ValueError(f"two digits in a row in Chinese numeral {text!r}")
            pending = _DIGITS[ch]
        elif ch in _UNITS:
            unit = _UNITS[ch]
            if unit >= prev_unit or (pending is None and (total or unit != 10)):
                raise ValueError(f"misplaced {ch!r} in Chinese numeral {text!r}")
            total += (1 if pending is None else pending) * unit
            pending, prev_unit, after_zero = None, unit, False
        else:
            raise ValueError(f"{ch!r} is not part of a Chinese numeral ({text!r})")
    if pending is not None:
        if prev_unit > 10 and prev_unit != 10_000 and not after_zero:
            raise ValueError(f"ambiguous Chinese numeral {text!r} (write 零 or the unit)")
        total += pending
    elif after_zero:
        raise ValueError(f"trailing zero in Chinese numeral {text!r}")
    if total == 0:
        raise ValueError(f"not a Chinese numeral from 1 to 9999: {text!r}")
    return total


# --------------------------------------------------------------------------- the tree


class ProvisionNotFound(KeyError):
    """A document, article, paragraph or item that does not exist."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "provision not found"


class _Numbered(Protocol):
    @property
    def number(self) -> int: ...


_N = TypeVar("_N", bound=_Numbered)


def _pick(children: Iterable[_N], n: int, what: str, owner: str) -> _N:
    """The child numbered ``n``, or ``ProvisionNotFound`` naming what exists."""
    numbers = []
    for child in children:
        if child.number == n:
            return child
        numbers.append(child.number)
    have = f"{what}s {numbers[0]}-{numbers[-1]}" if numbers else f"no {what}s"
    raise ProvisionNotFound(f"{owner} has no {what} {n} (it has {have})")


@dataclass(frozen=True)
class Item:
    """Item (项) of a paragraph: ``label`` is ``（N）``, ``text`` what follows it."""

    id: str
    number: int
    label: str
    text: str

    @property
    def line(self) -> str:
        """The item's line as in the source."""
        return self.label + self.text


@dataclass(frozen=True)
class Paragraph:
    """Paragraph (款) of an article: its own line (``lead``) and its items."""

    id: str
    number: int
    lead: str
    items: tuple[Item, ...]

    @property
    def text(self) -> str:
        """The exact paragraph text: its line, then its item lines."""
        return "\n".join([self.lead, *(i.line for i in self.items)])

    def item(self, n: int) -> Item:
        return _pick(self.items, n, "item", self.id)


@dataclass(frozen=True)
class Article:
    """Article (条): ``heading`` is ``第N条`` with the space that follows it."""

    id: str
    number: int
    heading: str
    paragraphs: tuple[Paragraph, ...]

    @property
    def text(self) -> str:
        """The exact article text, without its heading."""
        return "\n".join(p.text for p in self.paragraphs)

    def paragraph(self, n: int) -> Paragraph:
        return _pick(self.paragraphs, n, "paragraph", self.id)

    def render(self) -> str:
        return self.heading + self.text


@dataclass(frozen=True)
class Chapter:
    """Chapter (章): ``heading`` is its exact line, ``title`` the title with
    the spacing of the typesetting removed (``总　则`` gives ``总则``)."""

    id: str
    number: int
    heading: str
    title: str
    articles: tuple[Article, ...]

    def render(self) -> str:
        return "\n".join([self.heading, *(a.render() for a in self.articles)])


@dataclass(frozen=True)
class Document:
    """A regulation: metadata from ``documents.json``, body parsed from its file."""

    id: str
    title: str
    short: str
    issued_by: str
    jurisdiction: str
    in_force: date
    file: str
    text: str
    chapters: tuple[Chapter, ...]

    @property
    def articles(self) -> tuple[Article, ...]:
        return tuple(a for c in self.chapters for a in c.articles)

    def chapter(self, n: int) -> Chapter:
        return _pick(self.chapters, n, "chapter", self.id)

    def article(self, n: int) -> Article:
        return _pick(self.articles, n, "article", self.id)

    def render(self) -> str:
        """The body rebuilt from the parsed tree (equals ``text``)."""
        return "\n".join(c.render() for c in self.chapters)


# --------------------------------------------------------------------------- parsing

_ARTEFACT = re.compile(r"\[bookmark: [^\]]*\]")
_CHAPTER = re.compile(rf"^第([{_NUMERAL_CHARS}]+)章\s+(\S.*)$")
_ARTICLE = re.compile(rf"^(第([{_NUMERAL_CHARS}]+)条\s+)(\S.*)$")
_ITEM = re.compile(rf"^(（([{_NUMERAL_CHARS}]+)）)(\S.*)$")


@dataclass(frozen=True)
class DocumentMeta:
    """One entry of ``documents.json``."""

    id: str
    title: str
    short: str
    issued_by: str
    jurisdiction: str
    in_force: date
    file: str

    @classmethod
    def from_json(cls, entry: Mapping[str, Any], where: str = INDEX_FILE) -> DocumentMeta:
        """One declared document; ``where`` names the entry in errors."""
        fields = {k: v for k, v in entry.items() if k != "comment"}
        names = [f.name for f in dataclasses.fields(cls)]
        for name in names:
            if not isinstance(fields.get(name), str) or not fields[name]:
                raise ValueError(f"{where}: field {name!r} is missing or not a non-empty string")
        if unknown := sorted(set(fields) - set(names)):
            raise ValueError(f"{where}: unknown field {unknown[0]!r} (fields: {', '.join(names)}, comment)")
        try:
            fields["in_force"] = date.fromisoformat(fields["in_force"])
        except ValueError:
            raise ValueError(f"{where}: field 'in_force' {fields['in_force']!r} is not a date YYYY-MM-DD") from None
        return cls(**fields)


def strip_artefacts(source: str) -> str:
    """The source without word-processor bookmarks."""
    return _ARTEFACT.sub("", source)


def body_lines(source: str) -> list[str]:
    """The lines of the regulation proper: artefacts stripped, front matter
    (everything before the first chapter heading) and trailing blank lines dropped."""
    lines = strip_artefacts(source).rstrip().splitlines()
    for i, line in enumerate(lines):
        if _CHAPTER.match(line):
            return lines[i:]
    raise ValueError("no chapter heading (第N章) found")


def _split(lines: list[str], heading: re.Pattern[str], where: str) -> list[tuple[re.Match[str], list[str]]]:
    """Split ``lines`` into blocks, each opened by a line matching ``heading``."""
    blocks: list[tuple[re.Match[str], list[str]]] = []
    for line in lines:
        if m := heading.match(line):
            blocks.append((m, []))
        elif not blocks:
            raise ValueError(f"{where}: unexpected line before the first heading: {line[:40]!r}")
        else:
            blocks[-1][1].append(line)
    return blocks


def _check_sequence(numbers: list[int], first: int, where: str) -> None:
    expected = list(range(first, first + len(numbers)))
    if numbers != expected:
        raise ValueError(f"{where}: numbers {numbers} are not in sequence from {first}")


def _item(paragraph_id: str, m: re.Match[str]) -> Item:
    number = parse_chinese_numeral(m[2])
    return Item(f"{paragraph_id}/i{number}", number, m[1], m[3])


def _parse_paragraphs(article_id: str, lines: list[str]) -> tuple[Paragraph, ...]:
    """Paragraphs of an article from its lines (the first one without heading)."""
    groups: list[tuple[str, list[re.Match[str]]]] = []
    for line in lines:
        if not line.strip():
            raise ValueError(f"{article_id}: blank line inside the article")
        if m := _ITEM.match(line):
            if not groups:
                raise ValueError(f"{article_id}: an item before any paragraph")
            groups[-1][1].append(m)
        else:
            groups.append((line, []))
    paragraphs = []
    for p_no, (lead, matches) in enumerate(groups, start=1):
        pid = f"{article_id}/p{p_no}"
        items = tuple(_item(pid, m) for m in matches)
        _check_sequence([i.number for i in items], 1, pid)
        paragraphs.append(Paragraph(pid, p_no, lead, items))
    return tuple(paragraphs)


def _parse_article(doc_id: str, m: re.Match[str], rest: list[str]) -> Article:
    number = parse_chinese_numeral(m[2])
    aid = f"{doc_id}/a{number}"
    return Article(aid, number, m[1], _parse_paragraphs(aid, [m[3], *rest]))


def _parse_chapter(doc_id: str, m: re.Match[str], lines: list[str]) -> Chapter:
    number = parse_chinese_numeral(m[1])
    cid = f"{doc_id}/c{number}"
    articles = tuple(_parse_article(doc_id, am, rest) for am, rest in _split(lines, _ARTICLE, cid))
    if not articles:
        raise ValueError(f"{cid}: a chapter without articles")
    return Chapter(cid, number, m[0], "".join(m[2].split()), articles)


def parse_document(meta: DocumentMeta, source: str) -> Document:
    """Parse the source text of one regulation into its tree."""
    lines = body_lines(source)
    chapters = tuple(_parse_chapter(meta.id, m, rest) for m, rest in _split(lines, _CHAPTER, meta.id))
    _check_sequence([c.number for c in chapters], 1, f"{meta.id} chapters")
    _check_sequence([a.number for c in chapters for a in c.articles], 1, f"{meta.id} articles")
    return Document(meta.id, meta.title, meta.short, meta.issued_by, meta.jurisdiction, meta.in_force, meta.file,
                    "\n".join(lines), chapters)


# --------------------------------------------------------------------------- shipped regulations


def _folder() -> Traversable:
    return resources.files(PACKAGE) / FOLDER


@cache
def _index() -> tuple[DocumentMeta, ...]:
    entries = json.loads((resources.files(PACKAGE) / INDEX_FILE).read_text(encoding="utf-8"))
    return tuple(DocumentMeta.from_json(e, f"{INDEX_FILE} entry {n}") for n, e in enumerate(entries, start=1))


def read_index() -> list[DocumentMeta]:
    """The declared documents (``documents.json``), in file order: the one
    place that gives each document's name, jurisdiction and in-force date."""
    return list(_index())


def read_source(meta: DocumentMeta) -> str:
    """The shipped source text of a regulation, exactly as published."""
    return (_folder() / meta.file).read_text(encoding="utf-8")


@cache
def parsed() -> tuple[Document, ...]:
    """The shipped regulations, in the order of their declaration (parsed once, then cached)."""
    return tuple(parse_document(meta, read_source(meta)) for meta in read_index())


def get_regulations() -> dict[str, Document]:
    """The shipped regulations by id (parsed once, then cached)."""
    return {d.id: d for d in parsed()}


def _document(doc_id: str) -> Document:
    docs = get_regulations()
    if doc_id not in docs:
        raise ProvisionNotFound(f"no regulation {doc_id!r} (known: {', '.join(sorted(docs))})")
    return docs[doc_id]


def provision_text(doc_id: str, article: int, paragraph: int | None = None, item: int | None = None) -> str:
    """Exact text of an article, of one of its paragraphs, or of an item of a
    paragraph. Raises ``KeyError`` (``ProvisionNotFound``) for a provision that
    does not exist and ``ValueError`` for an item asked without its paragraph."""
    art = _document(doc_id).article(article)
    if paragraph is None:
        if item is not None:
            raise ValueError("an item is cited within a paragraph: give the paragraph number too")
        return art.text
    par = art.paragraph(paragraph)
    return par.text if item is None else par.item(item).text
