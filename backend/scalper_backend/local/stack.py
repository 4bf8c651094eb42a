"""The whole pipeline on one machine: moto server, both gateways and queue pollers, from the
template, with each function's invocations in worker processes of their own (runtime.py)."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import boto3
from botocore.credentials import Credentials

from ..adapters.api_keys import ApiKeys
from ..adapters.partners_table import PartnersTable
from ..onboarding import create_partner
from .api_keys import ApiKeyAuthenticator
from .credential_store import CredentialStore
from .faults import Faults
from .gateway import Authenticator, Gateway
from .iam_sigv4 import ExecuteApiVerifier
from .moto_service import DEFAULT_REGION, LOOPBACK, MotoService
from .operations import start_operations
from .poller import QueuePoller
from .provision import Provisioned, provision
from .runtime import FunctionConfig, LocalFunction, worker_environment
from .s3_edge import S3Edge
from .s3_sigv4 import S3Verifier
from .template import QueueSource, Template, default_template_path
from .throttle import Throttles
from .ticking import Ticker

DEFAULT_STACK_NAME = "scalper-local"
# Fake credentials: the local stack must never reach a real AWS account.
_LOCAL_AWS_ENV = {"AWS_ACCESS_KEY_ID": "scalper-local", "AWS_SECRET_ACCESS_KEY": "scalper-local"}
_CLEARED_AWS_ENV = ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_SECURITY_TOKEN")
# What the S3 edge accepts signatures from (the handlers sign with these, from the environment).
LOCAL_CREDENTIALS = Credentials(_LOCAL_AWS_ENV["AWS_ACCESS_KEY_ID"], _LOCAL_AWS_ENV["AWS_SECRET_ACCESS_KEY"])


def default_workers() -> int:
    """Twice this machine's cores: a worker spends much of an invocation waiting for moto."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return 2 * cores


def _short_retries(visibility_timeout: int) -> dict[str, int]:
    """The processor's timeout and lease for a visibility timeout cut short for fault runs.

    As in the template, the lease outlives the timeout (the runtime kills an attempt at
    its timeout, so a live attempt is never taken over), and an attempt whose worker died
    is taken over by the third or fourth delivery, within the queue's five receives. The
    timeout is longer than the visibility timeout here (the template's is a sixth of it),
    so that an attempt can still be running when its message comes back: ``--fault hang``.
    """
    timeout = 2 * visibility_timeout
    return {"timeout": timeout, "lease": timeout + 1}


@dataclass(frozen=True)
class LocalPartner:
    """A partner's credentials for both APIs: an API key, and an IAM user's access key."""

    partner_id: str
    api_key: str
    access_key_id: str
    secret_access_key: str
    user_arn: str


class LocalStack:
    """Runs the template's functions against moto on loopback.

    Use it as a context manager, or ``start()`` and ``stop()``. Each function runs in up to
    ``workers`` worker processes, which get the template's variables for it; the queue's
    event source runs ``min(MaximumConcurrency, workers)`` batches at once. The stack sets
    this process's AWS environment (endpoints, fake credentials, region) while it runs.
    """

    def __init__(
        self,
        template_path: Path | None = None,
        *,
        port: int = 0,
        iam_port: int = 0,
        stack_name: str = DEFAULT_STACK_NAME,
        region: str = DEFAULT_REGION,
        log_level: str = "INFO",
        throttle: bool = True,
        rules_file: Path | None = None,
        workers: int | None = None,
        faults: Faults | None = None,
        visibility_timeout: int | None = None,
        moto: MotoService | None = None,
        sweep_interval: float | None = None,
        summary_interval: float = 30.0,
    ) -> None:
        self.template = Template(template_path or default_template_path(), stack_name=stack_name, region=region)
        self._ports = {"api_key": port, "iam": iam_port}
        self._log_level = log_level
        self._throttle = throttle
        # Another partner rules file than the one deployed with the code (RULES_FILE).
        self._rules_file = rules_file
        self.workers = workers or default_workers()
        # Fault runs: retries within seconds rather than the template's 90 minutes.
        self._visibility_timeout = visibility_timeout
        self._faults = faults or Faults()
        self.functions: dict[str, LocalFunction] = {}
        # The scheduled functions' timers (None: the template's rate), the alerts printer,
        # the summary line (0: none) and the rules watcher.
        self._sweep_interval = sweep_interval
        self._summary_interval = summary_interval
        self._services: list[Ticker] = []
        # moto may have been launched already (the CLI does, to load it while importing the rest).
        self._moto = moto or MotoService(LOOPBACK, region)
        self._credentials: CredentialStore | None = None
        self._s3_edge: S3Edge | None = None
        self._gateways: list[Gateway] = []
        self._pollers: list[QueuePoller] = []
        self._saved_env: dict[str, str | None] = {}
        self.aws_endpoint = ""
        self.s3_endpoint = ""
        self.endpoint = ""
        self.iam_endpoint = ""
        self.resources = Provisioned()
        self.partners: dict[str, LocalPartner] = {}

    def start(self) -> LocalStack:
        """Start moto, provision the template, then serve the gateways and the pollers.

        Raises:
            OSError: a port is taken. Whatever had started is stopped again.
        """
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> LocalStack:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self.aws_endpoint = self._moto.start()
        credentials = self._credentials = CredentialStore(self.aws_endpoint)
        # S3 requests (the handlers' and presigned URLs) go through a verifying edge; an IP
        # host keeps botocore and moto on path-style addressing.
        verifier = S3Verifier(LOCAL_CREDENTIALS, self.template.region)
        self._s3_edge = S3Edge(self.aws_endpoint, verifier)
        self.s3_endpoint = f"http://{LOOPBACK}:{self._s3_edge.start(LOOPBACK, 0)}"
        self._set_env(self._aws_environment())
        clients = {name: self.client(name) for name in ("s3", "sqs", "dynamodb", "sns", "kms", "apigateway")}
        self.resources = provision(self.template, clients)
        sources = self.template.queue_sources()
        if self._visibility_timeout is not None:
            for source in sources:
                clients["sqs"].set_queue_attributes(
                    QueueUrl=self.resources.queue_urls[source.queue],
                    Attributes={"VisibilityTimeout": str(self._visibility_timeout)},
                )
        # The time-bound faults start now, once provisioning is done, as the stack serves.
        hang = 1.5 * (self._visibility_timeout or self._queue_visibility_timeout())
        self._faults = self._faults.starting_at(time.time(), hang_seconds=hang)
        if self._faults.s3_slowdown:
            self._s3_edge.inject(self._faults)
        self._start_functions(sources)
        self._start_gateways(credentials)
        for source in sources:
            function = self.functions[source.function]
            poller = QueuePoller(
                clients["sqs"],
                queue_url=self.resources.queue_urls[source.queue],
                queue_arn=self.template.arn(source.queue),
                function=function,
                batch_size=source.batch_size,
                region=self.template.region,
                concurrency=function.concurrency,
            )
            poller.start()
            self._pollers.append(poller)
        self._services = start_operations(
            self.template,
            self.resources,
            clients,
            self.functions,
            sweep_interval=self._sweep_interval,
            summary_interval=self._summary_interval,
            rules_file=self._rules_file,
        )
        for name in ("scalper", "scalper-local"):
            logging.getLogger(name).setLevel(self._log_level)
        return self

    def _start_functions(self, sources: list[QueueSource]) -> None:
        """Each function with up to ``workers`` workers; a queue's function with the event
        source's MaximumConcurrency if that is lower."""
        by_function = {source.function: source for source in sources}
        faults = self._faults.to_json() if self._faults.any() else ""
        for name in self.template.of_type("AWS::Serverless::Function"):
            source = by_function.get(name)
            concurrency = min(self.workers, (source.maximum_concurrency if source else None) or self.workers)
            short = source is not None and self._visibility_timeout is not None
            timeout = _short_retries(self._visibility_timeout or 0)["timeout"] if short else None
            environment = worker_environment(self._function_environment(name))
            config = FunctionConfig.of(self.template, name, environment, timeout=timeout)
            self.functions[name] = LocalFunction(config, concurrency=concurrency, faults=faults)

    def _start_gateways(self, credentials: CredentialStore) -> None:
        throttles = Throttles() if self._throttle else None
        authenticators: dict[str, Authenticator] = {
            "api_key": ApiKeyAuthenticator(credentials.api_key),
            "iam": ExecuteApiVerifier(self.template.region, find=credentials.identity),
        }
        for api in self.template.apis():
            gateway = Gateway(api, self.functions, authenticators[api.auth], throttles)
            port = gateway.start(LOOPBACK, self._ports[api.auth])
            self._gateways.append(gateway)
            url = f"http://{LOOPBACK}:{port}/{api.stage}"
            if api.auth == "iam":
                self.iam_endpoint = url
            else:
                self.endpoint = url

    def stop(self) -> None:
        for service in self._services:
            service.stop()
        self._services.clear()
        for poller in self._pollers:
            poller.stop()
        self._pollers.clear()
        for gateway in self._gateways:
            gateway.stop()
        self._gateways.clear()
        for function in self.functions.values():
            function.stop()
        self.functions.clear()
        if self._s3_edge:
            self._s3_edge.stop()
        if self._credentials:
            self._credentials.close()
        self._moto.stop()
        self._restore_env()

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def add_partner(self, partner_id: str) -> str:
        """Onboard a partner as ``scalper admin partner create`` does, with an IAM user of
        its own (``partner-<id>``) as its IAM principal.

        Returns:
            The partner's API key; all its credentials are then in ``partners[partner_id]``.
        """
        if not self.aws_endpoint:
            raise RuntimeError("start the stack first")
        iam = self.client("iam")
        user = iam.create_user(UserName=f"partner-{partner_id}")["User"]
        access_key = iam.create_access_key(UserName=user["UserName"])["AccessKey"]
        api_key_api = self.template.api("api_key").logical_id
        plan = self.template.usage_plan(api_key_api)
        if plan is None:
            raise RuntimeError(f"no usage plan serves {api_key_api}")
        new = create_partner(
            partner_id,
            keys=ApiKeys(self.client("apigateway"), self.resources.names[plan]),
            table=PartnersTable(self.client("dynamodb"), self.resources.names["PartnersTable"]),
            iam_arn=user["Arn"],
        )
        self.partners[partner_id] = LocalPartner(
            partner_id, new.api_key, access_key["AccessKeyId"], access_key["SecretAccessKey"], user["Arn"]
        )
        return new.api_key

    def client(self, service: str) -> Any:
        """A boto3 client for the local AWS (moto)."""
        return boto3.client(service, endpoint_url=self.aws_endpoint, region_name=self.template.region)  # type: ignore[call-overload]

    def name_of(self, logical_id: str) -> str:
        """The physical name (or ARN, for a topic) of a template resource."""
        return self.resources.names[logical_id]

    def _aws_environment(self) -> dict[str, str | None]:
        """Where AWS is (moto, and the S3 edge for S3), with fake credentials."""
        env: dict[str, str | None] = {
            **_LOCAL_AWS_ENV,
            "AWS_ENDPOINT_URL": self.aws_endpoint,
            "AWS_ENDPOINT_URL_S3": self.s3_endpoint,
            "AWS_DEFAULT_REGION": self.template.region,
            "AWS_REGION": self.template.region,
        }
        env.update(dict.fromkeys(_CLEARED_AWS_ENV))
        return env

    def _function_environment(self, function: str) -> dict[str, str | None]:
        """A function's workers' variables: the template's for it, and where AWS is."""
        env: dict[str, str | None] = {**self._aws_environment(), **self.template.function_environment(function)}
        env["POWERTOOLS_LOG_LEVEL"] = self._log_level
        # Metric lines (EMF) belong to the functions' log stream: shown with INFO logs, as
        # CloudWatch would receive them, and not at WARNING or above (the demo's quiet run).
        env["POWERTOOLS_METRICS_DISABLED"] = "false" if self._log_level in ("DEBUG", "INFO") else "true"
        if self._visibility_timeout is not None:
            env["PROCESSING_LEASE_SECONDS"] = str(_short_retries(self._visibility_timeout)["lease"])
        if self._rules_file is not None:
            env["RULES_FILE"] = str(self._rules_file.resolve())
        return env

    def _queue_visibility_timeout(self) -> int:
        """The template's visibility timeout of the (first) queue a function polls."""
        sources = self.template.queue_sources()
        props = self.template.properties(sources[0].queue) if sources else {}
        return int(self.template.resolve(props.get("VisibilityTimeout", 30)))

    def _set_env(self, env: dict[str, str | None]) -> None:
        for name, value in env.items():
            self._saved_env[name] = os.environ.get(name)
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    def _restore_env(self) -> None:
        self._set_env(dict(self._saved_env))
        self._saved_env.clear()
