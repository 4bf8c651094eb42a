// The files list. Its state is the URL's query string (state, since or
// created_after/created_before, q, cursor), so every view can be bookmarked and shared.
import { getJSON } from "./api.js";
import {
  byId, el, fill, filePath, formatBytes, formatDuration, reasonCodes, secondsBetween, stateBadge, timeEl,
} from "./dom.js";
import { announce } from "./live.js";

const LIST_KEYS = ["state", "since", "created_after", "created_before", "q", "limit", "cursor"];
const params = new URLSearchParams(location.search);
let tbody = null;
let known = null; // file id -> state, from the previous refresh
let shown = null; // what the table shows, to redraw only when it changed

export function startList() {
  tbody = byId("files-table").tBodies[0];
  sessionStorage.setItem("scalper:list", location.pathname + location.search);
  fillForm();
  byId("filter-since").addEventListener("change", showRange);
  byId("filters").addEventListener("submit", applyFilters);
  return loadPage;
}

// The page as it was asked for, unchanged by each refresh.
function listQuery() {
  const query = new URLSearchParams();
  for (const key of LIST_KEYS) {
    if (params.get(key)) query.set(key, params.get(key));
  }
  return query;
}

async function loadPage() {
  const page = await getJSON(`/api/files?${listQuery()}`);
  renderRows(page.files);
  renderPager(page);
  renderSummary(page);
}

function renderRows(files) {
  const previous = known;
  known = new Map(files.map((record) => [record.file_id, record.state]));
  if (files.length === 0) {
    fill(tbody, el("tr", {}, el("td", { colspan: 7, class: "empty" }, "No files match these filters.")));
    return;
  }
  const json = JSON.stringify(files);
  if (json === shown) return;
  shown = json;
  // A redraw replaces the links: keep the keyboard focus on the same file's link.
  const focused = document.activeElement && document.activeElement.closest("tr[data-file-id]");
  fill(tbody, files.map((record) => row(record, previous)));
  if (focused) {
    const again = [...tbody.rows].find((tr) => tr.dataset.fileId === focused.dataset.fileId);
    if (again) again.querySelector("a").focus();
  }
  if (previous) {
    const added = files.filter((record) => !previous.has(record.file_id)).length;
    const changed = files.filter((r) => previous.has(r.file_id) && previous.get(r.file_id) !== r.state).length;
    const parts = [];
    if (added) parts.push(`${added} new ${added === 1 ? "file" : "files"}`);
    if (changed) parts.push(`${changed} changed state`);
    if (parts.length) announce(`Files list: ${parts.join(", ")}.`);
  }
}

function row(record, previous) {
  const fresh = previous && previous.get(record.file_id) !== record.state;
  const codes = reasonCodes(record);
  const latency = secondsBetween(record.uploaded_at, record.finished_at);
  const type = record.details && record.details.detected_type;
  return el("tr", { class: fresh ? "changed" : null, "data-file-id": record.file_id },
    el("th", { scope: "row", class: "filename" }, el("a", { href: filePath(record.file_id) }, record.filename)),
    el("td", {}, stateBadge(record.state)),
    el("td", { class: "num" }, formatBytes(record.size)),
    el("td", {}, record.content_type, type ? el("span", { class: "muted" }, ` · ${type}`) : null),
    el("td", {}, timeEl(record.created_at)),
    el("td", {}, timeEl(record.finished_at), latency === null ? null : el("span", { class: "muted" }, ` · ${formatDuration(latency)}`)),
    el("td", { class: "reasons" }, codes.length ? codes.map((code) => el("code", {}, code)) : el("span", { class: "muted" }, "–")),
  );
}

function renderPager(page) {
  const next = byId("page-next");
  const prev = byId("page-prev");
  const first = byId("page-first");
  const cursor = params.get("cursor");
  if (page.next_cursor) {
    // The resolved filters (a `since` made absolute): a cursor only works with the
    // exact filters it was made with.
    const query = new URLSearchParams(page.filters);
    if (!params.get("limit")) query.delete("limit");
    query.set("cursor", page.next_cursor);
    if (params.get("hours")) query.set("hours", params.get("hours"));
    next.href = `/?${query}`;
    sessionStorage.setItem(`scalper:prev:${page.next_cursor}`, location.pathname + location.search);
  }
  next.hidden = !page.next_cursor;
  const firstQuery = listQuery();
  firstQuery.delete("cursor");
  if (params.get("hours")) firstQuery.set("hours", params.get("hours"));
  first.href = `/?${firstQuery}`;
  prev.href = (cursor && sessionStorage.getItem(`scalper:prev:${cursor}`)) || first.href;
  first.hidden = prev.hidden = !cursor;
}

function renderSummary(page) {
  const count = page.files.length;
  const where = params.get("cursor") ? "on this page" : "newest first";
  const more = page.next_cursor ? "; more on the next page" : "";
  byId("result-summary").textContent = `${count} ${count === 1 ? "file" : "files"} ${where}${more}.`;
}

function fillForm() {
  byId("filter-state").value = params.get("state") || "";
  byId("filter-q").value = params.get("q") || "";
  const since = byId("filter-since");
  if (params.get("created_after") || params.get("created_before")) {
    since.value = "range";
    byId("filter-from").value = toLocalInput(params.get("created_after"));
    byId("filter-to").value = toLocalInput(params.get("created_before"));
  } else {
    since.value = params.get("since") || "";
  }
  showRange();
}

function showRange() {
  byId("filter-range").hidden = byId("filter-since").value !== "range";
}

// The form's values as the list's URL: local times in the range become UTC.
function applyFilters(event) {
  event.preventDefault();
  const query = new URLSearchParams();
  const state = byId("filter-state").value;
  const since = byId("filter-since").value;
  const q = byId("filter-q").value.trim();
  if (state) query.set("state", state);
  if (since === "range") {
    const from = byId("filter-from").value;
    const to = byId("filter-to").value;
    if (from) query.set("created_after", new Date(from).toISOString());
    if (to) query.set("created_before", new Date(to).toISOString());
  } else if (since) {
    query.set("since", since);
  }
  if (q) query.set("q", q);
  const hours = params.get("hours");
  if (hours) query.set("hours", hours);
  location.assign(`/?${query}`);
}

function toLocalInput(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
  return local.toISOString().slice(0, 19);
}
