"""Abbreviations defined in a text ("acute kidney injury (AKI)"), with scispaCy's
AbbreviationDetector (Schwartz & Hearst), so a short form links like its long form."""

from __future__ import annotations


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
            doc = self.nlp(text)
        return {a.text: a._.long_form.text for a in doc._.abbreviations}
