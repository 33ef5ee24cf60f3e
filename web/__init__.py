"""The plain-HTTP surface beside ``server.py``'s GraphQL endpoint.

``public`` serves the public statistics page and the CSV exports (each route asks ``auth.policy`` about
the GraphQL field it mirrors); ``ws_auth`` authenticates a GraphQL subscription's WebSocket at
``connection_init``.
"""
