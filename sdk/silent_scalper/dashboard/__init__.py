"""A file-tracking dashboard in the browser: ``scalper dashboard``.

A Flask app (:func:`create_app`) served by waitress on 127.0.0.1 (:class:`DashboardServer`).
The server calls the public API through one SDK :class:`~silent_scalper.Client`, so it
works against the local stack and AWS alike, shows only the files of the partner whose
credentials it holds, and keeps those credentials out of the browser. The pages are
static HTML, CSS and JavaScript shipped in this package (Chart.js included), with no
build step and nothing fetched from the internet.

Needs the extra: ``pip install 'silent-scalper[dashboard]'``.
"""

from .app import DashboardSettings, create_app
from .server import DashboardServer

__all__ = ["DashboardServer", "DashboardSettings", "create_app"]
