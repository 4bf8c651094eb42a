// Entry point: the server says which view this page is (data-view); each view returns
// the tasks that keep it fresh.
import { startOverview } from "./charts.js";
import { startFile } from "./file.js";
import { startList } from "./list.js";
import { keepFresh } from "./live.js";
import { startUploads } from "./upload.js";

if (document.body.dataset.view === "file") {
  keepFresh(startFile());
} else {
  startUploads();
  keepFresh(startList(), startOverview());
}
