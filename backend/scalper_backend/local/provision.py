"""Create the template's buckets, queues, tables, topic and usage plan in moto, as CloudFormation would."""

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

    names: dict[str, str] = field(default_factory=dict)  # a usage plan's is its id
    queue_urls: dict[str, str] = field(default_factory=dict)
    alerts_inbox_url: str = ""


def provision(template: Template, clients: dict[str, Any]) -> Provisioned:
    out = Provisioned()
    _keys(template, clients["kms"], out)
    _tables(template, clients["dynamodb"], out)
    _queues(template, clients["sqs"], out)
    _topics(template, clients["sns"], clients["sqs"], out)
    _buckets(template, clients["s3"], out)
    _usage_plans(template, clients["apigateway"], out)
    return out


def _keys(template: Template, kms: Any, out: Provisioned) -> None:
    # First: the other resources name these keys, and a key's id is known once it exists.
    for logical_id in template.of_type("AWS::KMS::Key"):
        props = template.properties(logical_id)
        key_id = kms.create_key(
            Description=str(template.resolve(props.get("Description", logical_id))),
            Policy=json.dumps(template.resolve(props["KeyPolicy"])),
        )["KeyMetadata"]["KeyId"]
        if props.get("EnableKeyRotation"):
            kms.enable_key_rotation(KeyId=key_id)
        template.created(logical_id, key_id)
        out.names[logical_id] = key_id


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
        if props.get("SSESpecification"):
            sse = template.resolve(props["SSESpecification"])
            params["SSESpecification"] = {
                "Enabled": sse["SSEEnabled"],
                **({"SSEType": sse["SSEType"], "KMSMasterKeyId": sse["KMSMasterKeyId"]} if "SSEType" in sse else {}),
            }
        dynamodb.create_table(**params)
        if "TimeToLiveSpecification" in props:
            dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=props["TimeToLiveSpecification"])
        out.names[logical_id] = name


def _queues(template: Template, sqs: Any, out: Provisioned) -> None:
    queues = template.of_type("AWS::SQS::Queue")
    # Every queue exists before any redrive policy names its dead-letter queue.
    for logical_id in queues:
        props = template.properties(logical_id)
        attributes = {
            key: str(template.resolve(props[key]))
            for key in ("VisibilityTimeout", "MessageRetentionPeriod", "KmsMasterKeyId")
            if key in props
        }
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


def subscribe_queue(sqs: Any, sns: Any, topic_arn: str, queue_name: str) -> str:
    """Create the queue (or find it: creating is idempotent) and subscribe it to the topic,
    each message delivered raw, as published; returns the queue's URL."""
    url: str = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    return url


def _topics(template: Template, sns: Any, sqs: Any, out: Provisioned) -> None:
    for logical_id in template.of_type("AWS::SNS::Topic"):
        key = template.properties(logical_id).get("KmsMasterKeyId")
        attributes = {"KmsMasterKeyId": str(template.resolve(key))} if key else {}
        arn = sns.create_topic(Name=template.physical_name(logical_id), Attributes=attributes)["TopicArn"]
        out.alerts_inbox_url = subscribe_queue(sqs, sns, arn, f"{template.stack_name}-{ALERTS_INBOX}")
        out.names[logical_id] = arn


def _buckets(template: Template, s3: Any, out: Provisioned) -> None:
    for logical_id in template.of_type("AWS::S3::Bucket"):
        props = template.properties(logical_id)
        name = template.physical_name(logical_id)
        s3.create_bucket(Bucket=name)
        if "VersioningConfiguration" in props:
            # A delete then leaves the object as a noncurrent version, as on AWS; the load
            # benchmarks count each key's versions to prove nothing was written twice.
            status = str(template.resolve(props["VersioningConfiguration"]["Status"]))
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": status})
        if "BucketEncryption" in props:
            rules = [
                {
                    "ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"],
                    "BucketKeyEnabled": rule.get("BucketKeyEnabled", False),
                }
                for rule in template.resolve(props["BucketEncryption"]["ServerSideEncryptionConfiguration"])
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


def _usage_plans(template: Template, apigateway: Any, out: Provisioned) -> None:
    for logical_id in template.of_type("AWS::ApiGateway::UsagePlan"):
        props = template.properties(logical_id)
        params: dict[str, Any] = {"name": template.resolve(props["UsagePlanName"])}
        if "Throttle" in props:
            throttle = props["Throttle"]
            params["throttle"] = {"burstLimit": int(throttle["BurstLimit"]), "rateLimit": float(throttle["RateLimit"])}
        out.names[logical_id] = apigateway.create_usage_plan(**params)["id"]
