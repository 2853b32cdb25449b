"""The ``kgmed`` command line: thin click commands over the library.

Subcommands are imported lazily so that ``kgmed --help`` loads no heavy library.
"""

from __future__ import annotations

import importlib
import logging
import sys
from typing import Any

import click

from kgmed import __version__
from kgmed.core.errors import KgmedError

# command name -> "module:attribute", imported only when the command runs or is described.
COMMANDS: dict[str, str] = {
    "cypher": "kgmed.cli.cypher:cypher",
    "eval": "kgmed.cli.evaluate:evaluate",
    "build": "kgmed.cli.build:build",
    "export": "kgmed.cli.export:export",
    "import": "kgmed.cli.imports:import_",
    "infer": "kgmed.cli.infer:infer",
    "ingest": "kgmed.cli.ingest:ingest",
    "ontology": "kgmed.cli.ontology:ontology",
    "stats": "kgmed.cli.stats:stats",
    "train": "kgmed.cli.train:train",
}


class KgmedGroup(click.Group):
    """A group with lazily imported commands and kgmed's error boundary."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attr = target.split(":")
        command: click.Command = getattr(importlib.import_module(module), attr)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KgmedError as exc:
            if ctx.params.get("debug"):
                raise
            click.echo(f"kgmed: error: {exc.message}", err=True)
            if exc.hint:
                click.echo(f"kgmed: hint: {exc.hint}", err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:  # a bug: say so briefly, keep the traceback for --debug
            if ctx.params.get("debug"):
                raise
            click.echo(f"kgmed: internal error: {type(exc).__name__}: {exc}", err=True)
            click.echo("kgmed: hint: rerun with --debug and report the traceback", err=True)
            ctx.exit(70)


@click.group(cls=KgmedGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kgmed")
@click.option("--debug", is_flag=True, envvar="KGMED_DEBUG", help="Show tracebacks on errors.")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
def main(debug: bool, verbose: int) -> None:
    """kgmed: a medical knowledge graph from literature and notes, with reasoning.

    The graph lives in an embedded store by default (a directory under your data folder);
    --store PATH or KGMED_STORE pick another, and bolt://HOST:7687 uses Neo4j.
    """
    level = (
        logging.DEBUG if (debug or verbose > 1) else logging.INFO if verbose else logging.WARNING
    )
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
