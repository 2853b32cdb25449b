"""De-identification of clinical notes before any text reaches the graph.

Rule-based, in the spirit of the PhysioNet deid tool: patterns for e-mail addresses, URLs,
phone and fax numbers, US social security numbers, medical record / account numbers, dates,
street addresses and ZIP codes, and person names introduced by a title (Dr., Mrs.), a field
label (Patient:, Name:) or a relation word (wife, son); a name found once is removed wherever
else it occurs in the note. Each finding is replaced by a typed placeholder (``[NAME]``), so
later offsets index the de-identified text. Recall is measured on notes with planted
identifiers (``tests/fixtures/notes``; ``benchmarks/ingest.py`` records it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_NAME = r"(?:[A-Z]')?[A-Z][a-z]+(?:-[A-Z][a-z]+)?"
_FULL_NAME = rf"{_NAME}(?:[ \t]+[A-Z]\.)?(?:[ \t]+{_NAME}){{0,2}}"
_STREET = (
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|"
    r"Terrace|Circle|Parkway|Highway|Hwy)\.?"
)

PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("EMAIL", re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")),
    ("URL", re.compile(r"\bhttps?://\S+|\bwww\.\S+", re.I)),
    ("SSN", re.compile(r"\b\d{3}-\d{2}-\d{4}\b")),
    (
        "ID",
        re.compile(
            r"\b(?:MRN|Medical\s+Record(?:\s+(?:Number|No\.?))?|Record\s+(?:Number|No\.?|#)|"
            r"Account(?:\s+(?:Number|No\.?))?|Acct\.?|Patient\s+ID|ID)\s*(?:#|:|is)?\s*"
            r"(?P<value>[A-Z]{0,3}-?\d[\dA-Z-]{3,})",
            re.I,
        ),
    ),
    (
        "PHONE",
        re.compile(r"(?<!\d)(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]\d{4}(?!\d)"),
    ),
    (
        "DATE",
        re.compile(
            rf"\b\d{{1,2}}[/-]\d{{1,2}}[/-]\d{{2,4}}\b|\b\d{{4}}-\d{{2}}-\d{{2}}\b|"
            rf"\b{_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b|"
            rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}\.?,?\s+\d{{4}}\b|"
            rf"\b{_MONTH}\.?\s+\d{{4}}\b"
        ),
    ),
    (
        "ADDRESS",
        re.compile(
            rf"\b\d{{1,5}}\s+(?:[A-Z][a-z]+\s+){{1,3}}{_STREET}"
            rf"(?:,?\s+(?:Apt|Suite|Unit)\.?\s*\w+)?"
            rf"(?:,\s*[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)?(?:,\s*[A-Z]{{2}})?(?:\s+\d{{5}}(?:-\d{{4}})?)?"
        ),
    ),
    ("ZIP", re.compile(r"\b[A-Z]{2}\s+\d{5}(?:-\d{4})?\b")),
    (
        "NAME",
        re.compile(rf"\b(?:Mr|Mrs|Ms|Miss|Dr|Prof)\.?\s+(?P<value>{_FULL_NAME})"),
    ),
    (
        "NAME",
        re.compile(
            rf"\b(?:Patient|Pt|Name|Patient\s+name|Seen\s+by|Attending|Physician|PCP|"
            rf"Signed|Dictated\s+by|Contact|Emergency\s+contact)\s*:?\s+(?P<value>{_FULL_NAME})"
        ),
    ),
    (
        "NAME",
        re.compile(
            rf"\b(?i:wife|husband|son|daughter|mother|father|sister|brother|partner|friend),?\s+"
            rf"(?P<value>{_FULL_NAME})"
        ),
    ),
    (
        "NAME",
        re.compile(rf"(?P<value>{_NAME}[ \t]+{_NAME})\s+is\s+an?\s+\d{{1,3}}[- ]year[- ]old"),
    ),
]
_NOT_NAMES = {
    "Patient",
    "The",
    "He",
    "She",
    "They",
    "This",
    "History",
    "Chief",
    "Complaint",
    "No",
    "Denies",
    "Reports",
    "Presents",
    "Was",
    "Is",
    "Has",
    "Dr",
    "Mr",
    "Mrs",
    "Ms",
    "Prof",
}


@dataclass(frozen=True)
class Finding:
    start: int
    end: int
    kind: str
    text: str


def find_identifiers(text: str) -> list[Finding]:
    """Every identifier span (non-overlapping, longest first at one position)."""
    found: list[Finding] = []
    names: set[str] = set()
    for kind, pattern in PATTERNS:
        for m in pattern.finditer(text):
            if "value" in pattern.groupindex and m.group("value"):
                start, end = m.span("value")
            else:
                start, end = m.span()
            value = text[start:end]
            if kind == "NAME":
                words = [w for w in re.split(r"\s+", value) if w.rstrip(".") not in _NOT_NAMES]
                if not words:
                    continue
                names.update(w for w in words if len(w) > 2 and not w.endswith("."))
            found.append(Finding(start, end, kind, value))
    for name in names:  # a name found once is removed everywhere in the note
        for m in re.finditer(rf"\b{re.escape(name)}\b", text):
            found.append(Finding(m.start(), m.end(), "NAME", m.group()))
    found.sort(key=lambda f: (f.start, -(f.end - f.start)))
    out: list[Finding] = []
    for f in found:
        if out and f.start < out[-1].end:
            if f.end > out[-1].end:  # merge overlaps into one span
                last = out[-1]
                out[-1] = Finding(last.start, f.end, last.kind, text[last.start : f.end])
            continue
        out.append(f)
    return out


def deidentify(text: str) -> tuple[str, list[Finding]]:
    """The text with each identifier replaced by ``[KIND]``, and the findings."""
    findings = find_identifiers(text)
    parts, last = [], 0
    for f in findings:
        parts.append(text[last : f.start])
        parts.append(f"[{f.kind}]")
        last = f.end
    parts.append(text[last:])
    return "".join(parts), findings
