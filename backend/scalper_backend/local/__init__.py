"""The embedded local stack: the same handlers, on one machine, against moto in server mode.

``template.py`` reads template.yaml (names and wiring), ``provision.py`` creates its
resources in moto, ``runtime.py`` invokes handlers like Lambda does, ``gateway.py`` plays
API Gateway, ``poller.py`` plays the SQS event source mapping, and ``stack.py`` runs them
together; ``cli.py`` is ``scalper local``.
"""
