// Keeping open pages up to date: one timer per view, paused on request or while the tab is
// hidden; changes are announced to screen readers through the polite status region.
import { byId, el, fill } from "./dom.js";

const seconds = Number(document.body.dataset.refreshSeconds) || 10;
const pauseButton = byId("pause");
const updated = byId("updated");
const statusRegion = byId("status");
const alertBox = byId("alert");
const tasks = [];
let paused = false;
let timer = null;

export function announce(text) {
  statusRegion.textContent = text;
}

export function showError(error, context) {
  const prefix = context ? `${context}: ` : "";
  const requestId = error.requestId ? ` (request id ${error.requestId})` : "";
  fill(alertBox, el("strong", {}, error.code || "error"), ` ${prefix}${error.message}${requestId}`);
  alertBox.hidden = false;
}

export function clearError() {
  alertBox.hidden = true;
}

// Run every task now, then again every `seconds` while the page is open.
export function keepFresh(...newTasks) {
  tasks.push(...newTasks);
  refresh();
}

export async function refresh() {
  clearTimeout(timer);
  const results = await Promise.allSettled(tasks.map((task) => task()));
  const failed = results.find((result) => result.status === "rejected");
  if (failed) showError(failed.reason);
  else clearError();
  updated.textContent = `Updated ${new Date().toLocaleTimeString([], { hour12: false })}${paused ? " · paused" : ` · every ${seconds} s`}`;
  schedule();
}

function schedule() {
  clearTimeout(timer);
  if (!paused && !document.hidden) timer = setTimeout(refresh, seconds * 1000);
}

pauseButton.addEventListener("click", () => {
  paused = !paused;
  pauseButton.setAttribute("aria-pressed", String(paused));
  pauseButton.textContent = paused ? "Resume updates" : "Pause updates";
  announce(paused ? "Updates paused" : "Updates resumed");
  if (paused) {
    clearTimeout(timer);
    updated.textContent = updated.textContent.replace(/ · .*$/, " · paused");
  } else {
    refresh();
  }
});

document.addEventListener("visibilitychange", () => {
  if (document.hidden) clearTimeout(timer);
  else if (!paused) refresh();
});
