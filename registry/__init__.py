"""Runtime plumbing of the registry.

At the bottom of the layers, used by everything: ``config`` (settings from the environment), ``errors``
(the error codes clients see), ``ids``, ``database`` (pools and the embedded PostgreSQL), ``migrate`` and
``secret_files``. At the top, beside ``server.py``: ``services`` (the keys and verifiers a process builds
at start-up) and ``cli`` (the ``registry`` command, one module per command group).
"""
