"""The mentions stage: named-entity recognition (a BERT tagger; a lexicon tagger)."""
