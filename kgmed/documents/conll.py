"""CoNLL/BIO files: one ``token<TAB>tag`` per line, a blank line between sentences.

The BC5CDR and NCBI-disease BIO files used by BioBERT/BLUE/BLURB are in this format.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kgmed.core.errors import DataError


@dataclass(frozen=True)
class TaggedSentence:
    tokens: tuple[str, ...]
    tags: tuple[str, ...]


def read_conll(path: Path, *, label_map: dict[str, str] | None = None) -> list[TaggedSentence]:
    """Read a BIO file. ``label_map`` renames entity types (``{"Disease": "Disease"}``)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path} is not UTF-8 text (byte {exc.start})") from exc
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror}") from exc
    sentences: list[TaggedSentence] = []
    tokens: list[str] = []
    tags: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            if tokens:
                sentences.append(TaggedSentence(tuple(tokens), tags=tuple(tags)))
                tokens, tags = [], []
            continue
        parts = line.split("\t")
        if len(parts) < 2:
            raise DataError(f"{path}:{number}: expected 'token<TAB>tag', got {line!r}")
        token, tag = parts[0], parts[-1].strip()
        if tag != "O":
            prefix, _, etype = tag.partition("-")
            if prefix not in ("B", "I") or not etype:
                raise DataError(f"{path}:{number}: bad BIO tag {tag!r}")
            if label_map is not None:
                etype = label_map.get(etype, etype)
            tag = f"{prefix}-{etype}"
        tokens.append(token)
        tags.append(tag)
    if tokens:
        sentences.append(TaggedSentence(tuple(tokens), tuple(tags)))
    if not sentences:
        raise DataError(f"{path} holds no sentences")
    return sentences
