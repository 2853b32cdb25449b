"""The graph stage: schema, the GraphStore protocol and its backends."""
