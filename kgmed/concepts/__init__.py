"""The concepts stage: ontology readers and (later) linking of mentions to concepts."""
