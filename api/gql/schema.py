"""The GraphQL schema: the root query assembled from the domain modules, with
the limits and caches every request goes through."""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfoHelpers
from strawberry import Schema
from strawberry import field as gql_field
from strawberry import type as gql_type
from strawberry.extensions import (AddValidationRules, MaskErrors, MaxTokensLimiter, ParserCache,
                                   ValidationCache)
from strawberry.extensions.max_aliases import create_validator as max_aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as max_depth_rule
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types import ExecutionContext as StrawberryExecutionContext

from zeren.api.roles import may
from zeren.api.security import AuditUnavailable
from zeren.config import Settings
from zeren.rules.engine import EngineError
from zeren.rules.facts import NotFound

from . import compliance, institutions, matters, people, search

# Errors whose message is meant for the caller; anything else is masked.
VISIBLE_ERRORS = (NotFound, EngineError, PermissionError, AuditUnavailable)

# Who may read each root field: zeren.api.roles.PERMISSIONS, through these.
MATTERS = [may("matters")]


@gql_type(description="Who bore which responsibility for petition matters, on which provision, through which chain.")
class Query:
    matter = gql_field(resolver=matters.matter, description="A petition matter by id.", permission_classes=MATTERS)
    matters = gql_field(resolver=matters.matters, permission_classes=MATTERS,
                        description="Matters, newest first, filtered, with cursor pagination (first, after).")
    institution = gql_field(resolver=institutions.institution, description="An institution by id.",
                            permission_classes=MATTERS)
    search = gql_field(resolver=search.search, permission_classes=MATTERS,
                       description="Matters (id, title), persons (name), institutions (name) and territories (name, "
                                   "division code) matching a text, partial Chinese included; best first, with "
                                   "cursor pagination (first, after).")
    person = gql_field(resolver=people.person, description="A person: tenures and cadre record.",
                       permission_classes=MATTERS)
    failure = gql_field(resolver=people.failure, description="Accountability for a recorded failure.",
                        permission_classes=MATTERS)
    honours_disqualified = gql_field(
        resolver=people.honours_disqualified, permission_classes=[may("honours_roll")],
        description="Regions, departments and units disqualified from comprehensive honours in a year (art. 14; "
                    "personnel only).")
    provision = gql_field(resolver=people.provision, description="A provision of a regulation, with its exact text.",
                          permission_classes=MATTERS)
    counterfactual = gql_field(resolver=people.counterfactual, permission_classes=MATTERS,
                               description="An evaluation with stated changes, without writing to the graph.")
    compliance = gql_field(
        resolver=compliance.compliance, permission_classes=[may("compliance")],
        description="Each duty of chapters 2-3 (supervision, assessment, leaders' own petition work, risk assessment, "
                    "…) of every region, department and system of a territory in a year: met, unmet or unknown, "
                    "with the facts and the provision (investigators, supervision teams, petition bureaus).")
    audit_log = gql_field(resolver=people.audit_log, description="Reads of protected fields (admin only).",
                          permission_classes=[may("audit_log")])


def _visible(error: GraphQLError) -> bool:
    """Request errors (syntax, validation, variable coercion: no path) and the
    caller's own mistakes are shown; anything else raised in a resolver is masked."""
    original = error.original_error
    return error.path is None or original is None or isinstance(original, VISIBLE_ERRORS)


class ExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's execution context without its reference cycle.

    graphql-core keeps ``async_helpers``, bound methods of the execution
    context, on the execution context itself: a cycle, so the context and
    everything it reaches (the request's ``Context`` with its DataLoaders and
    their rows, the variables) outlived every request until a collection of
    the oldest generation, which comes rarely (a soak grew by about 0.4 MB a
    minute; docs/reliability.md, "Memory under load"). The helpers here call
    the execution context through a weak reference; resolvers see the same
    ``gather`` and ``track``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ref = weakref.ref(self)

        def gather(values: Sequence[Any]) -> Any:
            return ref().gather_async_work(values)  # type: ignore[union-attr]

        def track(values: Sequence[Any]) -> None:
            ref().track_async_work(values)  # type: ignore[union-attr]

        self.async_helpers = GraphQLResolveInfoHelpers(gather=gather, track=track)


def drop_tracebacks(error: BaseException) -> None:
    """Forget the tracebacks of an error, its original error and their causes.
    A traceback holds the frames it passed through, and they hold the error:
    a cycle that kept each failed request's context until a full collection."""
    seen: set[int] = set()
    stack: list[BaseException | None] = [error]
    while stack:
        e = stack.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        e.__traceback__ = None
        stack += [e.__cause__, e.__context__, getattr(e, "original_error", None)]


class ZerenSchema(Schema):
    """The schema; errors are logged (with their tracebacks) as strawberry
    does, then their tracebacks are dropped (see ``drop_tracebacks``)."""

    def process_errors(self, errors: list[GraphQLError],
                       execution_context: StrawberryExecutionContext | None = None) -> None:
        super().process_errors(errors, execution_context)
        for error in errors:
            drop_tracebacks(error)


def build_schema(settings: Settings) -> Schema:
    # The depth and alias limits are validation rules built once per schema:
    # QueryDepthLimiter and MaxAliasesLimiter build a new rule class on every
    # request, and ValidationCache keys on the rules, so it never hit and every
    # trace paid a full validation (measured: 4.6 ms of the event loop's time
    # per trace under the profiler). Same rules, same messages.
    rules = [max_depth_rule(settings.graphql_max_depth, None, None), max_aliases_rule(settings.graphql_max_aliases)]
    return ZerenSchema(
        query=Query,
        execution_context_class=ExecutionContext,
        extensions=[
            lambda: AddValidationRules(rules),
            lambda: MaxTokensLimiter(max_token_count=settings.graphql_max_tokens),
            lambda: ParserCache(maxsize=256),
            lambda: ValidationCache(maxsize=256),
            lambda: MaskErrors(should_mask_error=lambda e: not _visible(e),
                               error_message="internal error: the request could not be completed"),
        ],
    )
