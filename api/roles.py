"""Who may read what: the one table of roles and what each may read.

Every protected GraphQL field carries :func:`may` as its strawberry permission
class, every protected route :func:`zeren.api.deps.require` as a FastAPI
dependency and every workbench page the capability it reads, all three
refusing through :func:`demand` on :data:`PERMISSIONS`; no other code checks
a role by its name. The README's roles table is :func:`markdown_table` (a
test checks they are the same).

Personnel data is for the personnel departments (the cadre record is a
personnel file: national art. 10 ¶2, Chongqing art. 10 ¶2 and art. 18), so
only ``personnel`` reads cadre records and the honours roll; analysts and
admins see what investigators see, with ad hoc Cypher, and admins the audit
log; only the petition bureau reads the petitioner's identity.
"""

from __future__ import annotations

from functools import cache
from typing import Any, ClassVar

from strawberry.permission import BasePermission

# What can be read, as the README names it.
CAPABILITIES: dict[str, str] = {
    "matters": "matters, findings, chains, measures, counterfactuals",
    "cadre_records": "cadre records (`person.record`)",
    "honours_roll": "the honours roll",
    "compliance": "compliance with the duties of chapters 2–3 per unit and year (`compliance`)",
    "cypher": "read-only ad hoc Cypher at `POST /cypher`",
    "petitioner_identity": "the petitioner's identity and accusation materials (every read audited)",
    "audit_log": "the audit log",
    "saved_queries": "saving named read-only Cypher queries for everyone to run (`/queries`)",
}

# Role -> what it may read. The order of roles is the order they are listed in.
PERMISSIONS: dict[str, frozenset[str]] = {
    "investigator": frozenset({"matters", "compliance"}),
    "personnel": frozenset({"matters", "cadre_records", "honours_roll"}),
    "analyst": frozenset({"matters", "cypher", "saved_queries"}),
    "petition_bureau": frozenset({"matters", "compliance", "petitioner_identity"}),
    "admin": frozenset({"matters", "cypher", "audit_log", "saved_queries"}),
}

ROLES: tuple[str, ...] = tuple(PERMISSIONS)


def known(capability: str) -> str:
    """``capability`` itself, once checked to be in the table (KeyError if not:
    a mistake in the code, never a refusal)."""
    if capability not in CAPABILITIES:
        raise KeyError(f"unknown capability {capability!r}: one of {', '.join(CAPABILITIES)}")
    return capability


def roles_for(capability: str) -> tuple[str, ...]:
    """The roles that may read ``capability``, in table order."""
    known(capability)
    return tuple(role for role, caps in PERMISSIONS.items() if capability in caps)


def allowed(role: str, capability: str) -> bool:
    """Whether ``role`` may read ``capability`` (a capability not in the table: KeyError)."""
    return known(capability) in PERMISSIONS.get(role, frozenset())


def refusal(role: str, capability: str) -> str:
    """The message of a refusal: which roles may, and the caller's."""
    return (f"forbidden: this needs the role {' or '.join(roles_for(capability))}; "
            f"your token has the role {role}")


class Forbidden(PermissionError):
    """The caller's role may not read what it asked for; the message is :func:`refusal`'s."""


def demand(role: str, capability: str) -> None:
    """Refuse (:class:`Forbidden`) unless ``role`` may read ``capability``."""
    if not allowed(role, capability):
        raise Forbidden(refusal(role, capability))


def markdown_table() -> str:
    """The README's roles table: each role with everything it may read."""
    lines = ["| role | sees |", "|---|---|"]
    for role, caps in PERMISSIONS.items():
        lines.append(f"| {role} | {'; '.join(CAPABILITIES[c] for c in CAPABILITIES if c in caps)} |")
    return "\n".join(lines)


class _May(BasePermission):
    """Refuses the field unless the caller's role may read ``capability``."""

    capability: ClassVar[str]

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        # Raised here (not through ``message``) to name the caller's role.
        demand(info.context.principal.role, self.capability)
        return True


@cache
def may(capability: str) -> type[BasePermission]:
    """The strawberry permission class of ``capability``."""
    return type(f"May_{capability}", (_May,), {"capability": known(capability)})  # a typo fails at import


if __name__ == "__main__":  # the README's roles table: python -m zeren.api.roles
    print(markdown_table())
