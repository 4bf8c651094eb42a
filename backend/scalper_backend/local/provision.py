"""Create the template's buckets, queues, tables and topic in moto, as CloudFormation would."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .template import Template

# Local convenience only: alerts published to the topic also land in this queue, so the
# demo and the tests can read them (on AWS, operators subscribe email or chat instead).
ALERTS_INBOX = "alerts-inbox"


@dataclass
class Provisioned:
    """Physical names and URLs of what was created, by logical id."""

    names: dict[str, str] = field(default_factory=dict)
    queue_urls: dict[str, str] = field(default_factory=dict)
    alerts_inbox_url: str = ""


def provision(template: Template, clients: dict[str, Any]) -> Provisioned:
    out = Provisioned()
    _tables(template, clients["dynamodb"], out)
    _queues(template, clients["sqs"], out)
    _topics(template, clients["sns"], clients["sqs"], out)
    _buckets(template, clients["s3"], out)
    return out


def _tables(template: Template, dynamodb: Any, out: Provisioned) -> None:
    for logical_id in template.of_type("AWS::DynamoDB::Table"):
        props = template.properties(logical_id)
        name = template.physical_name(logical_id)
        params: dict[str, Any] = {
            "TableName": name,
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
        }
        if props.get("GlobalSecondaryIndexes"):
            params["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        dynamodb.create_table(**params)
        if "TimeToLiveSpecification" in props:
            dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=props["TimeToLiveSpecification"])
        out.names[logical_id] = name


def _queues(template: Template, sqs: Any, out: Provisioned) -> None:
    queues = template.of_type("AWS::SQS::Queue")
    # Every queue exists before any redrive policy names its dead-letter queue.
    for logical_id in queues:
        props = template.properties(logical_id)
        attributes = {key: str(props[key]) for key in ("VisibilityTimeout", "MessageRetentionPeriod") if key in props}
        name = template.physical_name(logical_id)
        out.queue_urls[logical_id] = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        out.names[logical_id] = name
    for logical_id in queues:
        redrive = template.properties(logical_id).get("RedrivePolicy")
        if redrive:
            policy = {
                "deadLetterTargetArn": template.resolve(redrive["deadLetterTargetArn"]),
                "maxReceiveCount": str(template.resolve(redrive["maxReceiveCount"])),
            }
            sqs.set_queue_attributes(
                QueueUrl=out.queue_urls[logical_id], Attributes={"RedrivePolicy": json.dumps(policy)}
            )


def _topics(template: Template, sns: Any, sqs: Any, out: Provisioned) -> None:
    inbox_url = sqs.create_queue(QueueName=f"{template.stack_name}-{ALERTS_INBOX}")["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    out.alerts_inbox_url = inbox_url
    for logical_id in template.of_type("AWS::SNS::Topic"):
        arn = sns.create_topic(Name=template.physical_name(logical_id))["TopicArn"]
        sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=inbox_arn, Attributes={"RawMessageDelivery": "true"})
        out.names[logical_id] = arn


def _buckets(template: Template, s3: Any, out: Provisioned) -> None:
    for logical_id in template.of_type("AWS::S3::Bucket"):
        props = template.properties(logical_id)
        name = template.physical_name(logical_id)
        s3.create_bucket(Bucket=name)
        if "BucketEncryption" in props:
            rules = [
                {"ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"]}
                for rule in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
            ]
            s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
        if "PublicAccessBlockConfiguration" in props:
            s3.put_public_access_block(
                Bucket=name, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"]
            )
        queue_configs = props.get("NotificationConfiguration", {}).get("QueueConfigurations", [])
        if queue_configs:
            s3.put_bucket_notification_configuration(
                Bucket=name,
                NotificationConfiguration={"QueueConfigurations": [_queue_config(template, c) for c in queue_configs]},
            )
        out.names[logical_id] = name


def _queue_config(template: Template, config: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's notification shape, in the shape of the S3 API."""
    api_config: dict[str, Any] = {"QueueArn": template.resolve(config["Queue"]), "Events": [config["Event"]]}
    rules = config.get("Filter", {}).get("S3Key", {}).get("Rules", [])
    if rules:
        api_config["Filter"] = {"Key": {"FilterRules": rules}}
    return api_config
