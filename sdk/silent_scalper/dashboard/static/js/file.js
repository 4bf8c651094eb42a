// One file's page: its record, every reason with where it was found, where the output or
// the quarantined copy is, the attempts (when the API keeps a history) and reprocessing
// (when the API offers it).
import { ApiError, getJSON, post } from "./api.js";
import {
  byId, el, fill, formatBytes, formatDuration, secondsBetween, stateBadge, STATE_LABELS, timeEl,
} from "./dom.js";
import { announce, refresh, showError } from "./live.js";

const fileId = document.body.dataset.fileId;
const view = byId("file-view");
const REPROCESSABLE = new Set(["quarantined", "failed"]);
let lastState = null;
let lastJson = null;
let reprocessOffered = true; // until the API says it has no such route

export function startFile() {
  const back = sessionStorage.getItem("scalper:list");
  if (back) byId("back-link").href = back;
  return loadFile;
}

async function loadFile() {
  let record;
  try {
    record = await getJSON(`/api/files/${encodeURIComponent(fileId)}`);
  } catch (error) {
    if (error.status === 404) return notFound(error);
    throw error;
  }
  if (lastState && lastState !== record.state) {
    announce(`State changed from ${STATE_LABELS[lastState] || lastState} to ${STATE_LABELS[record.state] || record.state}.`);
  }
  lastState = record.state;
  // Redraw only what changed: a redraw would take the keyboard focus away.
  const json = JSON.stringify(record);
  if (json !== lastJson) render(record);
  lastJson = json;
}

function notFound(error) {
  document.title = "File not found · Silent Scalper";
  fill(view,
    el("h1", { id: "file-title" }, "File not found"),
    el("p", { class: "error-text", "data-error-code": error.code }, `${error.code}: ${error.message}`),
    el("p", {}, "It may belong to another partner, or the link is wrong."));
  view.setAttribute("aria-busy", "false");
}

function render(record) {
  document.title = `${record.filename} · Silent Scalper`;
  const open = new Set([...view.querySelectorAll("details[open]")].map((d) => d.dataset.name));
  fill(view,
    el("div", { class: "file-head" },
      el("h1", { id: "file-title", class: "filename" }, record.filename),
      stateBadge(record.state),
      reprocessControl(record)),
    el("div", { class: "file-grid" },
      el("section", { class: "panel", "aria-labelledby": "summary-title" },
        el("h2", { id: "summary-title" }, "Record"),
        summary(record)),
      el("div", { class: "file-side" },
        reasonsSection(record),
        errorSection(record),
        locationsSection(record),
        metadataSection(record))),
    historySection(record),
    el("details", { class: "panel raw", "data-name": "raw", open: open.has("raw") },
      el("summary", {}, "The record as the API returns it"),
      el("pre", {}, JSON.stringify(record, null, 2))));
  view.setAttribute("aria-busy", "false");
}

function summary(record) {
  const details = record.details || {};
  const rows = [
    ["File id", el("code", {}, record.file_id)],
    ["State", STATE_LABELS[record.state] || record.state],
    ["Size", `${formatBytes(record.size)} (${record.size.toLocaleString()} bytes)`],
    ["Declared type", record.content_type],
    ["Detected type", details.detected_type || "–"],
    ["Rows × columns", details.rows === null || details.rows === undefined ? "–" : `${details.rows} × ${details.columns}`],
    ["SHA-256", el("code", { class: "wrap" }, record.sha256)],
    ["Created", timeEl(record.created_at)],
    ["Uploaded", timeEl(record.uploaded_at)],
    ["Finished", timeEl(record.finished_at)],
    ["Updated", timeEl(record.updated_at)],
    ["Upload to final", formatDuration(secondsBetween(record.uploaded_at, record.finished_at))],
    ["Queued before processing", details.queued_ms === null || details.queued_ms === undefined ? "–" : formatDuration(details.queued_ms / 1000)],
    ["Processing time", details.duration_ms === null || details.duration_ms === undefined ? "–" : formatDuration(details.duration_ms / 1000)],
    ["Attempts", String(record.attempts)],
  ];
  return el("dl", { class: "facts" }, rows.map(([term, value]) => [el("dt", {}, term), el("dd", {}, value)]));
}

// Where a reason was found: the API's location (line and record numbers, column and field
// names), else the lines, rows or items its message names.
const LOCATION_PARTS = ["line", "record", "column", "field"];
const PLACES = /\b(?:line|row|column|item|record|field) \d+/gi;

function locationOf(reason) {
  const location = reason.location || {};
  const parts = LOCATION_PARTS.filter((part) => location[part] !== null && location[part] !== undefined)
    .map((part) => (typeof location[part] === "number" ? `${part} ${location[part]}` : `${part} "${location[part]}"`));
  if (parts.length) return parts.join(", ");
  return [...new Set(reason.message.match(PLACES) || [])].join(", ");
}

function reasonsSection(record) {
  const reasons = record.reasons || [];
  if (!reasons.length) return null;
  return el("section", { class: "panel reasons-panel", "aria-labelledby": "reasons-title" },
    el("h2", { id: "reasons-title" }, reasons.length === 1 ? "Why it was quarantined" : `Why it was quarantined (${reasons.length} reasons)`),
    el("ol", { class: "reason-list" }, reasons.map((reason) => {
      const where = locationOf(reason);
      return el("li", { class: "reason" },
        el("code", { class: "reason-code" }, reason.code),
        el("p", { class: "reason-message" }, reason.message),
        where ? el("p", { class: "reason-where" }, `Where: ${where}`) : null);
    })));
}

function errorSection(record) {
  if (!record.error) return null;
  const error = record.error;
  return el("section", { class: "panel", "aria-labelledby": "error-title" },
    el("h2", { id: "error-title" }, "Processing error"),
    el("p", {}, el("code", {}, error.code), ` ${error.message}`),
    el("p", { class: "muted" }, error.retryable ? "It will be retried." : "It will not be retried."));
}

function locationsSection(record) {
  const places = [];
  if (record.output) places.push(["Output", record.output, `${record.output.format}${record.output.size === null || record.output.size === undefined ? "" : `, ${formatBytes(record.output.size)}`}`]);
  if (record.quarantine) places.push(["Quarantined copy", record.quarantine, null]);
  if (!places.length) return null;
  return el("section", { class: "panel", "aria-labelledby": "where-title" },
    el("h2", { id: "where-title" }, "Where it is"),
    el("dl", { class: "facts" }, places.map(([label, place, note]) => {
      const uri = `s3://${place.bucket}/${place.key}`;
      return [el("dt", {}, label), el("dd", {},
        el("code", { class: "wrap location" }, uri),
        note ? el("span", { class: "muted" }, ` (${note})`) : null,
        copyButton(uri, label))];
    })),
    el("p", { class: "muted small" }, "The API gives locations, not download links: someone with access to the bucket can fetch the object."));
}

function copyButton(text, label) {
  if (!navigator.clipboard) return null;
  const button = el("button", { type: "button", class: "button-quiet small", "aria-label": `Copy the ${label.toLowerCase()} location` }, "Copy");
  button.addEventListener("click", async () => {
    await navigator.clipboard.writeText(text);
    announce("Location copied.");
  });
  return button;
}

function metadataSection(record) {
  const entries = Object.entries(record.metadata || {});
  if (!entries.length) return null;
  return el("section", { class: "panel", "aria-labelledby": "metadata-title" },
    el("h2", { id: "metadata-title" }, "Metadata"),
    el("dl", { class: "facts" }, entries.map(([key, value]) => [el("dt", {}, key), el("dd", {}, value)])));
}

// Shown only when the API keeps a history of attempts (with reprocessing, issue 11).
function historySection(record) {
  if (!Array.isArray(record.history)) return null;
  const rows = record.history.map((attempt, index) => el("tr", {},
    el("th", { scope: "row", class: "num" }, String(attempt.attempt || index + 1)),
    el("td", {}, attempt.state ? stateBadge(attempt.state) : "–"),
    el("td", {}, (attempt.reasons || []).map((reason) => el("code", {}, typeof reason === "string" ? reason : reason.code))),
    // The API keeps an attempt's error code only (no message: bounded, nothing from input).
    el("td", {}, attempt.error ? el("code", {}, attempt.error) : "–"),
    el("td", {}, timeEl(attempt.started_at)),
    el("td", {}, timeEl(attempt.finished_at))));
  return el("section", { class: "panel", "aria-labelledby": "history-title" },
    el("h2", { id: "history-title" }, "Attempts"),
    rows.length
      ? el("div", { class: "table-wrap" }, el("table", { class: "data history" },
        el("thead", {}, el("tr", {}, ["#", "State", "Reasons", "Error", "Started", "Finished"].map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, rows)))
      : el("p", { class: "muted" }, "No earlier attempts."));
}

// Offered only where the API keeps a history (the sign it has reprocessing), for a final
// quarantined or failed file; an API without the route hides it for good.
function reprocessControl(record) {
  if (!reprocessOffered || !Array.isArray(record.history) || !record.is_final || !REPROCESSABLE.has(record.state)) return null;
  const button = el("button", { type: "button", id: "reprocess" }, "Reprocess");
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await post(`/api/files/${encodeURIComponent(record.file_id)}/reprocess`);
      announce("Sent for reprocessing.");
    } catch (error) {
      if (error instanceof ApiError && error.code === "route_not_found") {
        reprocessOffered = false;
        button.remove();
        announce("This API does not offer reprocessing.");
        return;
      }
      button.disabled = false;
      showError(error, "Reprocess");
      return;
    }
    lastJson = null;
    refresh();
  });
  return button;
}
