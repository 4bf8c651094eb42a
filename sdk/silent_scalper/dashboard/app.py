"""The dashboard's web app: two pages and the small JSON API their scripts call.

Pages (the same shell; the script draws the view, reading the state from the URL):
``/`` the files (filters in the query string) and ``/files/<file_id>`` one file.
JSON, each a thin call into the SDK's client:

| route | does |
| --- | --- |
| ``GET /api/files`` | one page of the list (:mod:`.listing`) |
| ``GET /api/files/<file_id>`` | one record |
| ``POST /api/files/<file_id>/reprocess`` | reprocess, where the API offers it |
| ``POST /api/uploads`` | a file from the drop zone, uploaded through the presigned flow |
| ``GET /api/stats?hours=N`` | the charts' figures (:mod:`.stats`) |
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import RequestEntityTooLarge

from .._client import Client
from .._version import __version__
from ..models import FileState
from . import errors, security
from .errors import DashboardError
from .listing import ListFilters, fetch_page, record_view
from .stats import DEFAULT_HOURS, DEFAULT_MAX_FILES, MAX_HOURS, collect

DEFAULT_MAX_UPLOAD_BYTES = 100_000_000
DEFAULT_REFRESH_SECONDS = 10
# Multipart framing around the file in an upload request (boundaries, part headers).
_FORM_OVERHEAD = 64 * 1024


@dataclass(frozen=True)
class DashboardSettings:
    """How the dashboard behaves; the CLI fills it from its options.

    Attributes:
        auth_label: How the server authenticates to the API, shown in the page header.
        refresh_seconds: How often open pages ask for fresh data.
        max_upload_bytes: The largest file the drop zone takes.
        stats_max_files: The most files the charts read per refresh.
    """

    auth_label: str = "API key"
    refresh_seconds: int = DEFAULT_REFRESH_SECONDS
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    stats_max_files: int = DEFAULT_MAX_FILES


def create_app(client: Client, settings: DashboardSettings | None = None) -> Flask:
    """Build the dashboard for one API client (one partner's credentials).

    Args:
        client: The SDK client every request goes through; it stays in this process.
        settings: Refresh interval, upload limit...

    Returns:
        The WSGI app; serve it on 127.0.0.1 only (:mod:`.server`).
    """
    settings = settings or DashboardSettings()
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_upload_bytes + _FORM_OVERHEAD
    csrf_token = security.new_csrf_token()
    security.install(app, csrf_token)
    errors.install(app, max_upload_bytes=settings.max_upload_bytes)
    page = {
        "csrf_token": csrf_token,
        "refresh_seconds": settings.refresh_seconds,
        "max_upload_bytes": settings.max_upload_bytes,
        "api_host": urlsplit(client.endpoint).netloc,
        "auth_label": settings.auth_label,
        "version": __version__,
        "states": [state.value for state in FileState],
    }

    @app.get("/")
    def files_page() -> str:
        return render_template("index.html", view="list", file_id="", **page)

    @app.get("/files/<file_id>")
    def file_page(file_id: str) -> str:
        return render_template("index.html", view="file", file_id=file_id, **page)

    @app.get("/api/files")
    def list_files() -> Response:
        filters = ListFilters.from_query(request.args)
        return jsonify(fetch_page(client, filters, now=datetime.now(UTC)).model_dump(mode="json"))

    @app.get("/api/files/<file_id>")
    def get_file(file_id: str) -> Response:
        return jsonify(record_view(client.get(file_id)))

    @app.post("/api/files/<file_id>/reprocess")
    def reprocess(file_id: str) -> tuple[Response, int]:
        return jsonify(record_view(client.files.reprocess(file_id))), 202

    @app.post("/api/uploads")
    def upload() -> tuple[Response, int]:
        sent = request.files.get("file")
        if sent is None or not sent.filename:
            raise DashboardError(400, "invalid_request", "file: choose a file to upload")
        # MAX_CONTENT_LENGTH bounded the whole request; this bounds the file itself.
        if sent.stream.seek(0, os.SEEK_END) > settings.max_upload_bytes:
            raise RequestEntityTooLarge()
        sent.stream.seek(0)
        record = client.upload(sent.stream, filename=sent.filename)
        return jsonify(record_view(record)), 201

    @app.get("/api/stats")
    def stats() -> Response:
        hours = request.args.get("hours", str(DEFAULT_HOURS))
        if not re.fullmatch(r"[0-9]{1,3}", hours) or not 1 <= int(hours) <= MAX_HOURS:
            raise DashboardError(400, "invalid_request", f"hours: must be a whole number from 1 to {MAX_HOURS}")
        figures = collect(client, datetime.now(UTC), int(hours), settings.stats_max_files)
        return jsonify(figures.model_dump(mode="json"))

    return app
