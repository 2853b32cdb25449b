"""The text stage: tokens, sentences, windows (and, for notes, sections and assertion status)."""
