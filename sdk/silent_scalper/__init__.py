"""Silent Scalper: upload files and follow them until they are processed.

from silent_scalper import Client

with Client() as client:  # SCALPER_ENDPOINT, SCALPER_API_KEY
    record = client.wait(client.upload("scan-report.csv").file_id)
"""

from ._auth import ApiKeyAuth
from ._client import Client
from ._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
    ScalperError,
    UnsupportedMediaTypeError,
    UploadError,
    WaitTimeoutError,
)
from ._version import __version__
from .files import Files
from .models import (
    FileDetails,
    FilePage,
    FileRecord,
    FileState,
    OutputLocation,
    ProcessingError,
    QuarantineLocation,
    Reason,
    UploadTarget,
    UploadTicket,
)
from .uploads import Uploads

__all__ = [
    "APIConnectionError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "ApiKeyAuth",
    "AuthenticationError",
    "BadRequestError",
    "Client",
    "ConfigurationError",
    "ConflictError",
    "FileDetails",
    "FilePage",
    "FileRecord",
    "FileState",
    "Files",
    "InternalServerError",
    "NotFoundError",
    "OutputLocation",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "ProcessingError",
    "QuarantineLocation",
    "RateLimitError",
    "Reason",
    "ScalperError",
    "UnsupportedMediaTypeError",
    "UploadError",
    "UploadTarget",
    "UploadTicket",
    "Uploads",
    "WaitTimeoutError",
    "__version__",
]
