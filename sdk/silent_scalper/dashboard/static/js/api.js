// The dashboard server's JSON routes. Errors arrive as {"error": {code, message, request_id}}
// and are thrown as ApiError; state-changing requests carry the page's CSRF token.

const csrfToken = document.querySelector('meta[name="csrf-token"]').content;

export class ApiError extends Error {
  constructor(status, code, message, requestId) {
    super(message);
    this.status = status;
    this.code = code;
    this.requestId = requestId || null;
  }
}

async function call(url, options = {}) {
  let response;
  try {
    response = await fetch(url, { ...options, headers: { Accept: "application/json", ...options.headers } });
  } catch {
    throw new ApiError(0, "dashboard_unreachable", "the dashboard server did not answer; is `scalper dashboard` still running?");
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    const error = body && body.error;
    throw new ApiError(
      response.status,
      (error && error.code) || `http_${response.status}`,
      (error && error.message) || response.statusText || "the request failed",
      error && error.request_id,
    );
  }
  return body;
}

export function getJSON(url) {
  return call(url);
}

export function post(url, body) {
  return call(url, { method: "POST", body, headers: { "X-CSRF-Token": csrfToken } });
}
