"""The SDK and the backend are separate distributions with their own models of the same
payloads; these tests keep the two descriptions of the wire format in step."""

from __future__ import annotations

import pytest

import silent_scalper.models as sdk
from scalper_backend.api import schemas
from scalper_backend.models import FileState, Reason
from scalper_backend.records import Attempt, FileDetails, ObjectLocation, OutputLocation, ProcessingError

PAIRS = [
    (schemas.FileView, sdk.FileRecord),
    (schemas.FilePage, sdk.FilePage),
    (schemas.UploadTicket, sdk.UploadTicket),
    (schemas.UploadTarget, sdk.UploadTarget),
    (schemas.UploadRequest, sdk.UploadRequest),
    (schemas.PartChecksum, sdk.PartChecksum),
    (schemas.PartTarget, sdk.PartTarget),
    (schemas.MultipartTarget, sdk.MultipartTarget),
    (schemas.PartsRequest, sdk.PartsRequest),
    (schemas.PartsTicket, sdk.PartUrls),
    (schemas.CompletedPart, sdk.CompletedPart),
    (schemas.CompleteRequest, sdk.CompleteRequest),
    (schemas.ErrorDetail, sdk.ErrorDetail),
    (schemas.ErrorBody, sdk.ErrorResponse),
    (FileDetails, sdk.FileDetails),
    (OutputLocation, sdk.OutputLocation),
    (ObjectLocation, sdk.QuarantineLocation),
    (ProcessingError, sdk.ProcessingError),
    (Reason, sdk.Reason),
    (Attempt, sdk.Attempt),
]


@pytest.mark.parametrize(("server", "client"), PAIRS, ids=[p[0].__name__ for p in PAIRS])
def test_sdk_model_has_exactly_the_servers_fields(server, client):
    assert set(client.model_fields) == set(server.model_fields)


def test_sdk_knows_every_file_state():
    assert {s.value for s in sdk.FileState} == {s.value for s in FileState}
