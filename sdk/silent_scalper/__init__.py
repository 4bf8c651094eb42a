"""Silent Scalper: upload files and follow them until they are processed.

from silent_scalper import Client

with Client() as client:  # SCALPER_ENDPOINT, SCALPER_API_KEY
    record = client.wait(client.upload("examples/data/patients.csv").file_id)
    results = client.upload_many("examples/data")
    finals = list(client.wait_many(r.file_id for r in results if r.ok))
"""

from ._auth import ApiKeyAuth
from ._client import Client
from ._exceptions import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    FileReadError,
    InternalServerError,
    InvalidArgumentError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
    ScalperError,
    UnsupportedMediaTypeError,
    UploadError,
    WaitTimeoutError,
)
from ._journal import FileJournal, Journal, MemoryJournal
from ._progress import Progress
from ._version import __version__
from .files import Files
from .models import (
    FileDetails,
    FilePage,
    FileRecord,
    FileState,
    MultipartTarget,
    OutputLocation,
    PartTarget,
    ProcessingError,
    QuarantineLocation,
    Reason,
    UploadTarget,
    UploadTicket,
)
from .uploads import UploadResult, Uploads

__all__ = [
    "APIConnectionError",
    "APIError",
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
    "FileJournal",
    "FilePage",
    "FileReadError",
    "FileRecord",
    "FileState",
    "Files",
    "InternalServerError",
    "InvalidArgumentError",
    "Journal",
    "MemoryJournal",
    "MultipartTarget",
    "NotFoundError",
    "OutputLocation",
    "PartTarget",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "ProcessingError",
    "Progress",
    "QuarantineLocation",
    "RateLimitError",
    "Reason",
    "ScalperError",
    "UnsupportedMediaTypeError",
    "UploadError",
    "UploadResult",
    "UploadTarget",
    "UploadTicket",
    "Uploads",
    "WaitTimeoutError",
    "__version__",
]
