"""``scalper admin ...``: operators' commands (partner onboarding) of the backend package."""

from ._backend import passthrough

add_parser = passthrough(
    "admin", "onboard and manage partners (operators; needs the backend)", "scalper_backend.admin.cli"
)
