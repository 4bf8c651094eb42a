"""The processor's memory on a large file: it runs in a fresh interpreter against a moto
server in this process, on a generated CSV, and reports how far its peak (``VmHWM``) rose
above what it held once imported with its clients built. Used by
tests/backend/test_streaming.py and bench/processor.py."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import boto3
from moto.server import ThreadedMotoServer

from scalper_backend.adapters.clients import AwsClients
from scalper_backend.api.schemas import UploadRequest
from scalper_backend.config import Settings
from scalper_backend.dependencies import Dependencies
from scalper_backend.local.provision import provision
from scalper_backend.local.template import Template
from scalper_backend.records import object_key
from scalper_backend.uploads import create_upload

MIB = 2**20
_ROW = b'p-0000001,north,"follow-up in six weeks; stable overnight, observations every four hours"\n'
_CHILD = """
import json, sys
from scalper_backend.dependencies import dependencies
from scalper_backend.notifications import S3ObjectRef

def kib(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field))

processor = dependencies().processor
processor.objects._client.list_buckets()  # clients built before the baseline
processor.files.get("acme", "f_00000000000000000000000000")
before = kib("VmRSS:")
state = processor.process(S3ObjectRef(bucket=sys.argv[1], key=sys.argv[2]))
print(json.dumps({"state": state, "before_kib": before, "peak_kib": kib("VmHWM:")}))
"""


@dataclass(frozen=True)
class Measured:
    state: str
    growth_mib: float  # the peak above the baseline, while processing
    peak_mib: float  # the process's whole peak, interpreter and libraries included
    output_mib: float
    output_etag: str


@contextmanager
def moto_with_template(template: Template) -> Iterator[None]:
    """A moto server holding the template's resources; this process's AWS clients (and the
    children it starts) reach it through ``AWS_ENDPOINT_URL``, with fake credentials."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    fake = {
        "AWS_ENDPOINT_URL": "http://{}:{}".format(*server.get_host_and_port()),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    saved = {name: os.environ.get(name) for name in (*fake, "AWS_ENDPOINT_URL_S3", "AWS_SESSION_TOKEN", "AWS_PROFILE")}
    for name in saved:
        os.environ.pop(name, None)
    os.environ.update(fake)
    try:
        provision(template, {n: boto3.client(n) for n in ("s3", "sqs", "dynamodb", "sns", "kms", "apigateway")})
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        server.stop()


def process_in_a_child(template: Template, size: int) -> Measured:
    """Declare and upload a CSV of about ``size`` bytes, and process it in a fresh interpreter."""
    deps = Dependencies(Settings.from_env(template.function_environment("ProcessorFunction")), AwsClients.create())
    body = b"patient_ref,clinic,note\n" + _ROW * (size // len(_ROW))
    request = UploadRequest(
        filename="big.csv", size=len(body), content_type="text/csv", sha256=hashlib.sha256(body).hexdigest()
    )
    rules = deps.rules.for_partner("acme")
    ticket = create_upload(request, "acme", settings=deps.settings, rules=rules, files=deps.files, objects=deps.objects)
    key = object_key("acme", ticket.file_id)
    deps.clients.s3.upload_fileobj(io.BytesIO(body), deps.settings.input_bucket, key)
    del body
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, deps.settings.input_bucket, key],
        env={**os.environ, **template.function_environment("ProcessorFunction")},
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    record = deps.files.get("acme", ticket.file_id)
    assert record is not None and record.output is not None, record
    head = deps.clients.s3.head_object(Bucket=record.output.bucket, Key=record.output.key)
    return Measured(
        state=measured["state"],
        growth_mib=(measured["peak_kib"] - measured["before_kib"]) / 1024,
        peak_mib=measured["peak_kib"] / 1024,
        output_mib=head["ContentLength"] / MIB,
        output_etag=head["ETag"].strip('"'),
    )
