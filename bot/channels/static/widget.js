/*!
 * crmbot web chat widget. Plain JavaScript, no build step.
 *
 * Embed on any page:   <script src="https://BOT-HOST/chat/widget.js" defer></script>
 * Optional attributes: data-title="Customer service"  data-display-name="Ada"
 *                      data-mode="page" data-target="element-id" (the /chat page uses these)
 *
 * Every piece of text from the server or the customer is rendered with textContent:
 * this file never assigns innerHTML.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.CrmbotChat) return;

  var chatBase = new URL("./", script.src).href; // https://BOT-HOST/chat/
  var serverOrigin = new URL(script.src).origin;
  var opts = script.dataset;
  var mode = opts.mode === "page" ? "page" : "floating";
  var title = opts.title || "Customer service";
  var displayName = opts.displayName || "";
  var STORAGE_KEY = "crmbot.webchat.session";
  var TYPING_TIMEOUT_MS = 20000;
  var config = {
    max_upload_bytes: 5 * 1024 * 1024,
    accepted_types: ["image/jpeg", "image/png", "image/webp"],
    socketio_path: "/socket.io",
    max_message_chars: 2000,
    // websocket first: it needs no CORS headers when the widget sits on a shop's own domain.
    // Websocket only when the server runs several processes (a polling client may reach the wrong one).
    transports: ["websocket", "polling"],
  };

  // --- small helpers ----------------------------------------------------------------

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (key) {
        if (key === "className") node.className = attrs[key];
        else node.setAttribute(key, attrs[key]);
      });
    }
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // Icons are inline SVG (emoji fonts are missing on many systems), built node by node.
  var ICONS = {
    clip: "M21.4 11.1l-9.2 9.2a6 6 0 01-8.5-8.5l9.2-9.2a4 4 0 015.7 5.7l-9.2 9.2a2 2 0 01-2.8-2.8l8.5-8.5",
    chat: "M21 12a8 8 0 01-11.6 7.1L4 20.5l1.4-4.9A8 8 0 1121 12z",
  };
  function icon(name) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", "crmbot-icon");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", ICONS[name]);
    svg.appendChild(path);
    return svg;
  }

  var memoryStore = {};
  function storeGet(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return memoryStore[key] || null; }
  }
  function storeSet(key, value) {
    try { window.localStorage.setItem(key, value); } catch (e) { memoryStore[key] = value; }
  }

  function humanSize(n) {
    if (n >= 1024 * 1024) return (Math.round(n / 104857.6) / 10) + " MB";
    if (n >= 1024) return Math.round(n / 1024) + " KB";
    return n + " bytes";
  }

  function safeImageUrl(src) {
    if (typeof src !== "string") return null;
    try {
      var url = new URL(src, serverOrigin);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  function loadScript(src, done) {
    var s = document.createElement("script");
    s.src = src;
    s.onload = done;
    s.onerror = function () { showBanner("The chat could not load. Please reload the page.", true); };
    document.head.appendChild(s);
  }

  // --- DOM --------------------------------------------------------------------------

  var root = el("div", { className: "crmbot-root crmbot-" + mode });
  var launcher = null;
  var panelId = "crmbot-panel";
  var panel = el("section", {
    className: "crmbot-panel",
    id: panelId,
    role: "region",
    "aria-label": title + " chat",
  });
  var header = el("header", { className: "crmbot-header" });
  var heading = el("div", { className: "crmbot-heading" });
  heading.appendChild(el("h2", { className: "crmbot-title" }, title));
  var statusLine = el("p", { className: "crmbot-status" }, "Connecting…");
  heading.appendChild(statusLine);
  header.appendChild(el("span", { className: "crmbot-avatar", "aria-hidden": "true" }, "✦"));
  header.appendChild(heading);
  var closeButton = null;
  if (mode === "floating") {
    closeButton = el("button", { type: "button", className: "crmbot-close", "aria-label": "Close chat" }, "×");
    header.appendChild(closeButton);
  }
  var banner = el("div", { className: "crmbot-banner", role: "status", hidden: "" });
  var log = el("div", {
    className: "crmbot-log",
    role: "log",
    "aria-live": "polite",
    "aria-relevant": "additions",
    "aria-label": "Conversation",
    tabindex: "0",
  });
  var intro = el("p", { className: "crmbot-intro" }, "Ask about an order, a return, or anything else. A person can take over at any time.");
  var historyBox = el("div", { className: "crmbot-history" });
  var liveBox = el("div", { className: "crmbot-live" });
  log.appendChild(intro);
  log.appendChild(historyBox);
  log.appendChild(liveBox);
  var typing = el("div", { className: "crmbot-typing", role: "status", hidden: "" });
  var dots = el("span", { className: "crmbot-dots", "aria-hidden": "true" });
  dots.appendChild(el("span"));
  dots.appendChild(el("span"));
  dots.appendChild(el("span"));
  typing.appendChild(dots);
  typing.appendChild(el("span", { className: "crmbot-sr" }, "The assistant is typing"));

  var form = el("form", { className: "crmbot-form", novalidate: "" });
  var fileInput = el("input", {
    type: "file",
    className: "crmbot-file",
    accept: config.accepted_types.join(","),
    tabindex: "-1",
    "aria-hidden": "true",
  });
  var attachButton = el("button", { type: "button", className: "crmbot-attach", "aria-label": "Send a photo", title: "Send a photo" });
  attachButton.appendChild(icon("clip"));
  var inputId = "crmbot-input";
  var label = el("label", { className: "crmbot-sr", for: inputId }, "Your message");
  var input = el("input", {
    id: inputId,
    type: "text",
    className: "crmbot-input",
    autocomplete: "off",
    maxlength: "2000",
    placeholder: "Type a message…",
  });
  var sendButton = el("button", { type: "submit", className: "crmbot-send" }, "Send");
  form.appendChild(attachButton);
  form.appendChild(fileInput);
  form.appendChild(label);
  form.appendChild(input);
  form.appendChild(sendButton);

  panel.appendChild(header);
  panel.appendChild(banner);
  panel.appendChild(log);
  panel.appendChild(typing);
  panel.appendChild(form);

  if (mode === "floating") {
    launcher = el("button", {
      type: "button",
      className: "crmbot-launcher",
      "aria-expanded": "false",
      "aria-controls": panelId,
    });
    launcher.appendChild(icon("chat"));
    launcher.appendChild(el("span", { className: "crmbot-launcher-text" }, "Chat with us"));
    panel.hidden = true;
    root.appendChild(panel);
    root.appendChild(launcher);
  } else {
    root.appendChild(panel);
  }

  function mount() {
    var target = opts.target && document.getElementById(opts.target);
    (target || document.body).appendChild(root);
  }

  // --- rendering --------------------------------------------------------------------

  function scrollDown() {
    log.scrollTop = log.scrollHeight;
  }

  function messageRow(who, box) {
    var row = el("div", { className: "crmbot-msg crmbot-" + who });
    (box || liveBox).appendChild(row);
    return row;
  }

  // Web addresses in the assistant's and the team's messages (a parcel's tracking page) open in a
  // new tab. The text is never parsed as HTML: only http(s) addresses become links, node by node.
  var URL_IN_TEXT = /https?:\/\/[^\s<>"']+/g;
  function appendLinked(node, text) {
    var at = 0;
    String(text).replace(URL_IN_TEXT, function (found, offset) {
      var address = found.replace(/[.,;:!?)\]]+$/, "");
      node.appendChild(document.createTextNode(text.slice(at, offset)));
      node.appendChild(el("a", { href: address, target: "_blank", rel: "noopener noreferrer" }, address));
      at = offset + address.length;
      return found;
    });
    node.appendChild(document.createTextNode(text.slice(at)));
    return node;
  }

  // Who wrote an outgoing message: an agent (name and initials), the team's own notice, or
  // (no sender) the assistant. Names are set as text, never as HTML.
  function addSpeaker(row, sender) {
    if (sender.role === "agent") {
      row.classList.add("crmbot-agent");
      var by = el("div", { className: "crmbot-speaker" });
      by.appendChild(el("span", { className: "crmbot-initials", "aria-hidden": "true" }, String(sender.initials || "")));
      by.appendChild(el("span", { className: "crmbot-name" }, String(sender.name || "") + " · our team"));
      row.appendChild(by);
      return String(sender.name || "Our team") + " (our team): ";
    }
    row.classList.add("crmbot-team");
    return "Shop team: ";
  }

  function addText(who, text, box, sender) {
    var row = messageRow(who, box);
    var prefix = who === "user" ? "You: " : who === "bot" ? "Assistant: " : "";
    if (who === "bot" && sender && typeof sender === "object") prefix = addSpeaker(row, sender);
    if (prefix) row.insertBefore(el("span", { className: "crmbot-sr" }, prefix), row.firstChild);
    var bubble = el("div", { className: "crmbot-bubble" }, who === "bot" ? null : text);
    row.appendChild(who === "bot" ? appendLinked(bubble, String(text)) : bubble);
    scrollDown();
    return row;
  }

  function addNotice(text) {
    var row = messageRow("system");
    row.appendChild(el("div", { className: "crmbot-notice" }, text));
    scrollDown();
    return row;
  }

  function addButtons(row, buttons, enabled) {
    var group = el("div", { className: "crmbot-buttons", role: "group", "aria-label": "Quick replies" });
    buttons.forEach(function (b) {
      var title = String(b.title || b.payload || "");
      var payload = String(b.payload || b.title || "");
      var button = el("button", { type: "button", className: "crmbot-quick" }, title);
      if (!enabled) button.disabled = true;
      button.addEventListener("click", function () {
        Array.prototype.forEach.call(group.querySelectorAll("button"), function (other) {
          other.disabled = true;
        });
        button.classList.add("crmbot-chosen");
        sendText(payload, title);
      });
      group.appendChild(button);
    });
    row.appendChild(group);
    scrollDown();
    return group;
  }

  function disableOpenButtons() {
    Array.prototype.forEach.call(log.querySelectorAll(".crmbot-quick"), function (b) { b.disabled = true; });
  }

  function addImage(who, src, alt, caption) {
    var row = messageRow(who);
    var bubble = el("div", { className: "crmbot-bubble crmbot-image" });
    var img = el("img", { alt: alt, loading: "lazy" });
    img.src = src;
    img.addEventListener("load", scrollDown);
    bubble.appendChild(img);
    if (caption) bubble.appendChild(el("span", { className: "crmbot-caption" }, caption));
    row.appendChild(bubble);
    scrollDown();
    return row;
  }

  function renderBotMessage(msg) {
    if (!msg || typeof msg !== "object") return;
    var row = null;
    if (typeof msg.text === "string" && msg.text !== "") row = addText("bot", msg.text, null, msg.sender);
    var quick = Array.isArray(msg.quick_replies) ? msg.quick_replies : Array.isArray(msg.buttons) ? msg.buttons : [];
    if (quick.length) addButtons(row || messageRow("bot"), quick, true);
    var att = msg.attachment;
    if (att && att.type === "image" && att.payload) {
      var src = safeImageUrl(att.payload.src || att.payload.url);
      if (src) addImage("bot", src, "Image from the assistant");
    }
  }

  function clickedButton(item, previous) {
    var buttons = (previous && previous.buttons) || [];
    for (var i = 0; i < buttons.length; i++) if (buttons[i].payload === item.text) return i;
    return -1;
  }

  function historyText(item, previous) {
    if (item.direction !== "in" || item.text.charAt(0) !== "/") return item.text;
    if (item.text.indexOf("/send_photo") === 0) return "(photo sent)";
    // A quick reply is stored as its payload; show the title the customer clicked.
    var index = clickedButton(item, previous);
    return index >= 0 ? previous.buttons[index].title : item.text;
  }

  function renderHistory(messages) {
    historyBox.textContent = "";
    if (!messages.length) return;
    var lastOut = null;
    var lastGroup = null;
    messages.forEach(function (item, index) {
      var isLast = index === messages.length - 1 && !liveBox.childNodes.length;
      var who = item.direction === "in" ? "user" : "bot";
      var row = addText(who, historyText(item, lastOut), historyBox, item.sender);
      row.classList.add("crmbot-from-history");
      if (item.direction === "in" && lastGroup) {
        var chosen = lastGroup.querySelectorAll("button")[clickedButton(item, lastOut)];
        if (chosen) chosen.classList.add("crmbot-chosen");
        lastGroup = null;
      }
      if (item.direction === "out") {
        lastGroup = item.buttons && item.buttons.length ? addButtons(row, item.buttons, isLast) : null;
        lastOut = item;
      }
    });
    var divider = el("div", { className: "crmbot-divider", role: "separator" });
    divider.appendChild(el("span", null, "Earlier messages"));
    historyBox.insertBefore(divider, historyBox.firstChild);
    scrollDown();
  }

  // --- typing and connection state ----------------------------------------------------

  var typingTimer = null;
  function showTyping() {
    typing.hidden = false;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(hideTyping, TYPING_TIMEOUT_MS);
    scrollDown();
  }
  function hideTyping() {
    typing.hidden = true;
    clearTimeout(typingTimer);
  }

  function showBanner(text, isError) {
    banner.textContent = text;
    banner.classList.toggle("crmbot-banner-error", !!isError);
    banner.hidden = false;
  }
  function hideBanner() {
    banner.hidden = true;
  }
  function setStatus(text, online) {
    statusLine.textContent = text;
    root.classList.toggle("crmbot-online", !!online);
  }

  // --- talking to the server ----------------------------------------------------------

  // The server issues and signs the session token ("<session id>.<signature>"); we only keep it.
  var socket = null;
  var sessionToken = storeGet(STORAGE_KEY);
  function sessionIdOf(token) { return token ? String(token).split(".")[0] : null; }
  var historyLoaded = false;
  var everConnected = false;

  function loadHistory(token) {
    if (historyLoaded || !token) return;
    historyLoaded = true;
    // A form POST is a "simple" request: no CORS preflight, and the token stays out of URLs.
    fetch(chatBase + "history", { method: "POST", body: new URLSearchParams({ session: token }) })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data && Array.isArray(data.messages)) renderHistory(data.messages); })
      .catch(function () { /* history is a nicety; the chat works without it */ });
  }

  function loadConfig() {
    return fetch(chatBase + "config")
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data) Object.keys(config).forEach(function (k) { if (data[k] !== undefined) config[k] = data[k]; });
        fileInput.setAttribute("accept", config.accepted_types.join(","));
        input.setAttribute("maxlength", String(config.max_message_chars));
      })
      .catch(function () { /* keep the defaults */ });
  }

  function metadata() {
    return displayName ? { display_name: displayName } : {};
  }

  function sendText(payload, shown) {
    var text = String(payload || "").trim();
    if (!text) return;
    if (!socket) {
      addNotice("Still connecting. Please try again in a moment.");
      return;
    }
    disableOpenButtons();
    addText("user", shown || text);
    showTyping();
    socket.emit("user_uttered", { message: text, session: sessionToken, metadata: metadata() });
  }

  function connect() {
    socket = window.io(serverOrigin, {
      path: config.socketio_path,
      transports: config.transports,
      reconnection: true,
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
    });
    socket.on("connect", function () {
      // On every (re)connect: the server forgets rooms on restart, so ask for our session again.
      socket.emit("session_request", { session: sessionToken });
    });
    socket.on("session_confirm", function (token) {
      // A renewed token of the same session keeps the history shown; another session starts afresh.
      if (sessionToken && sessionIdOf(token) !== sessionIdOf(sessionToken)) historyBox.textContent = "";
      sessionToken = token;
      storeSet(STORAGE_KEY, token);
      everConnected = true;
      hideBanner();
      setStatus("Online", true);
      root.setAttribute("data-session-ready", "true");
    });
    socket.on("disconnect", function () {
      setStatus("Offline", false);
      root.removeAttribute("data-session-ready");
      showBanner("Connection lost. Reconnecting…");
    });
    socket.io.on("reconnect_attempt", function () {
      showBanner("Reconnecting…");
    });
    socket.on("connect_error", function () {
      if (!everConnected) showBanner("Cannot reach the chat server. Retrying…");
    });
    socket.on("bot_uttered", function (msg) {
      hideTyping();
      renderBotMessage(msg);
    });
    socket.on("webchat_error", function (msg) {
      hideTyping();
      addNotice((msg && msg.error) || "Something went wrong. Please try again.");
    });
  }

  function uploadFile(file) {
    if (config.accepted_types.indexOf(file.type) === -1) {
      addNotice("Only JPEG, PNG or WebP images can be sent.");
      return;
    }
    if (file.size > config.max_upload_bytes) {
      addNotice("That file is too large. The limit is " + humanSize(config.max_upload_bytes) + ".");
      return;
    }
    if (!sessionToken) {
      addNotice("Still connecting. Please try again in a moment.");
      return;
    }
    disableOpenButtons();
    var row = addImage("user", URL.createObjectURL(file), "Your photo", file.name);
    row.classList.add("crmbot-uploading");
    var body = new FormData();
    body.append("session", sessionToken);
    body.append("file", file, file.name);
    if (displayName) body.append("display_name", displayName);
    showTyping();
    fetch(chatBase + "upload", { method: "POST", body: body })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) {
          row.classList.remove("crmbot-uploading");
          if (!r.ok) {
            hideTyping();
            row.classList.add("crmbot-failed");
            addNotice(data.error || "The photo could not be sent.");
          }
        });
      })
      .catch(function () {
        hideTyping();
        row.classList.remove("crmbot-uploading");
        row.classList.add("crmbot-failed");
        addNotice("The photo could not be sent. Check your connection and try again.");
      });
  }

  // --- events -----------------------------------------------------------------------

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    if (!text.trim()) return;
    input.value = "";
    sendText(text);
  });
  attachButton.addEventListener("click", function () { fileInput.click(); });
  fileInput.addEventListener("change", function () {
    if (fileInput.files && fileInput.files[0]) uploadFile(fileInput.files[0]);
    fileInput.value = "";
  });

  function open() {
    if (mode !== "floating") return;
    panel.hidden = false;
    root.classList.add("crmbot-open");
    launcher.setAttribute("aria-expanded", "true");
    scrollDown();
    input.focus();
  }
  function close() {
    if (mode !== "floating") return;
    panel.hidden = true;
    root.classList.remove("crmbot-open");
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }
  if (mode === "floating") {
    launcher.addEventListener("click", function () { if (panel.hidden) open(); else close(); });
    closeButton.addEventListener("click", close);
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { event.preventDefault(); close(); }
    });
  }

  window.CrmbotChat = {
    open: open,
    close: close,
    sessionId: function () { return sessionIdOf(sessionToken); },
  };

  function start() {
    mount();
    loadHistory(sessionToken);
    loadConfig().then(function () {
      if (typeof window.io !== "function") loadScript(chatBase + "socket.io.min.js", connect);
      else connect();
    });
  }

  if (mode === "floating" && !document.querySelector("link[data-crmbot-css]")) {
    var css = el("link", { rel: "stylesheet", href: chatBase + "widget.css", "data-crmbot-css": "" });
    document.head.appendChild(css);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
