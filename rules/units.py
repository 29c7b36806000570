"""The machinery of rule units: a rule is a small function carrying the key of
the rule it implements (the applicable rule set says which provision states
it); an exception is a rule unit labelled by its article that, when its
condition holds, replaces the base rule it names. Both are listed, so a
conflict is visible, never a silent winner."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from zeren.law import Applicable

from .findings import Finding, Gap

Ctx = TypeVar("Ctx")
Out = Iterable[Finding | Gap]


@dataclass(frozen=True)
class RuleUnit(Generic[Ctx]):
    key: str  # rule key; the provision is looked up in the applicable rule sets
    fn: Callable[[Ctx], Out]
    exception_to: tuple[str, ...] = ()  # keys of the base rules this one replaces when it applies
    applies: Callable[[Ctx], bool] | None = None  # the exception's condition
    label: str = ""

    @property
    def name(self) -> str:
        return self.fn.__name__

    @property
    def doc(self) -> str:
        return (self.fn.__doc__ or "").strip()


class RuleBook(Generic[Ctx]):
    """An ordered list of base rules and their labelled exceptions."""

    def __init__(self) -> None:
        self.units: list[RuleUnit[Ctx]] = []

    def rule(self, key: str) -> Callable[[Callable[[Ctx], Out]], Callable[[Ctx], Out]]:
        def deco(fn: Callable[[Ctx], Out]) -> Callable[[Ctx], Out]:
            self.units.append(RuleUnit(key, fn))
            return fn
        return deco

    def exception(self, key: str, *, to: str | tuple[str, ...], when: Callable[[Ctx], bool],
                  label: str) -> Callable[[Callable[[Ctx], Out]], Callable[[Ctx], Out]]:
        def deco(fn: Callable[[Ctx], Out]) -> Callable[[Ctx], Out]:
            keys = (to,) if isinstance(to, str) else tuple(to)
            self.units.append(RuleUnit(key, fn, exception_to=keys, applies=when, label=label))
            return fn
        return deco

    def evaluate(self, ctx: Any, app: Applicable) -> list[Finding | Gap]:
        out: list[Finding | Gap] = []
        replaced: dict[str, RuleUnit[Ctx]] = {}
        for u in self.units:
            if u.exception_to and app.has(u.key) and u.applies and u.applies(ctx):
                replaced.update(dict.fromkeys(u.exception_to, u))
        for u in self.units:
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
                               f"set aside by the exception {ex.label}", app.cite(ex.key)))
                continue
            if not app.has(u.key):
                continue
            out.extend(u.fn(ctx))
        return out
