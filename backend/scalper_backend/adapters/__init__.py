"""Thin wrappers over boto3: the only modules that call AWS. ``ClientError`` stops here."""
