"""The book of articles. Every rule the engine applies is a ``RuleUnit`` of one
shape: the key of the rule (its citation is the provision the applicable rule
sets give for that key), when it applies, what it is an exception to, and what
it yields. Its docstring quotes the provision (``tests/rules/test_law.py`` checks
every quote against the text of the provision the key cites).

A book holds three kinds of unit, all of that shape:

* a **rule** (``@book.rule``) yields findings and gaps wherever a rule set in
  force states its key and its condition ``when`` (if any) holds;
* an **exception** (``@book.exception``), labelled by its article, takes the
  place of the rules it names when its condition holds; each rule set aside is
  shown as a gap, never dropped silently;
* an **exemption** (``@book.exemption``) is an exception to one finding at a
  time: a finding of the rules it names, of a kind it reaches, whose person
  meets its condition (the unit's function, giving the reason) is replaced by
  an EXEMPT finding on the exemption's own basis.

Standing responsibility, the allocation of accountability with its
exemptions, and the ladder of measures are books of such units.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

from zeren.graph.records import ResponsibilityKind
from zeren.law import Applicable, Provision

from .findings import Finding, Gap

Ctx = TypeVar("Ctx")
Fn = TypeVar("Fn", bound=Callable[..., Any])


@dataclass(frozen=True)
class RuleUnit(Generic[Ctx]):
    key: str  # rule key; the provision is looked up in the applicable rule sets
    fn: Callable[..., Any]  # what it yields: fn(ctx) -> findings and gaps; an exemption's fn(ctx, finding) -> reason
    when: Callable[[Ctx], bool] | None = None  # when it applies (besides a rule set in force stating the key)
    exception_to: tuple[str, ...] = ()  # keys of the rules it takes the place of when it applies
    label: str = ""  # an exception's label, by article
    reaches: frozenset[str] = frozenset()  # an exemption: the kinds of finding it can exempt
    not_formalised: str = ""  # an exemption: what is left to human judgement

    @property
    def name(self) -> str:
        return self.fn.__name__

    @property
    def doc(self) -> str:
        return (self.fn.__doc__ or "").strip()

    @property
    def is_exemption(self) -> bool:
        return bool(self.reaches)

    def citation(self, app: Applicable) -> Provision:
        """The provision the unit rests on: the most specific applicable rule set stating its key."""
        return app.cite(self.key)

    def applies(self, ctx: Ctx, app: Applicable) -> bool:
        return app.has(self.key) and (self.when is None or bool(self.when(ctx)))

    def exempt(self, ctx: Ctx, app: Applicable, f: Finding) -> Finding | None:
        """What an exemption yields for one finding of the rules it is an
        exception to: the EXEMPT finding, or None when it does not apply."""
        if f.kind not in self.reaches or not app.has(self.key) or f.person is None:
            return None
        why = self.fn(ctx, f)
        if why is None:
            return None
        return replace(f, kind=ResponsibilityKind.EXEMPT, rule=self.key, basis=self.citation(app),
                       note=f"would bear {f.kind} under {f.basis.label()}; {why}",
                       exception=f"{self.label} (exception to {f.rule})", not_formalised=self.not_formalised)


def _keys(to: str | tuple[str, ...]) -> tuple[str, ...]:
    return (to,) if isinstance(to, str) else tuple(to)


class RuleBook(Generic[Ctx]):
    """An ordered list of rules, their labelled exceptions and exemptions."""

    def __init__(self) -> None:
        self.units: list[RuleUnit[Ctx]] = []

    def rule(self, key: str, *, when: Callable[[Ctx], bool] | None = None) -> Callable[[Fn], Fn]:
        def deco(fn: Fn) -> Fn:
            self.units.append(RuleUnit(key, fn, when=when))
            return fn
        return deco

    def exception(self, key: str, *, to: str | tuple[str, ...], when: Callable[[Ctx], bool],
                  label: str) -> Callable[[Fn], Fn]:
        def deco(fn: Fn) -> Fn:
            self.units.append(RuleUnit(key, fn, when=when, exception_to=_keys(to), label=label))
            return fn
        return deco

    def exemption(self, key: str, *, to: str | tuple[str, ...], reaches: Iterable[str], label: str,
                  not_formalised: str = "") -> Callable[[Fn], Fn]:
        """An exception to single findings; the decorated ``fn(ctx, finding)``
        gives the reason the finding's person is exempt, or None."""
        def deco(fn: Fn) -> Fn:
            self.units.append(RuleUnit(key, fn, exception_to=_keys(to), label=label, reaches=frozenset(reaches),
                                       not_formalised=not_formalised))
            return fn
        return deco

    def evaluate(self, ctx: Ctx, app: Applicable) -> list[Any]:
        """What the book yields for ``ctx`` under the applicable rule sets, in
        the order of its units (an exception's output in its own place)."""
        out: list[Any] = []
        replaced: dict[str, RuleUnit[Ctx]] = {}
        for u in self.units:
            if u.exception_to and not u.is_exemption and u.applies(ctx, app):
                replaced.update(dict.fromkeys(u.exception_to, u))
        exemptions = [u for u in self.units if u.is_exemption]
        for u in self.units:
            if u.is_exemption:
                continue
            if u.exception_to:
                if any(replaced.get(k) is u for k in u.exception_to):
                    for item in u.fn(ctx):
                        if isinstance(item, Finding) and not item.exception:
                            item.exception = f"{u.label} (in place of rule {', '.join(u.exception_to)})"
                        out.append(item)
                continue
            if u.key in replaced:
                ex = replaced[u.key]
                out.append(Gap(f"rule {u.key} ({u.name})",
                               f"set aside by the exception {ex.label}", ex.citation(app)))
                continue
            if not u.applies(ctx, app):
                continue
            mine = [e for e in exemptions if u.key in e.exception_to]
            for item in u.fn(ctx):
                if isinstance(item, Finding):
                    item = next((x for e in mine if (x := e.exempt(ctx, app, item)) is not None), item)
                out.append(item)
        return out
