// hookwire admin: the token field, forms that write through the API, the live status page.
// No framework, no CDN: this file is all the script the pages load.
"use strict";
(function () {
  var COOKIE = "hookwire-token";
  function token() {
    var m = document.cookie.match(/(?:^|; )hookwire-token=([^;]*)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  function setToken(value) {
    document.cookie = COOKIE + "=" + encodeURIComponent(value) + "; path=/; SameSite=Strict";
  }
  function say(text, bad) {
    var out = document.getElementById("result");
    if (!out) { alert(text); return; }
    out.textContent = text;
    out.className = bad ? "error" : "notice";
  }
  async function submit(form) {
    if (!window.confirm(form.dataset.confirm || "Go ahead?")) return;
    var url = form.dataset.api, body, headers = { Authorization: "Bearer " + token() };
    if (form.dataset.json) {
      body = form.dataset.json;
      headers["Content-Type"] = "application/json";
    } else {
      body = form.querySelector("textarea").value;
      var why = form.querySelector("input[name=message]");
      if (why && why.value) url += "?message=" + encodeURIComponent(why.value);
      headers["Content-Type"] = "application/yaml";
    }
    var reply = await fetch(url, { method: "POST", headers: headers, body: body });
    var data = await reply.json().catch(function () { return {}; });
    if (!reply.ok) {
      say("Refused (" + reply.status + "): " + (data.error || "") +
        (data.problems ? "\n" + data.problems.join("\n") : ""), true);
      return;
    }
    say("Stored as revision " + data.revision + ".", false);
    window.location.reload();
  }
  function refresh(main) {
    var seconds = parseFloat(main.dataset.refresh);
    setInterval(async function () {
      try {
        var reply = await fetch(window.location.href, { headers: { Accept: "text/html" } });
        if (!reply.ok) return;
        var doc = new DOMParser().parseFromString(await reply.text(), "text/html");
        var fresh = doc.getElementById("main");
        if (fresh) main.innerHTML = fresh.innerHTML;
      } catch (e) { /* the next round tries again */ }
    }, seconds * 1000);
  }
  document.addEventListener("DOMContentLoaded", function () {
    var field = document.getElementById("token");
    if (field) {
      field.value = token();
      field.addEventListener("change", function () { setToken(field.value); });
    }
    document.querySelectorAll("form[data-api]").forEach(function (form) {
      form.addEventListener("submit", function (ev) { ev.preventDefault(); submit(form); });
    });
    var main = document.getElementById("main");
    if (main && main.dataset.refresh) refresh(main);
  });
})();
