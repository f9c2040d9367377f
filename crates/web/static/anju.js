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

// A form marked data-keep (the home-visit and survey forms, filled on a phone with a weak signal) is never
// lost: what is typed is kept in the browser as it is typed and put back if the page is opened
// again; sent while the connection is down, it waits in the browser ("待提交") and is sent when
// the connection returns. A visit form carries its own token and a survey form its version, so a
// form sent twice is kept once.
// Without scripts the form posts as any other.
(function () {
  var form = document.querySelector("form[data-keep]");
  if (!form || !window.fetch || !window.localStorage || !window.URLSearchParams) { return; }
  var key = "anju-draft-" + form.getAttribute("data-keep");
  var OUTBOX = "anju-outbox";
  var status = document.getElementById("keep-status");
  function say(text) { if (status) { status.textContent = text; status.hidden = !text; } }
  function read(k, d) { try { return JSON.parse(localStorage.getItem(k)) || d; } catch (e) { return d; } }
  function outbox() { return read(OUTBOX, []); }
  function fields() {
    var out = [];
    new FormData(form).forEach(function (v, k) { out.push([k, String(v)]); });
    return out;
  }
  function waiting() {
    var n = outbox().length;
    return n ? "有 " + n + " 份表单保存在本机，等待网络恢复后自动提交。" : "";
  }
  // Put back a draft of this form (not its csrf: the page's own is current).
  var draft = read(key, null);
  // A draft of a form saved since (by someone else) is not put over it: the worker is told.
  var was = draft && draft.filter(function (p) { return p[0] === "version"; })[0];
  if (was && form.elements.version && was[1] !== form.elements.version.value) {
    localStorage.removeItem(key);
    draft = null;
    say("这份表单在您上次填写后已被他人修改，本机未提交的填写没有恢复，请核对后重新填写。");
  }
  if (draft && draft.length) {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.name === "csrf" || el.type === "hidden") { return; }
      var vals = draft.filter(function (p) { return p[0] === el.name; }).map(function (p) { return p[1]; });
      if (el.type === "radio" || el.type === "checkbox") { el.checked = vals.indexOf(el.value) >= 0; }
      else if (vals.length) { el.value = vals[0]; }
    });
    var tok = draft.filter(function (p) { return p[0] === "token"; })[0];
    if (tok && form.elements.token) { form.elements.token.value = tok[1]; }
    say("已恢复上次未提交的填写内容。" + waiting());
  } else {
    say(waiting());
  }
  function keep() { localStorage.setItem(key, JSON.stringify(fields())); }
  form.addEventListener("input", keep);
  form.addEventListener("change", keep);
  function send(item) {
    return fetch(item.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(item.fields).toString()
    });
  }
  function flush() {
    var items = outbox();
    if (!items.length || !navigator.onLine) { return; }
    var item = items[0];
    send(item).then(function (r) {
      var rest = outbox().slice(1);
      if (r.ok && r.url.indexOf("/login") < 0) {
        localStorage.setItem(OUTBOX, JSON.stringify(rest));
        say("一份保存在本机的表单已提交。" + waiting());
        flush();
      } else if (r.url.indexOf("/login") >= 0) {
        say("登录已过期，请重新登录后打开此页，保存在本机的表单会自动提交。");
      } else {
        // Refused (a field at fault): kept as a draft of its form for the worker to correct.
        localStorage.setItem(OUTBOX, JSON.stringify(rest));
        localStorage.setItem(item.key, JSON.stringify(item.fields));
        say("一份保存在本机的表单未被接受，请重新打开该表单修改后提交。" + waiting());
      }
    }).catch(function () { say(waiting()); });
  }
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (!form.checkValidity()) { form.reportValidity(); return; }
    var item = { action: form.action, fields: fields(), key: key };
    function queue() {
      var items = outbox();
      items.push(item);
      localStorage.setItem(OUTBOX, JSON.stringify(items));
      localStorage.removeItem(key);
      say("网络未连接：这份表单已保存在本机，恢复网络后自动提交。" + waiting());
    }
    if (!navigator.onLine) { queue(); return; }
    send(item).then(function (r) {
      if (r.ok && r.url.indexOf("/login") < 0) {
        localStorage.removeItem(key);
        window.location.href = r.url;
      } else {
        // The server's answer (a field at fault, or the login page) as the page.
        r.text().then(function (html) { document.open(); document.write(html); document.close(); });
      }
    }).catch(queue);
  });
  window.addEventListener("online", flush);
  flush();
})();
