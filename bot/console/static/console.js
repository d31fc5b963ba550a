// The agent console's live parts, in plain JavaScript (no build step). Every page follows one
// server-sent event stream (/events): the counts in the navigation, the chats on the left, and
// on a conversation its new messages and status. Replies go out without a reload.
(function () {
  "use strict";
  var csrf = document.body.dataset.csrf || "";
  var conversation = document.querySelector(".conversation[data-handoff]");

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tickSla() {
    document.querySelectorAll(".sla[data-since]").forEach(function (el) {
      var secs = Math.max(0, Math.floor((Date.now() - Date.parse(el.dataset.since)) / 1000));
      el.textContent = Math.floor(secs / 60) + ":" + pad(secs % 60);
      el.classList.toggle("late", secs >= Number(el.dataset.limit || 600));
    });
  }
  tickSla();
  setInterval(tickSla, 1000);

  // --- a new waiting customer: sound and desktop notification, only if the agent opted in ---
  var alerts = document.getElementById("alerts");
  var ALERTS_KEY = "crmbot-console-alerts";
  if (alerts) {
    alerts.checked = localStorage.getItem(ALERTS_KEY) === "on";
    alerts.addEventListener("change", function () {
      localStorage.setItem(ALERTS_KEY, alerts.checked ? "on" : "off");
      if (alerts.checked && window.Notification && Notification.permission === "default") Notification.requestPermission();
    });
  }
  function beep() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    var ctx = new Ctx(), osc = ctx.createOscillator(), gain = ctx.createGain();
    osc.frequency.value = 880;
    gain.gain.value = 0.08;
    osc.connect(gain); gain.connect(ctx.destination);
    osc.start(); osc.stop(ctx.currentTime + 0.18);
  }
  function alertNewCustomer(waiting) {
    if (localStorage.getItem(ALERTS_KEY) !== "on") return;
    beep();
    if (window.Notification && Notification.permission === "granted") {
      new Notification("A customer is waiting", { body: waiting + " waiting in the queue", tag: "crmbot-queue" });
    }
    document.body.dataset.alerted = String(Number(document.body.dataset.alerted || 0) + 1);
  }

  // --- the one event stream ---
  var rows = document.getElementById("queue-rows");
  var table = document.querySelector("table.queue[data-rows]");
  var waitingBefore = null;
  function refreshRows() {
    if (!rows || !table) return;
    fetch(table.dataset.rows, { headers: { Accept: "text/html" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) { rows.innerHTML = html; rows.querySelectorAll("input[name=csrf]").forEach(function (i) { i.value = csrf; }); tickSla(); });
  }
  var events = document.body.dataset.events ? new EventSource(document.body.dataset.events) : null;
  if (events) {
    events.addEventListener("counts", function (e) {
      var c = JSON.parse(e.data);
      document.querySelectorAll("[data-count]").forEach(function (el) { el.textContent = c[el.dataset.count]; });
      document.title = document.title.replace(/^\(\d+\) /, "");
      if (c.waiting) document.title = "(" + c.waiting + ") " + document.title;
      if (waitingBefore !== null && c.waiting > waitingBefore) alertNewCustomer(c.waiting);
      waitingBefore = c.waiting;
      document.body.dataset.counted = "1";
    });
    events.addEventListener("queue", refreshRows);
  }

  // --- one conversation ---
  if (conversation && events) {
    var transcript = document.getElementById("transcript");
    var status = document.getElementById("status");
    var last = Number(conversation.dataset.last || 0);
    transcript.scrollTop = transcript.scrollHeight;
    events.addEventListener("messages", function (e) {
      var data = JSON.parse(e.data);
      if (data.last <= last) { return; }
      last = data.last;
      transcript.insertAdjacentHTML("beforeend", data.html);  // rendered and escaped by the server
      transcript.scrollTop = transcript.scrollHeight;
    });
    events.addEventListener("status", function (e) {
      var data = JSON.parse(e.data);
      if (data.status !== status.dataset.status) {
        // Someone else (a transfer, a release, the watchdog) changed who has this chat: show it.
        status.dataset.status = data.status;
        status.textContent = data.status === "claimed" ? "With " + data.agent + "." :
          data.status === "queued" ? "Waiting in the queue." :
          data.status.charAt(0).toUpperCase() + data.status.slice(1) + (data.csat ? " · rated " + data.csat + "/5" : "") + ".";
      } else if (data.csat && status.textContent.indexOf("rated") < 0) {
        status.textContent = status.textContent.replace(/\.\s*$/, "") + " · rated " + data.csat + "/5.";
      }
    });
  }

  // --- replying, and canned replies by "/" ---
  var reply = document.getElementById("reply");
  var text = document.getElementById("reply-text");
  if (reply) {
    var error = document.getElementById("reply-error");
    var canned = document.getElementById("canned");
    var menu = document.getElementById("canned-menu");
    var options = Array.prototype.slice.call(canned.options, 1).map(function (o) { return { title: o.dataset.title || o.text, body: o.value }; });
    var picked = 0;
    canned.addEventListener("change", function () { if (canned.value) { text.value = canned.value; text.focus(); } canned.value = ""; });
    function matches() {
      var q = text.value.slice(1).toLowerCase();
      return options.filter(function (o) { return o.title.toLowerCase().indexOf(q) >= 0; });
    }
    function showMenu() {
      var found = text.value.charAt(0) === "/" ? matches() : [];
      menu.textContent = "";
      picked = Math.min(picked, Math.max(found.length - 1, 0));
      found.forEach(function (o, i) {
        var li = document.createElement("li");
        li.setAttribute("role", "option");
        li.textContent = o.title;
        if (i === picked) li.setAttribute("aria-selected", "true");
        li.addEventListener("mousedown", function (ev) { ev.preventDefault(); use(o); });
        menu.appendChild(li);
      });
      menu.hidden = !found.length;
      return found;
    }
    function use(o) { text.value = o.body; menu.hidden = true; text.focus(); }
    text.addEventListener("input", function () { picked = 0; showMenu(); });
    text.addEventListener("keydown", function (e) {
      if (!menu.hidden) {
        var found = matches();
        if (e.key === "ArrowDown" || e.key === "ArrowUp") { e.preventDefault(); picked = (picked + (e.key === "ArrowDown" ? 1 : found.length - 1)) % found.length; showMenu(); return; }
        if ((e.key === "Enter" || e.key === "Tab") && found.length) { e.preventDefault(); use(found[picked]); return; }
        if (e.key === "Escape") { menu.hidden = true; return; }
      }
      if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); reply.requestSubmit(); }
    });
    reply.addEventListener("submit", function (e) {
      e.preventDefault();
      if (!text.value.trim() || text.value.charAt(0) === "/") { return; }
      var body = new URLSearchParams(new FormData(reply));
      fetch(reply.action, { method: "POST", body: body, credentials: "same-origin",
                            headers: { Accept: "application/json", "X-CSRF-Token": csrf } })
        .then(function (r) { return r.json().then(function (d) { return [r.ok, d]; }); })
        .then(function (res) {
          if (res[0]) { text.value = ""; error.hidden = true; }
          else { error.textContent = res[1].error || "The message was not sent."; error.hidden = false; }
        })
        .catch(function () { error.textContent = "The console cannot be reached."; error.hidden = false; });
    });
  }

  // --- keyboard: N next chat, T take, R resolve, Escape leaves the text box ---
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    var typing = t && (t.tagName === "TEXTAREA" || t.tagName === "INPUT" || t.tagName === "SELECT" || t.isContentEditable);
    if (typing) { if (e.key === "Escape" && menu_hidden()) t.blur(); return; }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var open = conversation ? conversation.dataset.handoff : "";
    if (e.key === "n" || e.key === "N") { e.preventDefault(); location.href = "/next" + (open ? "?after=" + open : ""); }
    else if ((e.key === "t" || e.key === "T") && document.getElementById("take")) { e.preventDefault(); document.getElementById("take").submit(); }
    else if ((e.key === "r" || e.key === "R") && document.getElementById("resolve")) { e.preventDefault(); document.getElementById("resolve").submit(); }
    else if (e.key === "Enter" && text) { e.preventDefault(); text.focus(); }
  });
  function menu_hidden() { var m = document.getElementById("canned-menu"); return !m || m.hidden; }
})();
