"""Fit the DDI decision threshold of a relation model on the DDI dev split and record it.

    python benchmarks/ddi_threshold.py [--model kgmed/models/re] [--data-dir ../shared/data]

A pair interacts when p(any interaction) reaches the threshold, then takes its most probable
type (``kgmed.relations.model.interaction_labels``). The dev split is the one training holds
out of DDI 2013 train (``kgmed.training.re._ddi_dev``), so the test set is never read. Training
stores the same threshold (``calibrate``); this script sets it for a model trained before that.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kgmed.documents.ddi import read_ddi
from kgmed.evaluation.re import TaskData, best_interaction_threshold, score
from kgmed.relations.candidates import ddi_candidates
from kgmed.relations.model import RelationClassifier, softmax
from kgmed.resources import model_dir
from kgmed.training.re import _ddi_dev


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, default=model_dir("re"))
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    args = parser.parse_args()
    sentences = read_ddi(args.data_dir / "ddi_corpus_2013/DDICorpus-2013.zip", "train")
    dev = TaskData("ddi", ddi_candidates([s for s in sentences if _ddi_dev(s.id)]), None)
    classifier = RelationClassifier(args.model, threads=2)
    info = classifier.tasks["ddi"]
    logits = classifier.logits([c.text for c in dev.candidates], "ddi")
    labels = [info.labels.index(c.label) for c in dev.candidates]
    threshold = best_interaction_threshold(softmax(logits / info.temperature), labels)
    before = score(classifier, dev, threshold=None) if info.threshold is None else None
    after = score(classifier, dev, threshold=threshold)
    path = args.model / "relations.json"
    meta = json.loads(path.read_text())
    meta["tasks"]["ddi"]["threshold"] = threshold
    path.write_text(json.dumps(meta, indent=2) + "\n")
    if before is not None:
        print(f"DDI dev micro-F1 with the argmax: {before['f1']:.4f}")
    print(f"DDI dev micro-F1 at p(any interaction) >= {threshold:.3f}: {after['f1']:.4f}")
    print(f"recorded in {path}")


if __name__ == "__main__":
    main()
