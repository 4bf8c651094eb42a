"""``scalper admin ...``: operators' commands (partners, reprocessing, the dead-letter queue) of the backend."""

from ._backend import passthrough

add_parser = passthrough(
    "admin", "partners, reprocessing, the dead-letter queue (operators; needs the backend)", "scalper_backend.admin.cli"
)
