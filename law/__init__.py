"""The law zeren applies, in one place.

* ``documents.json``: the one declaration of each regulation: id, title, short
  name, issuing organ, jurisdiction (territory code), in-force date and file;
* ``texts/``: the regulations' texts exactly as published;
* :mod:`zeren.law.text`: the parser (document > chapter > article > paragraph
  > item) and the exact text of a provision;
* :mod:`zeren.law.rulesets`: the rule sets (a declared document in force in its
  jurisdiction from its date), each with its table rule key -> provision, and
  the choice of the rule sets that apply to a place on a date.

The responsibility engine (``zeren.rules``) reads the law from here; the
loaders write the texts into the graph from here.
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from .rulesets import (CHONGQING, NATION, NATIONAL, REGISTRY, Applicable, NoRuleSet, Provision, RuleSet, applicable,
                       register, unregister)
from .text import Document, DocumentMeta, ProvisionNotFound, get_regulations, provision_text, read_index

__all__ = ["CHONGQING", "NATION", "NATIONAL", "REGISTRY", "Applicable", "Document", "DocumentMeta", "InForce",
           "NoRuleSet", "Provision", "ProvisionNotFound", "RuleSet", "applicable", "get_regulations", "in_force",
           "provision_text", "read_index", "register", "unregister"]


class InForce(NamedTuple):
    """Where and from when a declared document applies."""

    jurisdiction: str  # territory code; "000000" for the nation
    on: date  # the date it took effect


def in_force() -> dict[str, InForce]:
    """Each declared document's jurisdiction and in-force date, by document id
    (``{"CN-2016": InForce("000000", date(2016, 10, 8)), ...}``), as
    ``documents.json`` declares them."""
    return {m.id: InForce(m.jurisdiction, m.in_force) for m in read_index()}
