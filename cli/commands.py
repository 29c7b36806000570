"""The ``zeren`` command. Each command is thin: it parses options and calls the
module that does the work. A store that cannot be reached and settings that
do not hold are reported in one line (``main``), with a non-zero exit."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="zeren (责任): the petition-work responsibility graph.")

GraphOpt = Annotated[Optional[str], typer.Option(
    "--graph", help="'embedded' (default), a FalkorDB URL or a Neo4j URI; overrides ZEREN_GRAPH.")]


def _settings(graph: str | None):  # type: ignore[no-untyped-def]
    from zeren.config import Settings

    return Settings(graph=graph) if graph else Settings()


@app.command()
def load(path: Annotated[Path, typer.Argument(help="folder of CSV/JSONL files, or an .xlsx workbook")],
         graph: GraphOpt = None,
         max_errors: Annotated[int, typer.Option(help="errors listed before the report is cut")] = 50,
         bulk: Annotated[Optional[Path], typer.Option(
             "--bulk", metavar="NEO4J_HOME", help="first load into a new, empty Neo4j database: validate, then "
             "neo4j-admin database import into NEO4J_HOME/data (server stopped); then 'zeren setup-schema'")] = None,
         neo4j_lib: Annotated[Optional[Path], typer.Option(
             help="with --bulk: the folder of Neo4j's jars (default NEO4J_HOME/lib)")] = None,
         compress: Annotated[bool, typer.Option(
             "--compress", help="with --bulk: gzip the importer's files (under a quarter of their disk space, "
             "for up to a third more CPU writing them)")] = False,
         force: Annotated[bool, typer.Option(
             "--force", help="load even when every file is as the last finished load read it (by SHA-256); "
             "without it such a load validates and writes nothing")] = False) -> None:
    """Validate and load a folder (or workbook) of input files into the graph."""
    if bulk is not None:
        from zeren.loaders.bulk import cli_bulk_load

        raise typer.Exit(cli_bulk_load(path, bulk, _settings(graph), lib=neo4j_lib, max_errors=max_errors,
                                       compress=compress))
    from zeren.loaders.load import cli_load

    raise typer.Exit(cli_load(path, _settings(graph), max_errors=max_errors, force=force))


@app.command("setup-schema")
def setup_schema(graph: GraphOpt = None) -> None:
    """Create the graph's indexes and constraints (idempotent; after a bulk load, once the server serves it)."""
    from zeren.graph.store import open_store
    from zeren.loaders.bulk import finish

    with open_store(_settings(graph)) as store:
        finish(store)


@app.command()
def generate(out: Annotated[Path, typer.Option("--out", help="folder to write")],
             scale: Annotated[float, typer.Option("--scale", help="scale factor; 1 = national scale")] = 0.01,
             seed: Annotated[int, typer.Option("--seed")] = 1) -> None:
    """Write a synthetic national dataset in the input format, deterministic by seed."""
    from zeren.loaders.generate import cli_generate

    raise typer.Exit(cli_generate(out, scale=scale, seed=seed))


@app.command()
def sample(graph: GraphOpt = None) -> None:
    """Load the regulations and the bundled sample data (a slice of Chongqing), and print what was loaded."""
    from zeren.loaders.load import cli_sample

    raise typer.Exit(cli_sample(_settings(graph)))


@app.command()
def trace(matter_id: Annotated[str, typer.Argument(help="id of the petition matter")],
          failure: Annotated[Optional[str], typer.Option("--failure", help="id of a recorded failure")] = None,
          as_of: Annotated[Optional[str], typer.Option("--as-of", help="date YYYY-MM-DD (default: the matter's "
                                                                        "date, or the act's date for a failure)")] = None,
          as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of tables")] = False,
          graph: GraphOpt = None) -> None:
    """Who bore which responsibility for a matter, through which chain, on which article, and what follows."""
    import json

    from rich.console import Console

    from zeren.graph.store import open_store
    from zeren.rules.engine import Engine, EngineError, NotFound
    from zeren.rules.render import print_evaluation

    err = Console(stderr=True)
    with open_store(_settings(graph)) as store:
        try:
            ev = Engine(store).trace(matter_id, as_of=as_of, failure_id=failure)
        except (NotFound, EngineError) as e:
            err.print(f"[red]error:[/red] {e}")
            raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps(ev.as_dict(), ensure_ascii=False, indent=2))
    else:
        print_evaluation(ev, Console(width=160))


@app.command()
def compliance(territory: Annotated[str, typer.Argument(help="territory code, e.g. 500103")],
               year: Annotated[int, typer.Argument(help="year, e.g. 2019")],
               status: Annotated[Optional[str], typer.Option("--status", help="only MET, UNMET or UNKNOWN")] = None,
               facts: Annotated[bool, typer.Option("--facts/--no-facts", help="list the facts of each duty")] = True,
               as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of tables")] = False,
               graph: GraphOpt = None) -> None:
    """Each duty of chapters 2-3 of every region, department and system of a territory in a year: met, unmet or
    unknown, with the facts and the provision."""
    import json

    from rich.console import Console

    from zeren.graph.records import ComplianceStatus
    from zeren.graph.store import open_store
    from zeren.rules.engine import Engine, EngineError, NotFound
    from zeren.rules.render import render_compliance

    err = Console(stderr=True)
    if status is not None and status.upper() not in {str(s) for s in ComplianceStatus}:
        err.print(f"[red]error:[/red] --status {status!r} is not one of {', '.join(ComplianceStatus)}")
        raise typer.Exit(2)
    with open_store(_settings(graph)) as store:
        try:
            report = Engine(store).compliance(territory, year)
        except (NotFound, EngineError) as e:
            err.print(f"[red]error:[/red] {e}")
            raise typer.Exit(2) from None
    if status is not None:
        for u in report.units:
            u.duties = [d for d in u.duties if d.status == status.upper()]
        report.units = [u for u in report.units if u.duties]
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        Console(width=160).print(render_compliance(report, show_facts=facts))


from zeren.cli.admin import audit_command, token_app  # noqa: E402

app.add_typer(token_app, name="token", help="Issue, list and revoke API tokens.")
app.command("audit")(audit_command)


@app.command()
def schema() -> None:
    """Print the GraphQL schema (SDL)."""
    from zeren.api.gql.schema import build_schema

    typer.echo(str(build_schema(_settings(None))))


@app.command()
def serve(graph: GraphOpt = None,
          host: Annotated[Optional[str], typer.Option(help="address to listen on (default 127.0.0.1)")] = None,
          port: Annotated[Optional[int], typer.Option(help="port (default 8000; 0: any free one)")] = None,
          workers: Annotated[Optional[int], typer.Option(
              min=1, max=256, help="processes serving (default ZEREN_WORKERS or 1); one: uvicorn in this "
                                   "process; more: granian's workers, each with a listening socket of its own "
                                   "(SO_REUSEPORT)")] = None,
          log_level: Annotated[str, typer.Option(
              help="log level: critical, error, warning, info, debug or trace")] = "info",
          access_log: Annotated[bool, typer.Option("--access-log/--no-access-log",
                                                   help="log every request")] = True) -> None:
    """Serve the GraphQL and Cypher API over the configured store."""
    settings = _settings(graph)
    if settings.backend != "embedded":
        # Reach the store before serving: one that cannot be reached stops here,
        # in one line, not in a worker's start-up traceback.
        from zeren.graph.store import open_store

        open_store(settings).close()
    _serve(settings, host, port, workers, log_level=log_level, access_log=access_log)


def _serve(settings, host: str | None, port: int | None, workers: int | None,  # type: ignore[no-untyped-def]
           log_level: str = "info", access_log: bool = True) -> None:
    """Serve the app: with uvicorn in this process with one worker, with
    granian's workers (``zeren.api.workers``) with more."""
    host, port, workers = host or settings.host, settings.port if port is None else port, workers or settings.workers
    if workers > 1:
        from zeren.api.workers import serve as serve_workers

        raise typer.Exit(serve_workers(settings, host, port, workers, log_level=log_level, access_log=access_log))
    import uvicorn

    from zeren.api.accesslog import uvicorn_log_config
    from zeren.api.app import create_app

    uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level, access_log=access_log,
                log_config=uvicorn_log_config())


@app.command()
def demo(host: Annotated[Optional[str], typer.Option(help="address to listen on (default 127.0.0.1)")] = None,
         port: Annotated[Optional[int], typer.Option(help="port (default 8000)")] = None,
         workers: Annotated[Optional[int], typer.Option(min=1, max=256, help="processes serving (as for "
                                                                            "'zeren serve')")] = None,
         serve_api: Annotated[bool, typer.Option("--serve/--no-serve", help="serve after loading")] = True) -> None:
    """Set up the embedded store, load the regulations and the sample data, issue demo tokens and serve."""
    from zeren.api.security import ROLES, TokenStore
    from zeren.config import Settings
    from zeren.loaders.load import cli_sample

    settings = Settings(graph="embedded")
    code = cli_sample(settings)
    if code:
        raise typer.Exit(code)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    tokens = TokenStore(settings.data_dir / "zeren.db")
    host, port = host or settings.host, port or settings.port
    issued = {role: tokens.issue(f"demo {role}", role)[1] for role in ROLES}
    typer.echo("Demo tokens, one per role (shown once; revoke with 'zeren token revoke ID'):")
    for role, token in issued.items():
        typer.echo(f"  {role:<16} {token}")
    typer.echo(f"Workbench 工作台: http://{host}:{port}/  (open it in a browser and sign in with a token above, "
               "e.g. the investigator's)")
    typer.echo(f"GraphQL:  http://{host}:{port}/graphql  (send 'Authorization: Bearer <token>')")
    typer.echo(f"GraphiQL: http://{host}:{port}/graphql  (the same sign-in)")
    typer.echo(f"API docs: http://{host}:{port}/docs and /redoc  (the same sign-in)")
    typer.echo(f"Cypher:   POST http://{host}:{port}/cypher with the analyst token")
    if serve_api:
        _serve(settings, host, port, workers)


def main() -> None:
    """The ``zeren`` command: the app, with a store that cannot be reached or
    settings that do not hold reported in one line on stderr (exit 1)."""
    from pydantic import ValidationError

    from zeren.graph.store import StoreError

    try:
        app()
    except StoreError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
    except ValidationError as e:
        problems = "; ".join(f"{'.'.join(str(x) for x in err['loc']) or 'settings'}: "
                             f"{err['msg'].removeprefix('Value error, ')}" for err in e.errors())
        print(f"error: invalid settings: {problems}", file=sys.stderr)
        sys.exit(1)
