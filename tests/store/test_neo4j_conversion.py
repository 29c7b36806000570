"""What can be checked of the Neo4j adapter without a server: conversion of
the driver's own result types (built here the way the driver builds them from
the wire), error mapping by Neo4j status code, and Neo4j-only statements."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from neo4j._codec.hydration.bolt.v1.hydration_handler import _GraphHydrator
from neo4j.exceptions import Neo4jError
from neo4j.graph import Node, Path, Relationship
from neo4j.time import Date, DateTime

from zeren.graph.model import NODES
from zeren.graph.store import (ConstraintViolation, QuerySyntaxError, QueryTimeout, ReadOnlyViolation,
                               StoreError)
from zeren.graph.store.base import QueryMemoryExceeded
from zeren.graph.store.neo4j_store import _translate, constraint_ddl, to_plain


@pytest.fixture
def hydrator() -> _GraphHydrator:
    """The driver's hydrator of nodes, relationships and paths (one result's graph)."""
    return _GraphHydrator()


def test_a_driver_date_becomes_a_python_date() -> None:
    got = to_plain(Date(2024, 2, 29))
    assert (got, type(got)) == (date(2024, 2, 29), date)


def test_a_driver_datetime_becomes_a_python_datetime() -> None:
    got = to_plain(DateTime(2024, 2, 29, 8, 30, 0, tzinfo=UTC))
    assert got == datetime(2024, 2, 29, 8, 30, tzinfo=UTC)
    assert type(got) is datetime


def test_a_node_becomes_a_mapping_of_its_sorted_labels_and_plain_properties(hydrator: _GraphHydrator) -> None:
    node = hydrator.hydrate_node(1, ["Person", "Official"], {"id": "p1", "name": "张三", "born": Date(1970, 1, 2),
                                                             "terms": [Date(2020, 1, 1)]}, "4:db:1")
    assert isinstance(node, Node)
    assert to_plain(node) == {"_labels": ["Official", "Person"], "id": "p1", "name": "张三",
                              "born": date(1970, 1, 2), "terms": [date(2020, 1, 1)]}


def test_a_relationship_becomes_a_mapping_of_its_type_and_plain_properties(hydrator: _GraphHydrator) -> None:
    rel = hydrator.hydrate_relationship(7, 1, 2, "HOLDS", {"id": "h1", "valid_from": Date(2021, 3, 1)},
                                        "5:db:7", "4:db:1", "4:db:2")
    assert isinstance(rel, Relationship)
    assert to_plain(rel) == {"_type": "HOLDS", "id": "h1", "valid_from": date(2021, 3, 1)}


def test_a_path_becomes_a_list_alternating_nodes_and_relationships(hydrator: _GraphHydrator) -> None:
    a = hydrator.hydrate_node(1, ["Step"], {"name": "a"}, "4:db:1")
    b = hydrator.hydrate_node(2, ["Step"], {"name": "b"}, "4:db:2")
    c = hydrator.hydrate_node(3, ["Step"], {"name": "c"}, "4:db:3")
    r1 = hydrator.hydrate_unbound_relationship(10, "R", {"w": 1}, "5:db:10")
    r2 = hydrator.hydrate_unbound_relationship(11, "R", {"w": 2}, "5:db:11")
    # a -[r1]-> b <-[r2]- c: the second relationship is walked against its direction
    path = hydrator.hydrate_path([a, b, c], [r1, r2], [1, 1, -2, 2])
    assert isinstance(path, Path)
    assert to_plain(path) == [{"_labels": ["Step"], "name": "a"}, {"_type": "R", "w": 1},
                              {"_labels": ["Step"], "name": "b"}, {"_type": "R", "w": 2},
                              {"_labels": ["Step"], "name": "c"}]


def test_values_inside_lists_and_maps_are_converted(hydrator: _GraphHydrator) -> None:
    node = hydrator.hydrate_node(1, ["Person"], {"id": "p1"}, "4:db:1")
    value = {"people": [node], "on": Date(2020, 1, 1), "n": 3, "s": "x", "nothing": None}
    assert to_plain(value) == {"people": [{"_labels": ["Person"], "id": "p1"}], "on": date(2020, 1, 1), "n": 3,
                               "s": "x", "nothing": None}


@pytest.mark.parametrize(("code", "error"), [
    ("Neo.ClientError.Transaction.TransactionTimedOut", QueryTimeout),
    ("Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration", QueryTimeout),
    ("Neo.ClientError.Statement.AccessMode", ReadOnlyViolation),
    ("Neo.ClientError.General.ForbiddenOnReadOnlyDatabase", ReadOnlyViolation),
    ("Neo.ClientError.Schema.ConstraintValidationFailed", ConstraintViolation),
    ("Neo.ClientError.Statement.SyntaxError", QuerySyntaxError),
    ("Neo.ClientError.Statement.SemanticError", QuerySyntaxError),
    ("Neo.ClientError.Statement.ParameterMissing", QuerySyntaxError),
    ("Neo.ClientError.Procedure.ProcedureNotFound", QuerySyntaxError),
    ("Neo.ClientError.Statement.ArithmeticError", StoreError),
    ("Neo.DatabaseError.General.UnknownError", StoreError),
    ("Neo.TransientError.General.MemoryPoolOutOfMemoryError", QueryMemoryExceeded),
])
def test_a_server_error_maps_to_the_port_error_by_its_status_code(code: str, error: type[StoreError]) -> None:
    got = _translate(Neo4jError._hydrate_neo4j(code=code, message="from the server"))
    assert type(got) is error
    assert "from the server" in str(got)


def test_the_unique_key_statement_is_neo4j_syntax() -> None:
    assert constraint_ddl("Territory", "id") == (
        "CREATE CONSTRAINT territory_id_unique IF NOT EXISTS FOR (n:Territory) REQUIRE n.id IS UNIQUE")


def test_every_node_kind_gets_a_uniquely_named_unique_key_statement() -> None:
    shape = re.compile(r"CREATE CONSTRAINT (\w+) IF NOT EXISTS FOR \(n:(\w+)\) REQUIRE n\.(\w+) IS UNIQUE")
    names = []
    for kind in NODES.values():
        m = shape.fullmatch(constraint_ddl(kind.name, kind.key))
        assert m is not None and m.group(2, 3) == (kind.name, kind.key)
        names.append(m.group(1))
    assert len(set(names)) == len(names)
