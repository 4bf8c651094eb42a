// The overview: figures and four charts over the files created in the chosen period.
// Each chart is a canvas with a one-sentence description for screen readers and a
// "Show the numbers" table; colours are told apart by lightness too, and every state
// is also named in text.
import { getJSON } from "./api.js";
import { byId, el, fill, formatDuration, STATE_LABELS } from "./dom.js";

const OUTCOME_COLOURS = {
  processed: "#1d4ed8",
  quarantined: "#c2410c",
  failed: "#9f1239",
  expired: "#6b7280",
  cancelled: "#374151",
  in_progress: "#0e7490",
};
const INK = "#1f2937";
const GRID = "#e5e7eb";
const HOUR_TICKS = { maxTicksLimit: 7, maxRotation: 0, autoSkipPadding: 10 };
const charts = {};
const params = new URLSearchParams(location.search);

export function startOverview() {
  const select = byId("hours");
  const hours = params.get("hours");
  if (hours && [...select.options].some((option) => option.value === hours)) select.value = hours;
  select.addEventListener("change", () => {
    const url = new URL(location.href);
    url.searchParams.set("hours", select.value);
    history.replaceState(null, "", url);
    loadStats();
  });
  if (window.Chart) {
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.font.size = 12;
    Chart.defaults.color = INK;
    Chart.defaults.animation = false;
    Chart.defaults.maintainAspectRatio = false;
  }
  return loadStats;
}

async function loadStats() {
  const stats = await getJSON(`/api/stats?hours=${encodeURIComponent(byId("hours").value)}`);
  renderFigures(stats);
  const labels = stats.hour_starts.map((iso) => hourLabel(iso, stats.hours));
  hourly(stats, labels);
  rate(stats, labels);
  reasons(stats);
  latency(stats);
  const period = byId("hours").selectedOptions[0].textContent;
  byId("stats-note").textContent = stats.truncated
    ? `Figures from the newest ${stats.files} files of the ${period}; older ones are not counted.`
    : `Figures from the ${stats.files} files created in the ${period}, in your local time.`;
}

function renderFigures(stats) {
  const t = stats.totals;
  const rateText = stats.quarantine_rate === null ? "–" : percent(stats.quarantine_rate);
  const lat = stats.latency;
  const figures = [
    ["Files", stats.files, null],
    ["Processed", t.processed, "processed"],
    ["Quarantined", t.quarantined, "quarantined"],
    ["Quarantine rate", rateText, null, "of files checked"],
    ["Failed", t.failed, "failed", stats.retrying ? `${stats.retrying} to be retried` : null],
    ["In progress", t.in_progress, "in_progress"],
    ["Upload to final", formatDuration(lat.p50_s), null, lat.count ? `median; 95% within ${formatDuration(lat.p95_s)}` : "no final files yet"],
  ];
  fill(byId("kpis"), figures.map(([label, value, outcome, note]) =>
    el("div", { class: `kpi${outcome ? ` kpi-${outcome}` : ""}` },
      el("dt", {}, label),
      el("dd", {}, el("span", { class: "kpi-value" }, String(value)), note ? el("span", { class: "kpi-note" }, note) : null),
    )));
}

function hourly(stats, labels) {
  const outcomes = Object.keys(OUTCOME_COLOURS).filter((name) => stats.totals[name] > 0);
  const datasets = outcomes.map((name) => ({
    label: STATE_LABELS[name],
    data: stats.per_hour[name],
    backgroundColor: OUTCOME_COLOURS[name],
    borderColor: "#ffffff",
    borderWidth: 1,
    stack: "files",
  }));
  draw("chart-hourly", "bar", { labels, datasets }, {
    plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
    scales: { x: axis({ stacked: true, ticks: HOUR_TICKS }), y: axis({ stacked: true, beginAtZero: true, ticks: { precision: 0 } }) },
  }, stats.files === 0);
  const parts = outcomes.map((name) => `${stats.totals[name]} ${STATE_LABELS[name]}`);
  describe("chart-hourly", `${stats.files} files in the period${parts.length ? `: ${parts.join(", ")}` : ""}.`);
  table("chart-hourly-data", ["Hour", ...outcomes.map((name) => STATE_LABELS[name])],
    labels.map((label, i) => [label, ...outcomes.map((name) => stats.per_hour[name][i])])
      .filter((row) => row.slice(1).some((n) => n > 0)));
}

function rate(stats, labels) {
  const values = stats.quarantine_rate_per_hour.map((r) => (r === null ? null : Math.round(r * 1000) / 10));
  draw("chart-rate", "line", {
    labels,
    datasets: [{
      label: "Quarantined (% of files checked)",
      data: values,
      borderColor: OUTCOME_COLOURS.quarantined,
      backgroundColor: OUTCOME_COLOURS.quarantined,
      pointRadius: 3,
      spanGaps: true,
    }],
  }, {
    plugins: { legend: { display: false } },
    scales: { x: axis({ ticks: HOUR_TICKS }), y: axis({ min: 0, max: 100, ticks: { callback: (v) => `${v}%` } }) },
  }, values.every((v) => v === null));
  const overall = stats.quarantine_rate === null ? "no file checked yet" : `${percent(stats.quarantine_rate)} of the files checked were quarantined`;
  describe("chart-rate", `Over the period, ${overall}.`);
  table("chart-rate-data", ["Hour", "Quarantined", "Checked", "Rate"],
    labels.map((label, i) => {
      const checked = stats.per_hour.processed[i] + stats.per_hour.quarantined[i];
      return [label, stats.per_hour.quarantined[i], checked, values[i] === null ? "–" : `${values[i]}%`];
    }).filter((row) => row[2] > 0));
}

function reasons(stats) {
  const top = stats.top_reasons;
  draw("chart-reasons", "bar", {
    labels: top.map((reason) => reason.label),
    datasets: [{ label: "Files", data: top.map((reason) => reason.count), backgroundColor: OUTCOME_COLOURS.quarantined }],
  }, {
    indexAxis: "y",
    plugins: { legend: { display: false } },
    scales: { x: axis({ beginAtZero: true, ticks: { precision: 0 } }), y: axis({ grid: { display: false } }) },
  }, top.length === 0);
  describe("chart-reasons", top.length
    ? `Most frequent: ${top.slice(0, 3).map((r) => `${r.label} (${r.count})`).join(", ")}.`
    : "No reasons in the period.");
  table("chart-reasons-data", ["Reason", "Files"], top.map((reason) => [reason.label, reason.count]));
}

function latency(stats) {
  const buckets = stats.latency.buckets;
  draw("chart-latency", "bar", {
    labels: buckets.map((bucket) => bucket.label),
    datasets: [{ label: "Files", data: buckets.map((bucket) => bucket.count), backgroundColor: OUTCOME_COLOURS.processed }],
  }, {
    plugins: { legend: { display: false } },
    scales: { x: axis({ grid: { display: false }, ticks: { maxRotation: 0, autoSkip: false, font: { size: 11 } } }), y: axis({ beginAtZero: true, ticks: { precision: 0 } }) },
  }, stats.latency.count === 0);
  const lat = stats.latency;
  describe("chart-latency", lat.count
    ? `${lat.count} files reached a final state; median ${formatDuration(lat.p50_s)}, 95% within ${formatDuration(lat.p95_s)}, slowest ${formatDuration(lat.max_s)}.`
    : "No file reached a final state in the period.");
  table("chart-latency-data", ["Upload to final", "Files"], buckets.map((bucket) => [bucket.label, bucket.count]));
}

// Create the chart once, then only swap its data: no flicker on refresh.
function draw(id, type, data, options, empty) {
  const canvas = byId(id);
  canvas.closest(".canvas-box").classList.toggle("is-empty", Boolean(empty));
  if (!window.Chart) return;
  const existing = charts[id];
  if (existing && existing.config.type === type) {
    existing.data.labels = data.labels;
    existing.data.datasets = data.datasets;
    existing.update("none");
    return;
  }
  charts[id] = new Chart(canvas, { type, data, options: { responsive: true, ...options } });
}

function axis(extra) {
  return { grid: { color: GRID }, border: { color: GRID }, ...extra };
}

function describe(id, text) {
  byId(id).setAttribute("aria-label", text);
  byId(id).closest(".canvas-box").dataset.empty = text;
}

function table(id, headers, rows) {
  const body = rows.length
    ? rows.map((cells) => el("tr", {}, cells.map((cell, i) => (i === 0 ? el("th", { scope: "row" }, cell) : el("td", { class: "num" }, String(cell))))))
    : [el("tr", {}, el("td", { colspan: headers.length, class: "empty" }, "Nothing in this period."))];
  fill(byId(id), el("table", { class: "data" },
    el("thead", {}, el("tr", {}, headers.map((header) => el("th", { scope: "col" }, header)))),
    el("tbody", {}, body)));
}

function hourLabel(iso, hours) {
  const date = new Date(iso);
  const time = date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hour12: false });
  if (hours <= 24) return time;
  return `${date.toLocaleDateString([], { weekday: "short" })} ${time}`;
}

function percent(fraction) {
  return `${Math.round(fraction * 1000) / 10}%`;
}
