"""kgmed: a medical knowledge-graph reasoning engine.

Importing the package does no work: no files, no network, no heavy libraries.
"""

__version__ = "0.1.0"
