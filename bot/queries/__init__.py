"""Read-only queries that return plain rows for the console's templates and the CLI."""
