"""Authentication (who is calling: ``tokens``, ``principal``), the one field policy (what they may read:
``policy``), the guards that present a stored row to the policy (``guards``) and the schema extension that
applies it to every resolver (``enforce``)."""
