"""``python -m kgmed`` runs the CLI."""

from kgmed.cli import main

main()
