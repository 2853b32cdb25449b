"""Records, identifiers and errors shared by every stage; imports nothing else from kgmed."""
