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


if __name__ == "__main__":  # pragma: no cover
    app()
