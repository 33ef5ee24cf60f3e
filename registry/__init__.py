"""Runtime plumbing of the registry: configuration, database, migrations, CLI."""
