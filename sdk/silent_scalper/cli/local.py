"""``scalper local ...``: run the embedded local stack of the backend package."""

from ._backend import passthrough

add_parser = passthrough("local", "run the local stack (needs the backend installed)", "scalper_backend.local.cli")
