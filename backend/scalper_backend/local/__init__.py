"""The embedded local stack: the same handlers, on one machine, against moto in server mode.

``template.py`` reads template.yaml (names and wiring), ``provision.py`` creates its
resources in moto, ``runtime.py`` invokes handlers like Lambda does, ``gateway.py`` plays
API Gateway (one per API of the template) with ``api_keys.py`` and ``sigv4.py`` (over
``iam_identities.py``, moto's IAM and STS) for auth, ``throttle.py`` for rate limits,
``gateway_responses.py`` for its own answers and ``proxy_event.py`` for the events
handlers get; ``poller.py`` plays the SQS event source mapping, and ``stack.py`` runs them
together; ``cli.py`` is ``scalper local``.
"""
