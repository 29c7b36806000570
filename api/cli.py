"""The ``zeren`` command. Each command is thin: it parses options and calls the
module that does the work."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="zeren (责任): the petition-work responsibility graph.")

GraphOpt = Annotated[Optional[str], typer.Option(
    "--graph", help="'embedded' (default), a FalkorDB URL or a Neo4j URI; overrides ZEREN_GRAPH.")]


def _settings(graph: str | None):  # type: ignore[no-untyped-def]
    from zeren.graph.settings import Settings

    return Settings(graph=graph) if graph else Settings()


@app.command()
def load(path: Annotated[Path, typer.Argument(help="folder of CSV/JSONL files, or an .xlsx workbook")],
         graph: GraphOpt = None,
         max_errors: Annotated[int, typer.Option(help="errors listed before the report is cut")] = 50) -> None:
    """Validate and load a folder (or workbook) of input files into the graph."""
    from zeren.loaders.load import cli_load

    raise typer.Exit(cli_load(path, _settings(graph), max_errors=max_errors))


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


if __name__ == "__main__":  # pragma: no cover
    app()
