"""Settings read from the environment, once per cold start.

This is the only module that reads ``os.environ``. The variable names are the ones
``template.yaml`` sets in ``Globals.Function.Environment``; the local stack sets the
same ones from the same template, so the two cannot drift apart.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import ConfigurationError

# Presigned URLs must expire within 15 minutes (the API's promise to security reviewers).
MAX_UPLOAD_URL_TTL_SECONDS = 900
# As large as one S3 PUT; larger files need multipart uploads and a larger MAX_UPLOAD_BYTES.
DEFAULT_MAX_UPLOAD_BYTES = 5 * 1024**3
# The partner rules deployed with the code: backend/rules/ sits next to the package, in
# the repository and in the Lambda package alike (see docs/rules.md).
DEFAULT_RULES_FILE = Path(__file__).resolve().parents[1] / "rules" / "partners.toml"


class Settings(BaseModel):
    """Everything a handler needs to know about its environment."""

    model_config = ConfigDict(frozen=True)

    files_table: str = Field(min_length=1)
    partners_table: str = Field(min_length=1)
    idempotency_table: str = Field(min_length=1)
    input_bucket: str = Field(min_length=1)
    output_bucket: str = Field(min_length=1)
    quarantine_bucket: str = Field(min_length=1)
    alerts_topic_arn: str = Field(min_length=1)
    # The queue of upload events: reprocessing and the sweeper put a file back on it.
    upload_queue_url: str = Field(min_length=1)
    upload_url_ttl_seconds: int = Field(default=600, ge=60, le=MAX_UPLOAD_URL_TTL_SECONDS)
    max_upload_bytes: int = Field(default=DEFAULT_MAX_UPLOAD_BYTES, ge=1)
    # How long after its last upload URL expired a declared file may still receive its
    # bytes (a PUT that started in time may end later) before the sweeper expires it.
    upload_expiry_grace_seconds: int = Field(default=3600, ge=0)
    # What each partner may send; another file only for the local stack and tests.
    rules_file: Path = DEFAULT_RULES_FILE
    # How long a processor may hold a file in `processing` before another delivery of
    # the same event may take it over (the previous attempt is presumed dead).
    processing_lease_seconds: int = Field(default=960, ge=1)
    # The queue's maxReceiveCount: a failure on this delivery of an event is final (the
    # next receive moves it to the dead-letter queue); the sweeper gives up on a file
    # whose attempts reached it.
    max_attempts: int = Field(default=5, ge=1)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from environment variables.

        Args:
            environ: the mapping to read; ``os.environ`` when omitted.

        Raises:
            ConfigurationError: a required variable is missing or a value is invalid.
        """
        env = os.environ if environ is None else environ
        # Each variable is its field's name in capitals (FILES_TABLE -> files_table).
        names = {field: field.upper() for field in cls.model_fields}
        values = {field: env[var] for field, var in names.items() if var in env}
        try:
            return cls.model_validate(values)
        except ValidationError as err:
            missing = [names[str(e["loc"][0])] for e in err.errors() if e["type"] == "missing"]
            raise ConfigurationError(
                f"invalid environment: missing {missing}" if missing else f"invalid environment: {err}"
            ) from err


# Printed by `scalper local`; `scalper admin --local` reads it when no endpoint is given.
LOCAL_AWS_ENDPOINT_ENV = "SCALPER_AWS_ENDPOINT"


def local_aws_endpoint(environ: Mapping[str, str] | None = None) -> str | None:
    """The local stack's AWS (moto) endpoint from the environment, if set."""
    return (os.environ if environ is None else environ).get(LOCAL_AWS_ENDPOINT_ENV) or None
