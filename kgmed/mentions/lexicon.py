"""A dictionary tagger: longest match of ontology names and synonyms over word tokens.

Built from ``(phrase, label)`` entries (the pipeline supplies them from the Disease Ontology,
Symptom Ontology and DrugBank vocabulary). It is the baseline beside the BERT tagger and the
tagger for symptom phrases, which the NER corpora do not annotate. Matching is
case-insensitive over the same word tokens as the corpora; phrases shorter than three
characters, bare numbers and a few very common English words are left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from kgmed.core.records import Mention
from kgmed.text.tokens import Span, longest_matches, sentence_spans, word_spans

NAME = "kgmed.lexicon_tagger.v1"
MAX_PHRASE_WORDS = 8
# Vocabulary entries that are mostly ordinary words in running text.
_COMMON = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "be",
        "by",
        "can",
        "for",
        "from",
        "had",
        "has",
        "have",
        "in",
        "is",
        "it",
        "may",
        "no",
        "not",
        "of",
        "on",
        "or",
        "the",
        "to",
        "was",
        "were",
        "with",
        "all",
        "also",
        "both",
        "each",
        "other",
        "this",
        "that",
        "these",
        "those",
        "then",
        "than",
        "will",
        "would",
        "patient",
        "patients",
        "study",
        "group",
        "control",
        "case",
        "cases",
        "normal",
        "water",
        "salt",
        "air",
        "oxygen",
        "iron",
        "lead",
        "gold",
        "silver",
        "tin",
        "copper",
        "zinc",
        "sodium",
        "potassium",
        "calcium",
        "magnesium",
        "acid",
        "base",
        "alcohol",
        "sugar",
        "glucose",
        "protein",
        "fat",
        "drug",
        "drugs",
        "treatment",
        "therapy",
        "dose",
        "doses",
        "effect",
        "effects",
        "disease",
        "diseases",
        "syndrome",
        "disorder",
        "pain",
    ]
)


class LexiconTagger:
    """Tags texts or pre-tokenized sentences with the longest matching lexicon phrase."""

    name = NAME

    def __init__(
        self,
        entries: Iterable[tuple[str, str]],
        *,
        priority: Sequence[str] = ("Disease", "Symptom", "Chemical"),
    ):
        rank = {label: i for i, label in enumerate(priority)}
        self._phrases: dict[tuple[str, ...], str] = {}
        for phrase, label in entries:
            key = tuple(w.lower() for w in _words(phrase))
            if not key or len(key) > MAX_PHRASE_WORDS or len(phrase.strip()) < 3:
                continue
            if len(key) == 1 and (key[0] in _COMMON or key[0].isdigit()):
                continue
            current = self._phrases.get(key)
            if current is None or rank.get(label, 99) < rank.get(current, 99):
                self._phrases[key] = label

    def __len__(self) -> int:
        return len(self._phrases)

    def _match(self, lowered: list[str]) -> list[tuple[int, int, str]]:
        return longest_matches(
            len(lowered), lambda a, b: self._phrases.get(tuple(lowered[a:b])), MAX_PHRASE_WORDS
        )

    def tag_words(
        self, sentences: Sequence[Sequence[str]], *, label_map: dict[str, str] | None = None
    ) -> list[list[str]]:
        """BIO tags per word; ``label_map`` renames labels (e.g. Symptom -> Disease for BC5CDR)."""
        out = []
        for words in sentences:
            tags = ["O"] * len(words)
            for a, b, label in self._match([w.lower() for w in words]):
                label = (label_map or {}).get(label, label)
                tags[a] = f"B-{label}"
                for k in range(a + 1, b):
                    tags[k] = f"I-{label}"
            out.append(tags)
        return out

    def tag_texts(self, texts: Sequence[tuple[str, str]]) -> list[list[Mention]]:
        out = []
        for doc_id, text in texts:
            mentions = []
            for sentence in sentence_spans(text):
                spans: list[Span] = word_spans(text, sentence.start, sentence.end)
                lowered = [text[s.start : s.end].lower() for s in spans]
                for a, b, label in self._match(lowered):
                    start, end = spans[a].start, spans[b - 1].end
                    mentions.append(
                        Mention(doc_id, start, end, text[start:end], label, (), 1.0, NAME)
                    )
            out.append(mentions)
        return out


def _words(phrase: str) -> list[str]:
    return [phrase[s.start : s.end] for s in word_spans(phrase)]
