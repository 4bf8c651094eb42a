// Building the page. Every value that comes from a record (file names, reasons, metadata)
// becomes a text node: this module has no way to turn a string into HTML, and the page's
// Trusted Types policy makes innerHTML throw if anything ever tried.

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

export function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
}

export const byId = (id) => document.getElementById(id);

export function filePath(fileId) {
  return `/files/${encodeURIComponent(fileId)}`;
}

// Sizes in decimal units, as file managers show them.
export function formatBytes(bytes) {
  if (bytes === null || bytes === undefined) return "–";
  if (bytes < 1000) return `${bytes} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = -1;
  do {
    value /= 1000;
    unit += 1;
  } while (value >= 1000 && unit < units.length - 1);
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

// Local time as 2026-11-25 21:37:20, whatever the browser's locale: clinics in several
// countries read the same dates the same way.
export function formatLocalTime(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} `
    + `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

// A <time> in the browser's local time, the exact UTC value in its title.
export function timeEl(iso) {
  if (!iso) return el("span", { class: "muted" }, "–");
  const date = new Date(iso);
  return el("time", { datetime: iso, title: `${date.toISOString()} (UTC)` }, formatLocalTime(date));
}

export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "–";
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function secondsBetween(fromIso, toIso) {
  if (!fromIso || !toIso) return null;
  return Math.max(0, (new Date(toIso) - new Date(fromIso)) / 1000);
}

export const STATE_LABELS = {
  pending_upload: "pending upload",
  processing: "processing",
  processed: "processed",
  quarantined: "quarantined",
  failed: "failed",
  expired: "expired",
  cancelled: "cancelled",
  in_progress: "in progress",
};

export function stateBadge(state) {
  const known = Object.hasOwn(STATE_LABELS, state);
  return el("span", { class: `badge badge-${known ? state : "unknown"}` }, known ? STATE_LABELS[state] : state);
}

// The codes of a record's reasons, and of its error for a failed file.
export function reasonCodes(record) {
  const codes = (record.reasons || []).map((reason) => reason.code);
  if (record.error) codes.push(record.error.code);
  return codes;
}
