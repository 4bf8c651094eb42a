"""Many partners' requests at once: the gateway serves them concurrently (each API
invocation in a worker of its own) and moto's DynamoDB, served one request at a time, never
answers a concurrent claim or transaction with a 500."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

pytestmark = pytest.mark.e2e


def test_concurrent_uploads_are_all_accepted_and_each_processed_once(stack):
    bodies = [b"patient_id,scan\n%d,ct\n" % i for i in range(32)]

    def send(body: bytes) -> str:
        ticket = stack.declare(body, filename="burst.csv")
        put = requests.put(ticket["upload"]["url"], data=body, headers=ticket["upload"]["headers"], timeout=10)
        assert put.status_code == 200, put.text
        return str(ticket["file_id"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        file_ids = list(pool.map(send, bodies))
    records = [stack.wait_final(file_id) for file_id in file_ids]

    assert {r["state"] for r in records} == {"processed"}
    assert {r["attempts"] for r in records} == {1}
    s3 = stack.aws("s3")
    for record in records:
        versions = s3.list_object_versions(Bucket=record["output"]["bucket"], Prefix=record["output"]["key"])
        assert len(versions["Versions"]) == 1
