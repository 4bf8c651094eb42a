"""``scalper admin``: operators' commands, the same against AWS and against the local stack.

``target.py`` finds the partners table and usage plan (a deployed stack's outputs, or the
local stack's names); ``cli.py`` is the command line over ``onboarding.py``.
"""
