"""One settings object, read from the environment (prefix ``ZEREN_``) and
validated once at start-up."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import platformdirs
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

BACKEND_SCHEMES = ("embedded", "falkordb://", "falkordbs://", "redis://", "rediss://", "unix://",
                   "bolt://", "bolt+s://", "bolt+ssc://", "neo4j://", "neo4j+s://", "neo4j+ssc://")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ZEREN_", extra="ignore")

    graph: str = Field("embedded", description="'embedded', a FalkorDB URL (falkordb://, redis://, unix://) "
                                                "or a Neo4j URI (bolt://, neo4j://, neo4j+s://)")
    data_dir: Path = Field(default_factory=lambda: Path(platformdirs.user_data_dir("zeren")),
                           description="private folder of the embedded store, keys and audit log")
    graph_name: str = Field("zeren", pattern=r"^[A-Za-z][A-Za-z0-9_]{0,62}$",
                            description="graph (FalkorDB) name")
    neo4j_user: str = "neo4j"
    neo4j_password: str = ""
    neo4j_database: str = "neo4j"
    query_timeout_ms: int = Field(10_000, ge=100, le=3_600_000, description="default per-query timeout")
    max_timeout_ms: int = Field(600_000, ge=1000, description="hard ceiling of any query's timeout")
    query_memory_mb: int = Field(2048, ge=16, description="memory cap of one query (embedded store)")
    resultset_size: int = Field(1_000_000, ge=1000, description="row ceiling of one result (embedded store)")
    max_queued_queries: int = Field(256, ge=1)
    store_query_threads: int = Field(1, ge=1, le=256,
                                     description="threads one query may use in the embedded store's matrix "
                                                 "engine (FalkorDB's OMP_THREAD_COUNT)")
    batch_size: int = Field(10_000, ge=1, le=100_000, description="rows per UNWIND batch when loading")
    secret_key: str | None = Field(None, description="key protecting petitioner identity (Fernet, base64); "
                                                     "default: generated once into the data folder")

    # The service.
    host: str = Field("127.0.0.1", description="address the API listens on")
    port: int = Field(8000, ge=0, le=65535)
    workers: int = Field(1, ge=1, le=256, description="processes serving the API (zeren serve; more than one: "
                                                      "granian's workers, each with a listening socket of its own)")
    cypher_timeout_ms: int = Field(5_000, ge=10, description="timeout of an analyst's ad hoc Cypher query")
    cypher_max_rows: int = Field(10_000, ge=1, description="rows returned at most by an ad hoc Cypher query")
    cypher_max_length: int = Field(20_000, ge=100, description="characters of an ad hoc Cypher query at most")
    cypher_max_range: int = Field(1_000_000, ge=1, description="elements an ad hoc Cypher query's range() calls "
                                                               "may build, their lengths multiplied")
    cypher_replica: bool = Field(True, description="serve ad hoc Cypher on the embedded store from a read replica "
                                                   "of its own, killed and restarted when it outgrows "
                                                   "cypher_store_max_mb (the main store is never touched)")
    cypher_store_max_mb: int = Field(1024, ge=16, description="memory the ad hoc replica may hold above the main "
                                                             "store's resident memory before it is killed")
    organisation_cache: bool = Field(True, description="hold the organisation a trace reads (institutions, teams, "
                                                       "vertical lines, chains of territories) in each worker's "
                                                       "memory, emptied when a load finishes")
    organisation_cache_max_posts: int = Field(500_000, ge=1, description="posts the organisation held in memory "
                                                                         "may hold (about 2 KB each with their "
                                                                         "tenures and divisions) before it is "
                                                                         "emptied and read again as traces reach it")
    max_body_bytes: int = Field(1024 * 1024, ge=1024, description="bytes of a request body at most (413 above)")
    graphql_max_depth: int = Field(12, ge=2)
    graphql_max_aliases: int = Field(30, ge=1)
    graphql_max_tokens: int = Field(4_000, ge=100)
    graphql_page_max: int = Field(200, ge=1, description="largest page of a connection")

    @field_validator("graph")
    @classmethod
    def _known_backend(cls, v: str) -> str:
        if not v.startswith(BACKEND_SCHEMES):
            raise ValueError(f"unknown graph backend {v!r}: use 'embedded', a FalkorDB URL "
                             "(falkordb://host:port) or a Neo4j URI (bolt://, neo4j://, neo4j+s://)")
        return v

    @model_validator(mode="after")
    def _timeouts_consistent(self) -> Settings:
        if self.query_timeout_ms > self.max_timeout_ms:
            raise ValueError(f"query_timeout_ms ({self.query_timeout_ms}) is above the maximum, max_timeout_ms ({self.max_timeout_ms})")
        if self.cypher_timeout_ms > self.max_timeout_ms:
            raise ValueError(f"cypher_timeout_ms ({self.cypher_timeout_ms}) is above the maximum, max_timeout_ms ({self.max_timeout_ms})")
        return self

    @property
    def backend(self) -> str:
        if self.graph == "embedded":
            return "embedded"
        if self.graph.startswith(("bolt", "neo4j")):
            return "neo4j"
        return "falkordb"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
