"""Log fields for an exception, safe for logs that must never carry file contents.

The one implementation lives with the inspection package, which logs parser failures
too; backend modules import it from here.
"""

from scalper_inspection.errors import exception_fields

__all__ = ["exception_fields"]
