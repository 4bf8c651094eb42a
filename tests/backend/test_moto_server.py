"""The local stack's moto server (``moto_service.py`` serves it in a process of its own)
keeps DynamoDB's promises that moto alone does not: a conditional write or a transaction is
atomic, and a cancelled transaction undoes its own writes and nobody else's; and its SQS
answers the same, faster, with nothing lost or delivered twice under concurrency; and it
keeps connections open between requests."""

from __future__ import annotations

import contextlib
import copy
import http.client
import json
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from scalper_backend.local.moto_server import MotoServer

LOOPBACK = "127.0.0.1"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    server = MotoServer()
    try:
        yield f"http://{LOOPBACK}:{server.start(LOOPBACK, 0)}"
    finally:
        server.stop()


def _client(service: str, endpoint: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(max_pool_connections=20, retries={"max_attempts": 1}),
    )


@pytest.fixture(scope="module")
def dynamodb(endpoint) -> Any:
    return _client("dynamodb", endpoint)


@pytest.fixture
def table(dynamodb, request) -> str:
    name = f"t-{request.node.name[:40]}"
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


def _key(sk: str) -> dict[str, Any]:
    return {"pk": {"S": "p"}, "sk": {"S": sk}}


def _in_threads(count: int, work: Any) -> None:
    threads = [threading.Thread(target=work, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_a_conditional_claim_has_exactly_one_winner_among_concurrent_claims(dynamodb, table):
    items = [f"file-{i}" for i in range(120)]
    for sk in items:
        dynamodb.put_item(TableName=table, Item={**_key(sk), "state": {"S": "pending"}})
    wins: list[str] = []

    def claim(n: int) -> None:
        for sk in items:
            try:
                dynamodb.update_item(
                    TableName=table,
                    Key=_key(sk),
                    UpdateExpression="SET #s = :claimed, claimer = :me",
                    ConditionExpression="#s = :pending",
                    ExpressionAttributeNames={"#s": "state"},
                    ExpressionAttributeValues={
                        ":claimed": {"S": "claimed"},
                        ":pending": {"S": "pending"},
                        ":me": {"N": str(n)},
                    },
                )
                wins.append(sk)
            except ClientError as err:
                assert err.response["Error"]["Code"] == "ConditionalCheckFailedException"

    _in_threads(8, claim)

    assert sorted(wins) == sorted(items)


def test_a_cancelled_transaction_undoes_its_own_writes(dynamodb, table):
    dynamodb.put_item(TableName=table, Item={**_key("a"), "v": {"N": "1"}})
    dynamodb.put_item(TableName=table, Item={**_key("taken"), "v": {"N": "1"}})

    with pytest.raises(ClientError, match="TransactionCanceled"):
        dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": table,
                        "Key": _key("a"),
                        "UpdateExpression": "SET v = :two",
                        "ExpressionAttributeValues": {":two": {"N": "2"}},
                    }
                },
                {"Put": {"TableName": table, "Item": {**_key("new"), "v": {"N": "1"}}}},
                {
                    "Put": {
                        "TableName": table,
                        "Item": {**_key("taken"), "v": {"N": "9"}},
                        "ConditionExpression": "attribute_not_exists(sk)",
                    }
                },
            ]
        )

    assert dynamodb.get_item(TableName=table, Key=_key("a"))["Item"]["v"] == {"N": "1"}
    assert "Item" not in dynamodb.get_item(TableName=table, Key=_key("new"))
    assert dynamodb.get_item(TableName=table, Key=_key("taken"))["Item"]["v"] == {"N": "1"}


def test_writes_made_while_other_transactions_are_cancelled_are_kept(dynamodb, table):
    # moto copies a whole table to roll a transaction back, and restored that copy over
    # whatever other requests wrote meanwhile: a table of some size makes the window wide.
    for i in range(300):
        dynamodb.put_item(TableName=table, Item={**_key(f"old-{i}"), "pad": {"S": "x" * 200}})
    dynamodb.put_item(TableName=table, Item=_key("taken"))

    def work(n: int) -> None:
        for i in range(60):
            if n == 0:  # transactions that are always cancelled (moto restored whole tables)
                with contextlib.suppress(ClientError):
                    dynamodb.transact_write_items(
                        TransactItems=[
                            {
                                "Put": {
                                    "TableName": table,
                                    "Item": _key("taken"),
                                    "ConditionExpression": "attribute_not_exists(sk)",
                                }
                            }
                        ]
                    )
            else:
                dynamodb.put_item(TableName=table, Item=_key(f"w{n}-{i}"))

    _in_threads(4, work)

    count = dynamodb.scan(TableName=table, Select="COUNT")["Count"]
    assert count == 300 + 1 + 3 * 60


def test_concurrent_transactions_never_fail_for_a_reason_dynamodb_would_not_give(dynamodb, table):
    # moto's transaction deep-copied the tables it touched while other requests changed
    # them (RuntimeError: a 500 to the handler); served one at a time, every one succeeds.
    for i in range(200):
        dynamodb.put_item(TableName=table, Item={**_key(f"old-{i}"), "pad": {"S": "x" * 100}})
    errors: list[str] = []

    def work(n: int) -> None:
        for i in range(40):
            try:
                dynamodb.transact_write_items(
                    TransactItems=[
                        {
                            "Put": {
                                "TableName": table,
                                "Item": _key(f"t{n}-{i}"),
                                "ConditionExpression": "attribute_not_exists(sk)",
                            }
                        },
                        {"Put": {"TableName": table, "Item": _key(f"u{n}-{i}")}},
                    ]
                )
            except ClientError as err:
                errors.append(err.response["Error"]["Code"])

    _in_threads(6, work)

    assert errors == []
    assert dynamodb.scan(TableName=table, Select="COUNT")["Count"] == 200 + 6 * 40 * 2



def test_a_transaction_saves_the_items_it_names_not_whole_tables(dynamodb, table, monkeypatch):
    # moto deep-copied every table a transaction touched (to roll back), so a declaration
    # cost grew with the number of files held; the copies that remain are of items.
    for i in range(50):
        dynamodb.put_item(TableName=table, Item=_key(f"old-{i}"))
    copies: list[str] = []
    deepcopy = copy.deepcopy

    def spy(value: Any, memo: Any = None) -> Any:
        copied = deepcopy(value, memo)
        copies.append(type(value).__name__ if copied is not value else "(kept)")
        return copied

    monkeypatch.setattr(copy, "deepcopy", spy)
    dynamodb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": table, "Item": _key("new"), "ConditionExpression": "attribute_not_exists(sk)"}},
            {"Put": {"TableName": table, "Item": _key("other")}},
        ]
    )
    monkeypatch.undo()

    assert "Table" not in copies
    assert dynamodb.scan(TableName=table, Select="COUNT")["Count"] == 52


def test_a_queues_attributes_read_as_moto_computes_them(endpoint):
    sqs = _client("sqs", endpoint)
    dead = sqs.create_queue(QueueName="dead")["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = f'{{"deadLetterTargetArn": "{dead_arn}", "maxReceiveCount": "5"}}'
    created = sqs.create_queue(QueueName="work", Attributes={"RedrivePolicy": redrive, "VisibilityTimeout": "7"})
    url = created["QueueUrl"]
    for n in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=str(n))
    sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)

    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]

    counts = (attributes["ApproximateNumberOfMessages"], attributes["ApproximateNumberOfMessagesNotVisible"])
    assert counts == ("2", "1")
    assert attributes["VisibilityTimeout"] == "7"
    assert json.loads(attributes["RedrivePolicy"])["deadLetterTargetArn"] == dead_arn
    assert attributes["QueueArn"].endswith(":work")
    assert "FifoQueue" not in attributes
    fifo = sqs.create_queue(
        QueueName="work.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"}
    )
    fifo_attributes = sqs.get_queue_attributes(QueueUrl=fifo["QueueUrl"], AttributeNames=["All"])["Attributes"]
    assert (fifo_attributes["FifoQueue"], fifo_attributes["ContentBasedDeduplication"]) == ("true", "true")
    sqs.send_message(QueueUrl=fifo["QueueUrl"], MessageBody="once", MessageGroupId="g")
    sqs.send_message(QueueUrl=fifo["QueueUrl"], MessageBody="once", MessageGroupId="g")  # deduplicated by content
    received = sqs.receive_message(QueueUrl=fifo["QueueUrl"], MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in received] == ["once"]


def test_concurrent_sends_receives_and_deletes_lose_and_revive_nothing(endpoint):
    # moto's DeleteMessage rebuilt the message list from a snapshot: a concurrent delete
    # put back the message the other removed (in flight until the visibility timeout) and
    # a message sent meanwhile was dropped.
    # A backlog makes each delete's pass over the queue long, as in a spike.
    sqs = _client("sqs", endpoint)
    url = sqs.create_queue(QueueName="busy", Attributes={"VisibilityTimeout": "600"})["QueueUrl"]
    backlog = [f"b{n}" for n in range(2000)]
    for start in range(0, len(backlog), 10):
        entries = [{"Id": str(i), "MessageBody": body} for i, body in enumerate(backlog[start : start + 10])]
        sqs.send_message_batch(QueueUrl=url, Entries=entries)
    sent = [f"m{n}" for n in range(400)]
    received: list[str] = []

    def work(n: int) -> None:
        if n < 2:  # senders, while the others receive and delete
            for body in sent[n::2]:
                sqs.send_message(QueueUrl=url, MessageBody=body)
            return
        idle = 0
        while idle < 3:  # receivers and deleters, until the queue stays empty
            batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
            idle = 0 if batch else idle + 1
            received.extend(m["Body"] for m in batch)
            for message in batch:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    _in_threads(8, work)

    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    left = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    assert sorted(received) == sorted(backlog + sent)
    assert (left[names[0]], left[names[1]]) == ("0", "0")


def test_requests_share_one_connection(endpoint, table):
    """Each boto3 call of the stack once paid a new loopback connection and a new server
    thread: werkzeug's server closes every connection after its answer."""
    connection = http.client.HTTPConnection(LOOPBACK, int(endpoint.rsplit(":", 1)[1]), timeout=10)
    headers = {
        "X-Amz-Target": "DynamoDB_20120810.DescribeTable",
        "Content-Type": "application/x-amz-json-1.0",
        "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, "
        "SignedHeaders=host, Signature=0",
    }
    sockets = set()
    for _ in range(3):
        connection.request("POST", "/", body=json.dumps({"TableName": table}), headers=headers)
        response = connection.getresponse()
        assert json.loads(response.read())["Table"]["TableName"] == table
        assert not response.will_close
        sockets.add(id(connection.sock))
    connection.close()
    assert len(sockets) == 1
