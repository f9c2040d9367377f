// Progress of a running import, for browsers with scripts; without them the page's own
// "刷新进度" link does the same.
(function () {
  var box = document.getElementById("job");
  if (!box || !window.fetch) { return; }
  var id = box.getAttribute("data-job");
  var status = document.getElementById("job-status");
  var bar = box.querySelector("progress");
  function poll() {
    fetch("/imports/" + id + "/status", { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (j) {
        if (j.state === "queued") {
          status.textContent = "排队中：前面还有 " + (j.position - 1) + " 个导入任务，轮到后自动开始。";
          setTimeout(poll, 2000);
          return;
        }
        if (j.state !== "running" || box.getAttribute("data-queued") === "1") { window.location.reload(); return; }
        status.textContent = "正在导入：已处理 " + j.rows + " 行" + (j.total ? "，共约 " + j.total + " 行" : "") + "。";
        if (bar && j.total) { bar.max = j.total; bar.value = j.rows; }
        setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 1000);
})();
