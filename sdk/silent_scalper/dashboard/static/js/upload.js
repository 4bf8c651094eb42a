// The drop zone: each file goes to the dashboard server, which uploads it through the
// API's presigned flow with the SDK (the browser never holds a credential or a URL).
// One file at a time, each followed until it reaches a final state.
import { ApiError, getJSON, post } from "./api.js";
import { byId, el, fill, filePath, formatBytes, stateBadge } from "./dom.js";
import { announce, refresh } from "./live.js";

const maxBytes = Number(document.body.dataset.maxUploadBytes);
const FOLLOW_MS = 1000;
const FOLLOW_LIMIT = 300; // polls, about five minutes
let queue = Promise.resolve();

export function startUploads() {
  const zone = byId("dropzone");
  const input = byId("file-input");
  byId("upload-hint").textContent = `Up to ${formatBytes(maxBytes)} each. Larger files: scalper upload.`;
  input.addEventListener("change", () => {
    uploadAll(input.files);
    input.value = "";
  });
  for (const name of ["dragenter", "dragover"]) {
    zone.addEventListener(name, (event) => {
      event.preventDefault();
      zone.classList.add("is-over");
    });
  }
  zone.addEventListener("dragleave", () => zone.classList.remove("is-over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("is-over");
    uploadAll(event.dataTransfer.files);
  });
}

function uploadAll(fileList) {
  for (const file of [...fileList]) {
    const item = el("li", { class: "upload" });
    byId("uploads").prepend(item);
    queue = queue.then(() => uploadOne(file, item));
  }
}

async function uploadOne(file, item) {
  const name = el("span", { class: "upload-name" }, file.name);
  if (file.size > maxBytes) {
    const error = new ApiError(413, "upload_too_large",
      `${formatBytes(file.size)} is over the dashboard's ${formatBytes(maxBytes)} limit; use scalper upload`);
    return failed(item, name, error);
  }
  fill(item, name, el("span", { class: "muted" }, ` ${formatBytes(file.size)} · uploading…`));
  const form = new FormData();
  form.append("file", file, file.name);
  let record;
  try {
    record = await post("/api/uploads", form);
  } catch (error) {
    return failed(item, name, error);
  }
  announce(`${file.name}: uploaded, ${record.state.replace("_", " ")}.`);
  show(item, record);
  refresh();
  for (let poll = 0; !record.is_final && poll < FOLLOW_LIMIT; poll += 1) {
    await new Promise((resolve) => setTimeout(resolve, FOLLOW_MS));
    try {
      record = await getJSON(`/api/files/${encodeURIComponent(record.file_id)}`);
    } catch {
      continue;
    }
    show(item, record);
  }
  if (record.is_final) announce(`${file.name}: ${record.state.replace("_", " ")}.`);
  refresh();
}

function show(item, record) {
  item.dataset.fileId = record.file_id;
  item.dataset.state = record.state;
  fill(item, el("a", { href: filePath(record.file_id), class: "upload-name" }, record.filename), " ", stateBadge(record.state));
}

function failed(item, name, error) {
  item.classList.add("is-error");
  fill(item, name, " ", el("span", { class: "error-text" }, `${error.code}: ${error.message}`));
  announce(`${name.textContent}: not uploaded, ${error.message}.`);
}
