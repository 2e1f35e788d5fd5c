// webcare inbox: live updates (SSE), presence, drafts, the composer counter and shortcuts.
// Everything else is plain HTML forms enhanced by htmx; this file holds only what HTML can't.
(function () {
  "use strict";

  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
  const i18n = document.getElementById("i18n")?.dataset || {};
  const HEARTBEAT_MS = 15000;
  const TYPING_MS = 3000;
  // Stopped typing after this long without a keystroke. Shorter than the server's lifetime of
  // a "typing" state (8 s), so the change back to "viewing" is still news for colleagues.
  const TYPING_IDLE_MS = 5000;
  let openId = null;
  let heartbeat = null;
  let lastTyping = 0;
  let typingIdle = null;

  // htmx: swap 4xx answers too (they carry a toast or the collision warning), never 204s.
  if (window.htmx) configureHtmx();
  else document.addEventListener("DOMContentLoaded", configureHtmx);

  function configureHtmx() {
    if (!window.htmx) return;
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "[4]..", swap: true, error: false },
      { code: "...", swap: true, error: true },
    ];
    htmx.config.historyCacheSize = 0;
    // Enhance swapped-in content at once, not 20 ms later: a click that lands on a freshly
    // refreshed list or pane in between would otherwise be a full page load.
    htmx.config.defaultSettleDelay = 0;
  }

  // ---- helpers -------------------------------------------------------------------------
  function post(url, data, keepalive) {
    const body = new URLSearchParams(data || {});
    return fetch(url, {
      method: "POST", body, keepalive: !!keepalive, credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "HX-Request": "true" },
    }).catch(() => null);
  }

  function toast(message, kind) {
    const box = document.getElementById("toasts");
    if (!box) return;
    const el = document.createElement("div");
    el.className = "toast toast-" + (kind || "info");
    el.setAttribute("role", kind === "error" ? "alert" : "status");
    const span = document.createElement("span");
    span.textContent = message;  // never innerHTML: messages may quote customers
    el.appendChild(span);
    box.appendChild(el);
    setTimeout(() => el.remove(), 6000);
  }

  function debounce(fn, ms) {
    let timer = null;
    return function () { clearTimeout(timer); timer = setTimeout(fn, ms); };
  }

  function listUrl() {
    const list = document.getElementById("list");
    const query = list ? list.dataset.query : "";
    return "/inbox" + (query ? "?" + query : "");
  }

  // ---- live updates ----------------------------------------------------------------------
  const refreshList = debounce(() => {
    const list = document.getElementById("list");
    if (list && window.htmx) {
      htmx.ajax("GET", listUrl(), { target: "#list", swap: "outerHTML" });
    }
    document.body.dispatchEvent(new CustomEvent("webcare:counts"));
  }, 250);

  // Answers to overlapping refreshes may arrive out of order; only the newest is shown.
  let conversationAsked = 0;
  let presenceAsked = 0;

  const refreshConversation = debounce(() => {
    if (!openId) return;
    const id = openId;
    const asked = ++conversationAsked;
    fetch("/inbox/c/" + id, { headers: { "HX-Request": "true", "HX-Target": "conversation" },
                             credentials: "same-origin" })
      .then((r) => (r.ok ? r.text() : null))
      .then((html) => {
        if (!html || id !== openId || asked !== conversationAsked) return;
        const doc = new DOMParser().parseFromString(html, "text/html");
        // Replace everything but the composer, so typing, focus and caret are untouched.
        for (const selector of [".conv-head", ".actions", ".labels-bar", "#thread", ".customer"]) {
          const fresh = doc.querySelector(selector);
          const current = document.querySelector("#conversation " + selector);
          if (fresh && current) {
            // Who else is here has its own, possibly newer, updates: keep it.
            const presence = current.querySelector(".presence");
            if (presence) fresh.querySelector(".presence")?.replaceWith(presence);
            current.replaceWith(fresh);
            if (window.htmx) htmx.process(fresh);
          }
        }
      })
      .catch(() => {});
  }, 150);

  // A plain fetch, not htmx.ajax: that one queues behind the list's refresh and is dropped
  // when another refresh queues after it.
  function refreshPresence() {
    if (!openId) return;
    const id = openId;
    const asked = ++presenceAsked;
    fetch("/inbox/c/" + id + "/presence", { headers: { "HX-Request": "true" },
                                            credentials: "same-origin" })
      .then((r) => (r.ok ? r.text() : null))
      .then((html) => {
        const box = document.getElementById("presence-" + id);
        if (html !== null && box && asked === presenceAsked) box.innerHTML = html;
      })
      .catch(() => {});
  }

  function connect() {
    if (!window.EventSource || !document.body.dataset.userId) return;
    const source = new EventSource("/live");
    let wasDown = false;
    source.onerror = () => {
      if (!wasDown) toast(i18n.offline || "Connection lost", "error");
      wasDown = true;
    };
    source.addEventListener("hello", () => {
      if (wasDown) {
        toast(i18n.online || "Connected"); refreshList(); refreshConversation(); refreshPresence();
      }
      wasDown = false;
    });
    const conversationEvents = [
      "message.received", "message.edited", "message.deleted", "conversation.created",
      "conversation.changed", "conversation.merged", "reply.queued", "reply.delivery_changed",
      "note.added",
    ];
    for (const name of conversationEvents) {
      source.addEventListener(name, (e) => {
        const data = JSON.parse(e.data);
        refreshList();
        if (openId && (data.conversation_id === openId || data.merged_from_id === openId)) {
          refreshConversation();
        }
      });
    }
    source.addEventListener("presence.changed", (e) => {
      const data = JSON.parse(e.data);
      if (data.conversation_id === openId) refreshPresence();
    });
    source.addEventListener("notification.created", (e) => {
      const data = JSON.parse(e.data);
      const badge = document.getElementById("unread");
      if (badge) { badge.hidden = false; badge.textContent = String((+badge.textContent || 0) + 1); }
      const texts = { assigned: i18n.assigned, spike: i18n.spike };
      toast(texts[data.reason] || i18n.mentioned);
    });
    source.addEventListener("resync", () => { refreshList(); refreshConversation(); refreshPresence(); });
  }

  // ---- the open conversation: presence, drafts, counter ---------------------------------
  function conversationOpened() {
    const pane = document.querySelector("#conversation .conversation");
    const id = pane ? Number(pane.dataset.conversationId) : null;
    if (id !== openId) {
      if (openId) post("/inbox/c/" + openId + "/presence", { state: "left" }, true);
      openId = id;
      clearInterval(heartbeat);
      if (openId) {
        post("/inbox/c/" + openId + "/presence", { state: "viewing" });
        heartbeat = setInterval(() => {
          if (openId && !document.hidden) post("/inbox/c/" + openId + "/presence", { state: "viewing" });
        }, HEARTBEAT_MS);
      }
    }
    document.body.classList.toggle("has-conversation", !!openId);
    markOpen();
    restoreDrafts();
    updateCounter();
  }

  function markOpen() {
    document.querySelectorAll("#list .item").forEach((li) => {
      li.classList.toggle("open", Number(li.dataset.id) === openId);
    });
  }

  function draftKey(textarea) {
    const composer = textarea.closest(".composer");
    return composer ? "webcare:draft:" + composer.dataset.conversationId + ":" + textarea.dataset.draft : null;
  }

  function restoreDrafts() {
    document.querySelectorAll("textarea[data-draft]").forEach((textarea) => {
      const key = draftKey(textarea);
      const saved = key && localStorage.getItem(key);
      if (saved && !textarea.value) textarea.value = saved;
    });
  }

  function updateCounter() {
    const form = document.getElementById("reply-form");
    if (!form) return;
    const limits = JSON.parse(form.dataset.limits || "{}");
    const chosen = form.querySelector('input[name="visibility"]:checked') ||
                   form.querySelector('input[name="visibility"]');
    const limit = limits[chosen ? chosen.value : "public"] || 10000;
    const text = form.querySelector("textarea").value.trim();
    const used = [...text].length + [...(form.dataset.suffix || "")].length;
    const counter = form.querySelector("[data-counter]");
    counter.querySelector("[data-count]").textContent = String(used);
    counter.querySelector("[data-limit]").textContent = String(limit);
    counter.classList.toggle("over", used > limit);
  }

  document.addEventListener("input", (e) => {
    const t = e.target;
    if (t.matches && t.matches("textarea[data-draft]")) {
      const key = draftKey(t);
      if (key) { if (t.value) localStorage.setItem(key, t.value); else localStorage.removeItem(key); }
      if (t.dataset.draft === "reply") updateCounter();
      const now = Date.now();
      if (openId && now - lastTyping > TYPING_MS) {
        lastTyping = now;
        post("/inbox/c/" + openId + "/presence", { state: "typing" });
      }
      clearTimeout(typingIdle);
      typingIdle = setTimeout(stoppedTyping, TYPING_IDLE_MS);
    }
  });

  // Tell colleagues at once when the typing is over (sent, or a pause): the server never
  // announces that a "typing" state ran out, so they would see "… is typing…" until the next
  // change of presence.
  function stoppedTyping() {
    clearTimeout(typingIdle);
    if (openId && lastTyping) {
      lastTyping = 0;
      post("/inbox/c/" + openId + "/presence", { state: "viewing" });
    }
  }
  document.addEventListener("change", (e) => {
    if (e.target.matches && e.target.matches('#reply-form input[name="visibility"]')) updateCounter();
    if (e.target.matches && e.target.matches('#list input[name="ids"], [data-action="select-all"]')) {
      if (e.target.dataset.action === "select-all") {
        document.querySelectorAll('#list input[name="ids"]').forEach((c) => { c.checked = e.target.checked; });
      }
      const any = document.querySelector('#list input[name="ids"]:checked');
      const bar = document.querySelector(".bulk-actions");
      if (bar) bar.hidden = !any;
    }
  });

  document.body.addEventListener("webcare:sent", (e) => {
    const d = e.detail || {};
    localStorage.removeItem("webcare:draft:" + d.conversation + ":" + d.mode);
    stoppedTyping();
  });
  document.body.addEventListener("webcare:bulk-done", (e) => {
    toast((e.detail && e.detail.message) || "OK");
    refreshList();
    refreshConversation();
  });

  // ---- clicks -------------------------------------------------------------------------------
  document.addEventListener("click", (e) => {
    const el = e.target.closest("[data-action], [data-tab], [data-mention]");
    if (!el) return;
    if (el.dataset.tab) {
      showTab(el.dataset.tab);
    } else if (el.dataset.mention) {
      const note = document.getElementById("note-text");
      if (note) { note.value += (note.value && !note.value.endsWith(" ") ? " " : "") + "@" + el.dataset.mention + " "; note.focus(); }
    } else if (el.dataset.action === "dismiss") {
      el.closest(".toast")?.remove();
    } else if (el.dataset.action === "help") {
      document.getElementById("help")?.showModal();
    } else if (el.dataset.action === "toggle-nav") {
      const open = document.body.classList.toggle("nav-open");
      el.setAttribute("aria-expanded", String(open));
    }
  });

  function showTab(name) {
    document.querySelectorAll(".composer .tab").forEach((t) => {
      const on = t.dataset.tab === name;
      t.classList.toggle("active", on);
      t.setAttribute("aria-selected", String(on));
    });
    const reply = document.getElementById("reply-form");
    const note = document.getElementById("note-form");
    if (reply) reply.hidden = name !== "reply";
    if (note) note.hidden = name !== "note";
    document.getElementById(name === "reply" ? "reply-text" : "note-text")?.focus();
  }

  // ---- keyboard ------------------------------------------------------------------------------
  function move(step) {
    const items = [...document.querySelectorAll("#list .item")];
    if (!items.length) return;
    let index = items.findIndex((li) => li.classList.contains("selected"));
    if (index < 0) index = items.findIndex((li) => li.classList.contains("open"));
    index = index < 0 ? 0 : Math.min(items.length - 1, Math.max(0, index + step));
    items.forEach((li) => li.classList.remove("selected"));
    const chosen = items[index];
    chosen.classList.add("selected");
    chosen.scrollIntoView({ block: "nearest" });
    chosen.querySelector(".item-link")?.click();
  }

  document.addEventListener("keydown", (e) => {
    const t = e.target;
    const typing = t.matches && t.matches("input, textarea, select, [contenteditable]");
    if (typing) {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && t.form) { e.preventDefault(); t.form.requestSubmit(); }
      if (e.key === "Escape") t.blur();
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const actions = {
      j: () => move(1), k: () => move(-1),
      o: () => document.querySelector("#list .item.selected .item-link")?.click(),
      Enter: () => document.querySelector("#list .item.selected .item-link")?.click(),
      r: () => showTab("reply"), n: () => showTab("note"),
      e: () => document.getElementById("resolve-button")?.click(),
      a: () => document.getElementById("assign-select")?.focus(),
      l: () => document.getElementById("label-select")?.focus(),
      s: () => { const d = document.getElementById("snooze-menu"); if (d) { d.open = true; d.querySelector("button")?.focus(); } },
      "/": () => document.getElementById("q")?.focus(),
      "?": () => document.getElementById("help")?.showModal(),
    };
    const action = actions[e.key];
    if (action) { e.preventDefault(); action(); }
  });

  // ---- wiring --------------------------------------------------------------------------------
  document.addEventListener("htmx:afterSwap", (e) => {
    const target = e.detail.target;
    if (target.id === "conversation" || target.closest?.("#conversation")) conversationOpened();
    syncSaveView();  // cheap, and the swapped list may be a detached element by now
    markOpen();
    if (target.id === "conversation") document.body.classList.remove("nav-open");
  });
  document.addEventListener("htmx:afterSettle", () => syncSaveView());

  function syncSaveView() {
    const list = document.getElementById("list");
    const input = document.querySelector('[data-bind="current-query"]');
    if (list && input) input.value = list.dataset.query || "";
  }

  window.addEventListener("pagehide", () => {
    if (openId) post("/inbox/c/" + openId + "/presence", { state: "left" }, true);
  });

  function start() {
    conversationOpened();
    connect();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
