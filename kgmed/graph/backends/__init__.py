"""Graph store backends: ``embedded`` (LadybugDB, the default) and ``neo4j`` (Bolt)."""
