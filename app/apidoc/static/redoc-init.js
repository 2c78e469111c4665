// ReDoc for /openapi.json, from this host only (no web fonts).
window.addEventListener("DOMContentLoaded", function () {
  Redoc.init(document.body.dataset.openapiUrl, { hideDownloadButton: false }, document.getElementById("redoc"));
});
