"""Ad hoc, read-only Cypher for analysts. Read-only is enforced by the server
(FalkorDB's GRAPH.RO_QUERY; READ access mode on Neo4j), with a timeout, the
store's memory limit and a row cap applied while rows arrive; ``range()``
calls, which FalkorDB builds whole before any limit is checked, are bounded
before the query runs (``zeren.graph.adhoc``); on the embedded store the
query runs on a read replica whose memory a watchdog caps, since FalkorDB
cannot stop one expression's growth (``zeren.graph.store.replica``); the graph holds only ciphertext and pseudonyms of protected fields,
so an analyst never sees a petitioner's identity."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from zeren.api.deps import ServicesDep, require
from zeren.api.roles import roles_for
from zeren.api.security import Principal
from zeren.graph.adhoc import AdHocRefused, TooLarge, Unclosed, check_before_running
from zeren.graph.store.base import (QueryMemoryExceeded, QuerySyntaxError, QueryTimeout, ReadOnlyViolation,
                                    ReadResult, StoreError)
from zeren.graph.store.replica import RETRY_AFTER_S, ReplicaDisabled, ReplicaKilled, ReplicaUnavailable

router = APIRouter()


class CypherRequest(BaseModel):
    query: str = Field(description="a read-only Cypher query")
    parameters: dict[str, Any] = Field(default_factory=dict, description="query parameters ($name)")


class CypherResponse(BaseModel):
    columns: list[str]
    rows: list[list[Any]]
    truncated: bool = Field(description="true when more rows matched than the row cap allows")
    row_cap: int


def jsonable(v: Any) -> Any:
    if isinstance(v, (date, datetime)):
        return v.isoformat()
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    return v


@router.post("/cypher", response_model=CypherResponse, tags=["analysts"],
             summary=f"Run a read-only Cypher query ({', '.join(roles_for('cypher'))})")
async def run_cypher(body: CypherRequest, services: ServicesDep,
                     _: Annotated[Principal, Depends(require("cypher"))]) -> CypherResponse:
    s = services.settings
    if not body.query.strip():
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "the query is empty")
    if len(body.query) > s.cypher_max_length:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE,
                            f"the query is longer than {s.cypher_max_length} characters")
    try:
        check_before_running(body.query, body.parameters, s.cypher_max_range)
    except Unclosed as e:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"the query is not valid Cypher: {e}") from None
    except TooLarge as e:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"refused before running: {e}") from None
    except AdHocRefused as e:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"refused before running: {e}") from None
    try:
        result = await _read_only((services.adhoc or services.store).read_only, body.query, body.parameters,
                                  timeout_ms=s.cypher_timeout_ms, max_rows=s.cypher_max_rows)
    except ReadOnlyViolation:
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            "refused: only read queries are allowed here; the graph is unchanged") from None
    except QueryTimeout:
        raise HTTPException(status.HTTP_504_GATEWAY_TIMEOUT,
                            f"the query ran past the time limit of {s.cypher_timeout_ms} ms and was stopped") from None
    except QueryMemoryExceeded:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            "the query needed more memory than one query may use and was stopped") from None
    except ReplicaKilled:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            "the query needed more memory than an ad hoc query may use; it was stopped (the ad hoc "
                            "store it ran on was restarted; a query running beside it at that moment gets this "
                            "answer too)") from None
    except ReplicaDisabled as e:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(e), headers={"Retry-After": "60"}) from None
    except ReplicaUnavailable:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                            "the ad hoc store is restarting after a query outgrew its memory; try again shortly",
                            headers={"Retry-After": str(RETRY_AFTER_S)}) from None
    except QuerySyntaxError as e:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"the query is not valid Cypher: {_first_line(e)}") from None
    except StoreError as e:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"the query failed: {_first_line(e)}") from None
    return CypherResponse(columns=result.columns, rows=jsonable(result.rows), truncated=result.truncated,
                          row_cap=s.cypher_max_rows)


async def _read_only(read: Callable[..., ReadResult], *args: Any, **kwargs: Any) -> ReadResult:
    """``read`` in the thread pool. A store error raised there carried a
    traceback through the pool's frame, which holds the error: a reference
    cycle per refused query, left to the garbage collector. It is raised on
    without that traceback."""
    try:
        return await run_in_threadpool(read, *args, **kwargs)
    except StoreError as e:
        e.__traceback__ = None
        raise


def _first_line(e: Exception) -> str:
    return str(e).splitlines()[0][:300] if str(e) else type(e).__name__
