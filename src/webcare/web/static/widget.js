/*
 * webcare chat widget: one <script> tag on a shop's site.
 *
 *   <script src="https://webcare.example/static/widget.js" data-widget-key="KEY" async></script>
 *
 * Optional: data-lang="nl" | "en" (default: the browser's language, Dutch otherwise).
 *
 * Everything lives in a shadow DOM, so the shop's CSS does not leak in and ours does not leak
 * out. Text from anyone (visitor, agent, settings) is only ever set with textContent, never as
 * HTML. The visitor's signed id is kept in localStorage, so a returning visitor continues their
 * conversation. New messages arrive over Server-Sent Events; after a lost connection the
 * stream resumes after the last message id shown, so nothing is missed. No third-party code.
 */
(function () {
  "use strict";

  var script = document.currentScript || document.querySelector("script[data-widget-key]");
  if (!script || !script.getAttribute("data-widget-key")) return;
  var KEY = script.getAttribute("data-widget-key");
  var BASE = new URL(script.src, document.baseURI).origin + "/widget/" + encodeURIComponent(KEY);
  var STORE = "webcare-chat:" + KEY;

  var STRINGS = {
    nl: {
      open: "Chat met ons",
      close: "Sluiten",
      placeholder: "Typ je bericht…",
      send: "Versturen",
      you: "Jij",
      team: "Team",
      online: "We zijn online",
      offline: "Niet online",
      email: "Je e-mailadres",
      question: "Je vraag",
      leave: "Verstuur",
      thanks: "Dank je! We mailen je zo snel mogelijk.",
      failed: "Versturen mislukt. Probeer het opnieuw.",
      slow: "Je stuurt veel berichten. Probeer het over %s seconden opnieuw.",
      unavailable: "De chat is nu niet beschikbaar.",
    },
    en: {
      open: "Chat with us",
      close: "Close",
      placeholder: "Type your message…",
      send: "Send",
      you: "You",
      team: "Team",
      online: "We are online",
      offline: "Offline",
      email: "Your e-mail address",
      question: "Your question",
      leave: "Send",
      thanks: "Thank you! We will e-mail you as soon as we can.",
      failed: "Sending failed. Please try again.",
      slow: "You are sending a lot. Please try again in %s seconds.",
      unavailable: "The chat is not available right now.",
    },
  };
  var requested = (script.getAttribute("data-lang") || navigator.language || "nl").slice(0, 2);
  var LANG = STRINGS[requested.toLowerCase()] ? requested.toLowerCase() : "nl";
  var T = STRINGS[LANG];

  var CSS = [
    ":host { all: initial; }",
    "* { box-sizing: border-box; font-family: system-ui, sans-serif; font-size: 14px; line-height: 1.4; }",
    ".launcher { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; border: 0;",
    "  border-radius: 24px; padding: 12px 18px; background: #7a5af8; color: #fff; cursor: pointer;",
    "  box-shadow: 0 2px 10px rgba(0,0,0,.25); }",
    ".panel { position: fixed; right: 20px; bottom: 76px; z-index: 2147483000; width: 340px;",
    "  max-width: calc(100vw - 40px); height: 460px; max-height: calc(100vh - 100px);",
    "  background: #fff; color: #1f2328; border-radius: 12px; box-shadow: 0 4px 24px rgba(0,0,0,.25);",
    "  display: flex; flex-direction: column; overflow: hidden; }",
    ".panel[hidden] { display: none; }",
    "header { background: #7a5af8; color: #fff; padding: 10px 14px; display: flex; align-items: center; gap: 8px; }",
    "header .title { font-weight: 600; flex: 1; }",
    "header .status { font-size: 12px; opacity: .9; }",
    "header button { background: transparent; color: #fff; border: 0; cursor: pointer; font-size: 18px; }",
    ".log { flex: 1; overflow-y: auto; padding: 12px; display: flex; flex-direction: column; gap: 8px; background: #f6f7f9; }",
    ".msg { max-width: 80%; padding: 8px 10px; border-radius: 10px; white-space: pre-wrap; overflow-wrap: anywhere; }",
    ".msg .who { display: block; font-size: 11px; opacity: .7; margin-bottom: 2px; }",
    ".msg.visitor { align-self: flex-end; background: #7a5af8; color: #fff; }",
    ".msg.agent, .msg.system { align-self: flex-start; background: #fff; border: 1px solid #e3e5e8; }",
    ".msg.pending { opacity: .6; }",
    ".notice { font-size: 12px; color: #b42318; padding: 4px 12px; }",
    ".notice:empty { display: none; }",
    "form { display: flex; gap: 6px; padding: 8px; border-top: 1px solid #e3e5e8; background: #fff; }",
    "form.email { flex-direction: column; }",
    "form[hidden] { display: none; }",
    "input, textarea { flex: 1; border: 1px solid #c9ccd1; border-radius: 8px; padding: 8px; resize: none; color: #1f2328; background: #fff; }",
    "form button { border: 0; border-radius: 8px; padding: 8px 12px; background: #7a5af8; color: #fff; cursor: pointer; }",
  ].join("\n");

  // State ---------------------------------------------------------------------------------

  var token = null;
  var lastId = 0;
  var online = false;
  var shown = {}; // message id -> element
  var pending = {}; // client id -> element
  var conversations = {};
  var source = null;
  var reconnectDelay = 1000;

  // DOM -----------------------------------------------------------------------------------

  var host = document.createElement("div");
  host.setAttribute("data-webcare-chat", "");
  var root = host.attachShadow({ mode: "open" });
  var style = document.createElement("style");
  style.textContent = CSS;
  root.appendChild(style);

  var launcher = el("button", "launcher", T.open);
  launcher.type = "button";
  launcher.setAttribute("aria-expanded", "false");
  root.appendChild(launcher);

  var panel = el("section", "panel");
  panel.hidden = true;
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", T.open);
  var header = el("header");
  var title = el("span", "title", "");
  var status = el("span", "status", "");
  var closer = el("button", "close", "×");
  closer.type = "button";
  closer.setAttribute("aria-label", T.close);
  header.append(title, status, closer);
  var log = el("div", "log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  var notice = el("div", "notice");
  notice.setAttribute("role", "alert");

  var chatForm = el("form", "chat");
  var input = el("textarea");
  input.rows = 2;
  input.maxLength = 2000;
  input.placeholder = T.placeholder;
  input.setAttribute("aria-label", T.placeholder);
  var sendButton = el("button", "", T.send);
  sendButton.type = "submit";
  chatForm.append(input, sendButton);

  var emailForm = el("form", "email");
  emailForm.hidden = true;
  var offlineText = el("p", "offline-text", "");
  var emailInput = el("input");
  emailInput.type = "email";
  emailInput.required = true;
  emailInput.maxLength = 254;
  emailInput.placeholder = T.email;
  emailInput.setAttribute("aria-label", T.email);
  var questionInput = el("textarea");
  questionInput.rows = 3;
  questionInput.maxLength = 2000;
  questionInput.placeholder = T.question;
  questionInput.setAttribute("aria-label", T.question);
  var emailButton = el("button", "", T.leave);
  emailButton.type = "submit";
  emailForm.append(offlineText, emailInput, questionInput, emailButton);

  panel.append(header, log, notice, chatForm, emailForm);
  root.appendChild(panel);

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function mount() {
    (document.body || document.documentElement).appendChild(host);
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);

  // HTTP ----------------------------------------------------------------------------------

  function call(method, path, body) {
    var headers = {};
    if (token) headers["X-Visitor-Token"] = token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    return fetch(BASE + path, {
      method: method,
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      mode: "cors",
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = new Error(data.detail || response.statusText);
          error.status = response.status;
          error.retryAfter = response.headers.get("Retry-After");
          throw error;
        }
        return data;
      });
    });
  }

  function stored() {
    try { return window.localStorage.getItem(STORE); } catch (e) { return null; }
  }

  function store(value) {
    try {
      if (value) window.localStorage.setItem(STORE, value);
      else window.localStorage.removeItem(STORE);
    } catch (e) { /* storage blocked: the visitor is new on every page */ }
  }

  function startSession() {
    return call("POST", "/session", { visitor_token: stored() }).catch(function (error) {
      if (error.status !== 401) throw error;
      store(null); // not ours (another instance, a rotated secret): start afresh
      return call("POST", "/session", {});
    }).then(function (data) {
      token = data.visitor_token;
      store(token);
    });
  }

  function clientId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  // Rendering -----------------------------------------------------------------------------

  function bubble(kind, who, text) {
    var node = el("div", "msg " + kind);
    if (who) node.appendChild(el("span", "who", who));
    node.appendChild(el("span", "text", text));
    return node;
  }

  function show(message) {
    if (shown[message.id]) return;
    conversations[message.conversation_id] = true;
    lastId = Math.max(lastId, message.id);
    var who = message.author === "visitor" ? T.you : (message.agent_name || T.team);
    var node = bubble(message.author === "visitor" ? "visitor" : "agent", who, message.text);
    node.setAttribute("data-id", String(message.id));
    var mine = message.client_id && pending[message.client_id];
    if (mine) {
      log.replaceChild(node, mine);
      delete pending[message.client_id];
    } else {
      log.appendChild(node);
    }
    shown[message.id] = node;
    log.scrollTop = log.scrollHeight;
  }

  function say(text) {
    notice.textContent = text || "";
  }

  function setOnline(value, config) {
    online = value;
    status.textContent = value ? T.online : T.offline;
    chatForm.hidden = !value;
    emailForm.hidden = value;
    if (config) offlineText.textContent = config.offline_message;
  }

  // Live ----------------------------------------------------------------------------------

  function connect() {
    if (source) source.close();
    var url = BASE + "/stream?token=" + encodeURIComponent(token) + "&after=" + lastId;
    source = new EventSource(url);
    source.addEventListener("hello", function (event) {
      reconnectDelay = 1000;
      JSON.parse(event.data).conversation_ids.forEach(function (id) { conversations[id] = true; });
    });
    source.addEventListener("message", function (event) {
      show(JSON.parse(event.data));
    });
    source.onerror = function () {
      // The browser retries by itself (with Last-Event-ID) unless the stream was refused.
      // Refused (a token no longer ours, a restarted server): check the session, then retry.
      if (source.readyState === EventSource.CLOSED) {
        setTimeout(function () {
          startSession().then(connect, function () { source.onerror(); });
        }, reconnectDelay);
        reconnectDelay = Math.min(reconnectDelay * 2, 30000);
      }
    };
  }

  // Actions -------------------------------------------------------------------------------

  function post(text, id, node) {
    return call("POST", "/messages", { client_id: id, text: text }).then(function (data) {
      say("");
      if (!conversations[data.conversation_id]) {
        conversations[data.conversation_id] = true;
        connect(); // a new conversation: the open stream does not know it yet
      }
      return call("GET", "/messages?after=" + lastId).then(function (found) {
        found.messages.forEach(show);
      });
    }).catch(function (error) {
      if (error.status === 429) {
        say(T.slow.replace("%s", error.retryAfter || "60"));
      } else if (error.status === 422) {
        say(error.message);
      } else {
        say(T.failed);
      }
      if (node.parentNode && pending[id]) {
        node.parentNode.removeChild(node);
        delete pending[id];
        input.value = input.value || text;
      }
    });
  }

  chatForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text || !token) return;
    var id = clientId();
    var node = bubble("visitor pending", T.you, text);
    pending[id] = node;
    log.appendChild(node);
    log.scrollTop = log.scrollHeight;
    input.value = "";
    post(text, id, node);
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      chatForm.requestSubmit();
    }
  });

  emailForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = { email: emailInput.value.trim() };
    var question = questionInput.value.trim();
    if (question) {
      body.text = question;
      body.client_id = clientId();
    }
    call("POST", "/email", body).then(function () {
      say("");
      emailForm.hidden = true;
      log.appendChild(bubble("system", "", T.thanks));
      questionInput.value = "";
      return call("GET", "/messages?after=" + lastId).then(function (found) {
        found.messages.forEach(show);
      });
    }).catch(function (error) {
      if (error.status === 429) say(T.slow.replace("%s", error.retryAfter || "60"));
      else say(error.status === 422 ? error.message : T.failed);
    });
  });

  // Start ---------------------------------------------------------------------------------

  var started = null;

  function start() {
    if (started) return started;
    started = call("GET", "/config?lang=" + LANG).then(function (config) {
      title.textContent = config.name;
      log.appendChild(bubble("agent greeting", "", config.greeting));
      setOnline(config.online, config);
      return startSession();
    }).then(function () {
      return call("GET", "/messages?after=0");
    }).then(function (found) {
      found.messages.forEach(show);
      found.conversation_ids.forEach(function (id) { conversations[id] = true; });
      connect();
    }).catch(function () {
      started = null;
      say(T.unavailable);
    });
    return started;
  }

  function toggle(open) {
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    if (open) {
      start();
      (online ? input : emailInput).focus();
    }
  }

  launcher.addEventListener("click", function () { toggle(panel.hidden); });
  closer.addEventListener("click", function () { toggle(false); });
  if (stored()) start(); // a returning visitor: catch up and listen right away
})();
