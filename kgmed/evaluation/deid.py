"""De-identification recall on notes with planted identifiers (JSON lines with ``text`` and
``identifiers``): an identifier counts as removed when neither it nor any of its words longer
than two letters is left in the de-identified text."""

from __future__ import annotations

import json
import re
from pathlib import Path


def deidentification_recall(path: Path) -> tuple[int, int]:
    """(identifiers removed, identifiers planted)."""
    from kgmed.text.deid import deidentify

    found = total = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        clean, _ = deidentify(record["text"])
        for identifier in record["identifiers"]:
            total += 1
            words = [w for w in re.findall(r"[A-Za-z][A-Za-z']+", identifier) if len(w) > 2]
            left = identifier in clean or any(
                re.search(rf"(?<![\w']){re.escape(w)}(?![\w'])", clean) for w in words
            )
            found += not left
    return found, total
