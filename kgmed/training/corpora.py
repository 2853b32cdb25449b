"""The annotated corpora under the shared data folder, read with their held-out documents left
out (the linker's dictionary and the NER model's BioRED data use the same rule)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from kgmed.core.errors import DataError
from kgmed.documents.pubtator import AnnotatedDocument, iter_pubtator


def corpus_file(data_dir: Path, rel: str) -> Path:
    path = data_dir / rel
    if not path.is_file():
        raise DataError(f"{path} not found", hint="point --data-dir at the shared data folder")
    return path


def documents_outside(
    data_dir: Path, sources: Iterable[str], held_out: Iterable[str]
) -> Iterator[AnnotatedDocument]:
    """The PubTator documents of ``sources`` whose ids none of the ``held_out`` files hold
    (those are read for their ids only)."""
    excluded = {
        d.document.id for rel in held_out for d in iter_pubtator(corpus_file(data_dir, rel))
    }
    for rel in sources:
        for doc in iter_pubtator(corpus_file(data_dir, rel)):
            if doc.document.id not in excluded:
                yield doc
