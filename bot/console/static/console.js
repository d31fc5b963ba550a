// The agent console's live parts, in plain JavaScript (no build step):
// the queue and the transcript follow server-sent events; replies go out without a reload.
(function () {
  "use strict";
  var csrf = document.body.dataset.csrf || "";

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tickSla() {
    document.querySelectorAll(".sla[data-since]").forEach(function (el) {
      var secs = Math.max(0, Math.floor((Date.now() - Date.parse(el.dataset.since)) / 1000));
      el.textContent = Math.floor(secs / 60) + ":" + pad(secs % 60);
      el.classList.toggle("late", secs >= Number(el.dataset.limit || 600));
    });
  }

  var queue = document.querySelector("table.queue[data-live]");
  if (queue) {
    var rows = document.getElementById("queue-rows");
    var events = new EventSource(queue.dataset.live);
    events.addEventListener("queue", function () {
      fetch(queue.dataset.rows, { headers: { Accept: "text/html" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) { rows.innerHTML = html; rows.querySelectorAll("input[name=csrf]").forEach(function (i) { i.value = csrf; }); tickSla(); });
    });
    tickSla();
    setInterval(tickSla, 1000);
  }

  var conversation = document.querySelector(".conversation[data-live]");
  if (conversation) {
    var transcript = document.getElementById("transcript");
    var status = document.getElementById("status");
    var last = Number(conversation.dataset.last || 0);
    var source = new EventSource(conversation.dataset.live + "?after=" + last);
    transcript.scrollTop = transcript.scrollHeight;
    source.addEventListener("messages", function (e) {
      var data = JSON.parse(e.data);
      if (data.last <= last) { return; }
      last = data.last;
      transcript.insertAdjacentHTML("beforeend", data.html);  // rendered and escaped by the server
      transcript.scrollTop = transcript.scrollHeight;
    });
    source.addEventListener("status", function (e) {
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

    var reply = document.getElementById("reply");
    if (reply) {
      var text = document.getElementById("reply-text");
      var error = document.getElementById("reply-error");
      var canned = document.getElementById("canned");
      canned.addEventListener("change", function () { if (canned.value) { text.value = canned.value; text.focus(); } canned.value = ""; });
      text.addEventListener("keydown", function (e) { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); reply.requestSubmit(); } });
      reply.addEventListener("submit", function (e) {
        e.preventDefault();
        if (!text.value.trim()) { return; }
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
  }
})();
