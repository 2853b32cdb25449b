"""Abbreviations defined in a text ("acute kidney injury (AKI)"), with scispaCy's
AbbreviationDetector (Schwartz & Hearst), so a short form links like its long form.

The detector only sees a definition whose parentheses close on the short form and stand
apart from the next word. Abstracts often write "nitroglycerin (NTG)-induced", "phenobarbital
(PB: 15 mg/kg)" or "propylthiouracil (PTU, 300 mg)"; the detector reads a copy of the text in
which such a ``)-`` becomes ``) `` and such a ``:``, ``;`` or ``,`` after a short form becomes
``)``. The copy has the same length, so the long forms are cut from the original text at the
detector's offsets."""

from __future__ import annotations

import re

# "(NTG)-induced" -> "(NTG) induced"; "(PB: 15" / "(PTU, 300" / "(MA; n" -> "(PB) 15" ...
_CLOSE_THEN_HYPHEN = re.compile(r"(\([^\s()]{1,10}\))-(?=\w)")
_SHORT_FORM_THEN_PUNCT = re.compile(r"(\([^\s()\[\],;:]{1,10})[,;:](?=\s)")


def detector_text(text: str) -> str:
    """``text`` with the definitions above made readable to the detector; same length."""
    out = _CLOSE_THEN_HYPHEN.sub(r"\1 ", text)
    out = _SHORT_FORM_THEN_PUNCT.sub(r"\1)", out)
    assert len(out) == len(text)
    return out


class AbbreviationFinder:
    def __init__(self) -> None:
        import spacy
        from scispacy.abbreviation import AbbreviationDetector  # noqa: F401  (registers it)

        self.nlp = spacy.blank("en")
        self.nlp.add_pipe("abbreviation_detector")

    def long_forms(self, text: str) -> dict[str, str]:
        """Short form -> long form for every abbreviation the text defines."""
        if "(" not in text:
            return {}
        import warnings

        with warnings.catch_warnings():  # scispaCy's global matcher warns when it has no rules
            warnings.simplefilter("ignore", UserWarning)
            doc = self.nlp(detector_text(text))
        out: dict[str, str] = {}
        for a in doc._.abbreviations:
            long = a._.long_form
            out[text[a.start_char : a.end_char]] = text[long.start_char : long.end_char]
        return out
