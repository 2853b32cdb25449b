"""Choose the NER decoding (``O`` bias, label propagation) on dev with a model that never saw
dev, and record it.

    python benchmarks/ner_decoding.py --model runs/ner-train8 [--record kgmed/models/ner]

The tagger decodes the best valid BIO sequence (Viterbi over per-word log-probabilities);
adding a bias to the ``O`` log-probability trades recall for precision. Then a name tagged
once in a document may be tagged at its other occurrences (``kgmed.mentions.consistency``;
rules per entity type), and optionally the short forms of tagged long forms (abbreviations the
text defines). Then, at the chosen decoding, the known names (``kgmed.mentions.known_names``):
texts the training splits annotate at least a rate per type of the times they appear are
added where untagged; the names are counted in the training splits only, so dev stays held
out (the shipped model's ``names.tsv`` counts train+dev, like its training). The model is
read once per corpus; every setting is then decoded from the same log-probabilities. Scored: strict micro-F1 on BC5CDR dev and Disease F1
on NCBI-disease dev, both document-level (PubTator); the setting with the best mean is chosen
(ties: fewer rules, then the smaller bias). Beside it: reading each word's argmax (the
decoder before).

``--model`` must not have trained on dev: the shipped model trains on train+dev, so the
decoding is chosen with its train-only sibling (same recipe, `kgmed train ner` without ``--final``)
and recorded in the shipped model's ``kgmed.json`` (``decoding``), which ``BertTagger`` reads.
Results go to docs/benchmarks.md (section "ner-decoding").
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._report import command_line, machine, record_with_model, write_section
from kgmed.documents.pubtator import read_pubtator
from kgmed.evaluation.ner import evaluate_ner
from kgmed.mentions.bert import BertTagger
from kgmed.mentions.bio import viterbi_decode
from kgmed.mentions.known_names import select_names
from kgmed.text.abbreviations import AbbreviationFinder
from kgmed.training.ner import name_counts

GRID = (0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0)
NAME_RATES = (None, 0.5, 0.7, 0.9)  # per type; None: no known names of that type
PROPAGATE: dict[str, dict[str, str]] = {  # name -> rules (entity type -> rule)
    "none": {},
    "majority": {"Chemical": "majority", "Disease": "majority"},
    "chemicals always, diseases majority": {"Chemical": "always", "Disease": "majority"},
}
DEV = {  # name -> (file under the data dir, types scored)
    "BC5CDR dev": ("bc5cdr/CDR_DevelopmentSet.PubTator.txt", ("Chemical", "Disease")),
    "NCBI-disease dev": ("ncbi_disease/NCBIdevelopset_corpus.txt", ("Disease",)),
}


class Decoded:
    """A tagger whose model ran once: ``tag_texts`` decodes stored log-probabilities."""

    def __init__(self, tagger: BertTagger, texts: list[tuple[str, str]]) -> None:
        self.tagger, self.texts = tagger, texts
        self.units = tagger.text_units(texts)
        self.scores = tagger.word_log_probs([words for _, _, words in self.units])
        self.bias: float | None = 0.0  # None: each word's argmax, the decoder before
        finder = AbbreviationFinder()
        self.long_forms = [finder.long_forms(text) for _, text in texts]

    def tag_texts(self, texts: list[tuple[str, str]]) -> list:
        assert texts == self.texts
        labels = self.tagger.labels
        if self.bias is None:
            tags = [[labels[i] for i in s.argmax(1)] for s in self.scores]
        else:
            tags = viterbi_decode(self.scores, labels, self.bias)
        found = self.tagger.mentions(texts, self.units, tags)
        return self.tagger.propagated(texts, found, self.long_forms)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, required=True, help="a model not trained on dev")
    parser.add_argument(
        "--record", type=Path, help="model folder whose kgmed.json gets the decoding"
    )
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    args = parser.parse_args()
    tagger = BertTagger(
        args.model,
        quantize=False,
        threads=2,
        o_bias=0.0,
        propagate={},
        abbreviations=False,
        names={},
    )

    # (O bias or None for argmax, propagation rule set, through abbreviations)
    Setting = tuple[float | None, str, bool]
    settings: list[Setting] = [(None, "none", False)]
    settings += [(b, rules, abbr) for abbr in (False, True) for rules in PROPAGATE for b in GRID]
    table: dict[str, dict[Setting, dict]] = {}
    decoders = {}
    for name, (rel, types) in DEV.items():
        path = args.data_dir / rel
        docs = read_pubtator(path)
        decoded = Decoded(tagger, [(d.document.id, d.document.text) for d in docs])
        decoders[name] = decoded
        table[name] = {}
        for setting in settings:
            decoded.bias = setting[0]
            tagger.propagate, tagger.abbreviations = PROPAGATE[setting[1]], setting[2]
            table[name][setting] = evaluate_ner(path, types=types, instance=decoded)
            print(name, setting, json.dumps(table[name][setting]["micro"]))

    def objective(setting: Setting) -> float:
        return sum(table[name][setting]["micro"]["f1"] for name in DEV) / len(DEV)

    order = list(PROPAGATE)
    best = max(
        settings[1:],
        key=lambda st: (round(objective(st), 6), -st[2], -order.index(st[1]), -(st[0] or 0.0)),
    )
    # stage 2, at the chosen decoding: known names per type, counted in the training splits
    counts = name_counts(args.data_dir, final=False)
    NameSetting = tuple[float | None, float | None]  # (Chemical rate, Disease rate)
    name_settings: list[NameSetting] = [(c, d) for c in NAME_RATES for d in NAME_RATES]

    def rates(ns: NameSetting) -> dict[str, float]:
        return {t: r for t, r in zip(("Chemical", "Disease"), ns, strict=True) if r is not None}

    name_table: dict[str, dict[NameSetting, dict]] = {}
    tagger.propagate, tagger.abbreviations = PROPAGATE[best[1]], best[2]
    for name, (rel, types) in DEV.items():
        decoders[name].bias = best[0]
        name_table[name] = {}
        for ns in name_settings:
            tagger.names = select_names(counts, rates(ns))
            result = evaluate_ner(args.data_dir / rel, types=types, instance=decoders[name])
            name_table[name][ns] = result
            print(name, "names", ns, json.dumps(result["micro"]))
    tagger.names = {}

    def name_objective(ns: NameSetting) -> float:
        return sum(name_table[n][ns]["micro"]["f1"] for n in DEV) / len(DEV)

    # ties: fewer types with names, then the higher (stricter) rates
    best_names = max(
        name_settings,
        key=lambda ns: (
            round(name_objective(ns), 6),
            -sum(r is not None for r in ns),
            sum(r or 0.0 for r in ns),
        ),
    )
    name_rows = []
    for ns in name_settings:
        label = ", ".join(
            f"{t} {'off' if r is None else f'≥ {r:g}'}"
            for t, r in zip(("Chemical", "Disease"), ns, strict=True)
        )
        cells = []
        for n in DEV:
            m = name_table[n][ns]["micro"]
            cells.append(f"{100 * m['f1']:.2f} (P {100 * m['p']:.2f} / R {100 * m['r']:.2f})")
        mark = " **chosen**" if ns == best_names else ""
        name_rows.append(
            f"| {label}{mark} | {' | '.join(cells)} | {100 * name_objective(ns):.2f} |"
        )

    rows = []
    for setting in settings:
        bias, rules, abbr = setting
        label = (
            "per-word argmax (before)"
            if bias is None
            else f"Viterbi, O bias {bias:g}, propagation: {rules}"
            + (", through abbreviations" if abbr else "")
        )
        cells = []
        for name in DEV:
            m = table[name][setting]["micro"]
            cells.append(f"{100 * m['f1']:.2f} (P {100 * m['p']:.2f} / R {100 * m['r']:.2f})")
        mark = " **chosen**" if setting == best else ""
        rows.append(f"| {label}{mark} | {' | '.join(cells)} | {100 * objective(setting):.2f} |")

    if args.record:
        decoding = {
            "method": "viterbi",
            "o_bias": best[0],
            "propagate": PROPAGATE[best[1]],
            "abbreviations": best[2],
            "names": rates(best_names),
            "chosen_with": args.model.name,
            "data": ", ".join(DEV),
            "dev_f1": {
                name: round(100 * name_table[name][best_names]["micro"]["f1"], 2) for name in DEV
            },
        }
        record_with_model(args.record, "decoding", decoding)

    body = f"""## NER decoding (`benchmarks/ner_decoding.py`)

Command: `{command_line()}`. Machine: {machine()}. Model: `{args.model}` (the shipped recipe
and data without the development sets, so dev is held out); strict F1 on dev (BC5CDR: micro
over Chemical and Disease; NCBI-disease: Disease), whole documents. The setting with the best
mean of the two is recorded with the shipped model (`kgmed.json`, `decoding`) and used by `BertTagger`; test
figures are in the NER section.

| decoder | {" | ".join(DEV)} | mean |
| --- | --- | --- | --- |
{chr(10).join(rows)}

Constrained decoding removes the spans an `I-` tag without its `B-` started; the `O` bias
trades recall (the model's stronger side) for precision. Propagation copies a mention's label
to the other whole-word, same-case occurrences of its text in the document that no mention
covers: "always", or "majority" (only when the tagger tagged the text at least as often as it
left it out). "Through abbreviations": then the short form of a tagged long form (scispaCy's
Schwartz-Hearst detector) is tagged with its label wherever it appears untagged. Sentence-level
test sets (the BIO files) give neither a document to work in.

Known names, at the chosen decoding above: a text the training splits (BC5CDR and NCBI-disease
train, PubTator) annotate with one type at least the given share of the times it appears as a
whole word (occurrences counted in the documents of corpora that annotate the type) is tagged
wherever it is left untagged, longest first; texts under three characters never. {len(counts):,}
names counted. The chosen rates are recorded with the decoding (`names`); the shipped model's
counts (`names.tsv`, `kgmed train ner-names --final`) come from train+dev, like its training.

| known names (rate per type) | {" | ".join(DEV)} | mean |
| --- | --- | --- | --- |
{chr(10).join(name_rows)}
"""
    write_section("ner-decoding", body)
    print(body)


if __name__ == "__main__":
    main()
