"""The local stack provisions what the template declares, encryption included."""

from __future__ import annotations


def test_local_resources_are_encrypted_with_the_template_key(backend):
    key_id = backend.resources.names["DataKey"]
    s3, bucket = backend.clients["s3"], backend.resources.names["InputBucket"]
    s3.put_object(Bucket=bucket, Key="uploads/acme/f_1", Body=b"a,b\n")

    head = s3.head_object(Bucket=bucket, Key="uploads/acme/f_1")
    table = backend.clients["dynamodb"].describe_table(TableName=backend.resources.names["FilesTable"])["Table"]
    queue = backend.clients["sqs"].get_queue_attributes(
        QueueUrl=backend.resources.queue_urls["UploadEventsQueue"], AttributeNames=["KmsMasterKeyId"]
    )["Attributes"]
    topic = backend.clients["sns"].get_topic_attributes(TopicArn=backend.resources.names["AlertsTopic"])["Attributes"]

    assert (head["ServerSideEncryption"], head["SSEKMSKeyId"].rsplit("/", 1)[1]) == ("aws:kms", key_id)
    assert head["BucketKeyEnabled"] is True
    assert (table["SSEDescription"]["SSEType"], table["SSEDescription"]["KMSMasterKeyArn"]) == ("KMS", key_id)
    assert queue["KmsMasterKeyId"] == key_id
    assert topic["KmsMasterKeyId"] == key_id


def test_the_local_key_rotates_as_the_template_says(backend):
    kms = backend.clients["kms"]
    assert kms.get_key_rotation_status(KeyId=backend.resources.names["DataKey"])["KeyRotationEnabled"] is True


def test_the_data_buckets_are_versioned_as_the_template_says(backend):
    s3 = backend.clients["s3"]
    for logical_id in ("InputBucket", "OutputBucket", "QuarantineBucket"):
        bucket = backend.resources.names[logical_id]
        assert s3.get_bucket_versioning(Bucket=bucket).get("Status") == "Enabled", logical_id
