"""Resolvers: thin functions from GraphQL arguments to the data-access layer."""
