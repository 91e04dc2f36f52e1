/*
 * Callback Companion chat page: sends what the person types or taps to the
 * webchat channel, and shows the replies.
 *
 * Everything shown is built with createElement and textContent: nothing
 * from a message is ever parsed as HTML. The conversation id (random, from
 * crypto.getRandomValues) and the transcript are kept only in this browser's
 * localStorage, so the chat survives a reload; "Start over" forgets both.
 *
 * During a live chat (a handoff reply saying a navigator will join) the page
 * long-polls "events" for the navigator's replies and the assistant's notices.
 * A call back number typed in its form goes straight to "callback" and is
 * never kept in the transcript.
 */
(function () {
  "use strict";

  var STORE_KEY = "callback-companion.chat";
  var ENDPOINT = "message";
  var EVENTS = "events";
  var CALLBACK = "callback";
  var MAX_CHARS = 1000;
  var MAX_KEPT_ENTRIES = 200;
  var REQUEST_TIMEOUT_MS = 20000;
  var CONVERSATION_ID = /^[A-Za-z0-9_-]{8,64}$/;
  var DIAL_LINK = /^(tel|sms):\+?[0-9]{3,15}$/;
  var SOURCES_LINE = /^(Sources?|Fuentes?):/;
  var LANGUAGES = ["en", "es"];
  /* The page's own words; the assistant's come from content/ in the conversation's language. */
  var PAGE_WORDS = {
    en: {
      title: "Callback Companion: questions after a mammogram callback",
      tagline: "Answers to common questions after being called back for more tests after a mammogram.",
      start_over: "Start over", type_question: "Type your question", send: "Send",
      skip_link: "Skip to the message box",
      privacy_note: "Please don't share your name or other personal details. \u201cStart over\u201d clears this chat from this browser.",
      switch_to: "Espa\u00f1ol", switch_lang: "es", you: "You:", assistant: "Callback Companion:", navigator: "Navigator:",
      failed: "Sorry, that didn't get through. Please check your connection and try again.", try_again: "Try again",
      callback_label: "Phone number for the call back", callback_send: "Send number"
    },
    es: {
      title: "Callback Companion: preguntas cuando le piden volver despu\u00e9s de una mamograf\u00eda",
      tagline: "Respuestas a preguntas comunes cuando le piden volver para m\u00e1s pruebas despu\u00e9s de una mamograf\u00eda.",
      start_over: "Empezar de nuevo", type_question: "Escriba su pregunta", send: "Enviar",
      skip_link: "Ir al cuadro de mensaje",
      privacy_note: "Por favor no escriba su nombre ni otros datos personales. \u201cEmpezar de nuevo\u201d borra esta conversaci\u00f3n de este navegador.",
      switch_to: "English", switch_lang: "en", you: "Usted:", assistant: "Callback Companion:", navigator: "Navegadora:",
      failed: "Lo siento, el mensaje no lleg\u00f3. Revise su conexi\u00f3n e intente otra vez.", try_again: "Intentar otra vez",
      callback_label: "N\u00famero de tel\u00e9fono para que le llamemos", callback_send: "Enviar n\u00famero"
    }
  };
  var LIST_ITEM = /^\s*[-\u2022]\s+/;
  var ALERT_KINDS = { crisis: true, emergency: true };

  var transcript, typing, statusText, form, input, startOver, languageSwitch;
  var state = null;
  var generation = 0; // replies to a conversation the person has since left are dropped
  var waiting = 0;
  var queue = Promise.resolve();
  var polling = false;

  // --- the conversation kept in this browser -------------------------------

  function newConversationId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return (b + 0x100).toString(16).slice(1);
    }).join("");
  }

  function loadState() {
    try {
      var kept = JSON.parse(window.localStorage.getItem(STORE_KEY));
      if (kept && typeof kept.conversation === "string" && CONVERSATION_ID.test(kept.conversation) &&
          Array.isArray(kept.entries)) {
        return kept;
      }
    } catch (ignored) { /* storage blocked or damaged: start afresh */ }
    return null;
  }

  function saveState() {
    state.entries = state.entries.slice(-MAX_KEPT_ENTRIES);
    try {
      window.localStorage.setItem(STORE_KEY, JSON.stringify(state));
    } catch (ignored) { /* private mode: the chat still works, it just won't survive a reload */ }
  }

  function forgetState() {
    try {
      window.localStorage.removeItem(STORE_KEY);
    } catch (ignored) { /* nothing kept */ }
  }

  // --- the page's language --------------------------------------------------

  function pageLanguage() {
    return state && LANGUAGES.indexOf(state.language) >= 0 ? state.language : "en";
  }

  function words(key) {
    return PAGE_WORDS[pageLanguage()][key];
  }

  /* The page follows the language of the assistant's replies: its lang attribute, its own words, the switch. */
  function applyLanguage(lang) {
    if (LANGUAGES.indexOf(lang) < 0) return;
    if (state) state.language = lang;
    document.documentElement.lang = lang;
    document.title = PAGE_WORDS[lang].title;
    Array.prototype.forEach.call(document.querySelectorAll("[data-words]"), function (node) {
      node.textContent = PAGE_WORDS[lang][node.getAttribute("data-words")];
    });
    if (languageSwitch) {
      languageSwitch.textContent = PAGE_WORDS[lang].switch_to;
      languageSwitch.lang = PAGE_WORDS[lang].switch_lang;
    }
  }

  function onSwitchLanguage() {
    var other = pageLanguage() === "es" ? "en" : "es";
    send("/change_language" + JSON.stringify({ language: other }), null);
  }

  // --- small DOM helpers ---------------------------------------------------

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function speakerLabel(text) {
    return el("span", "visually-hidden", text + " ");
  }

  /* Only tel: and sms: links with plain digits become links; anything else is shown as text. */
  function safeDialLink(href, label) {
    if (typeof href !== "string" || !DIAL_LINK.test(href)) return el("span", "call-text", label);
    var link = el("a", "call-link", label);
    link.href = href;
    return link;
  }

  function capitalised(text) {
    text = String(text || "");
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  // --- rendering what was said ---------------------------------------------

  /* Paragraphs split on blank lines; "- " lines become a list; a last
     paragraph starting "Source:"/"Sources:" is set apart as the sources. */
  function renderText(text, into) {
    var paragraphs = String(text || "").split(/\n\s*\n/);
    paragraphs.forEach(function (paragraph, index) {
      paragraph = paragraph.trim();
      if (!paragraph) return;
      if (index === paragraphs.length - 1 && index > 0 && SOURCES_LINE.test(paragraph)) {
        into.appendChild(el("p", "sources", paragraph));
        return;
      }
      renderParagraph(paragraph, into);
    });
  }

  function renderParagraph(paragraph, into) {
    var list = null;
    var lines = [];
    function flushLines() {
      if (!lines.length) return;
      var p = el("p");
      lines.forEach(function (line, i) {
        if (i > 0) p.appendChild(document.createElement("br"));
        p.appendChild(document.createTextNode(line));
      });
      into.appendChild(p);
      lines = [];
    }
    paragraph.split("\n").forEach(function (line) {
      if (LIST_ITEM.test(line)) {
        flushLines();
        if (!list) {
          list = el("ul");
          into.appendChild(list);
        }
        list.appendChild(el("li", null, line.replace(LIST_ITEM, "")));
      } else {
        list = null;
        lines.push(line);
      }
    });
    flushLines();
  }

  function renderPerson(text) {
    var bubble = el("div", "message person");
    bubble.appendChild(speakerLabel(words("you")));
    bubble.appendChild(el("p", null, text));
    return bubble;
  }

  function renderNavigator(text) {
    var bubble = el("div", "message navigator");
    bubble.appendChild(speakerLabel(words("navigator")));
    bubble.appendChild(el("p", null, text));
    return bubble;
  }

  function renderNotice(text) {
    var notice = el("div", "message notice");
    notice.appendChild(el("p", null, text));
    return notice;
  }

  function renderAssistant(message, withSuggestions) {
    message = message || {};
    var custom = (message.custom && typeof message.custom === "object") ? message.custom : {};
    var kind = String(custom.answer_id || "");
    var bubble = el("div", "message assistant");
    bubble.appendChild(speakerLabel(words("assistant")));
    var dialLinks = [];

    var body = bubble;
    if (ALERT_KINDS[kind]) {
      bubble.className += " urgent";
      body = el("div", "alert-box");
      body.setAttribute("role", "alert");
      bubble.appendChild(body);
      dialLinks = safetyLinks(kind, custom);
    }
    renderText(message.text, body);
    if (dialLinks.length) body.appendChild(linkRow(dialLinks));

    if (kind === "handoff" && Array.isArray(custom.contacts) && custom.contacts.length) {
      bubble.appendChild(handoffCard(custom.contacts));
      custom.contacts.forEach(function (c) { dialLinks.push({ href: c.tel }); });
    }

    var buttons = Array.isArray(message.buttons) ? message.buttons : [];
    var shown = dialLinks.map(function (l) { return l.href; });
    var extraCalls = buttons.filter(function (b) {
      return isDial(b) && shown.indexOf(b.payload) < 0;
    }).map(function (b) { return { href: b.payload, label: b.title }; });
    if (extraCalls.length) bubble.appendChild(linkRow(extraCalls));

    var suggestions = buttons.filter(function (b) { return !isDial(b) && b && b.payload; });
    if (withSuggestions && suggestions.length) bubble.appendChild(suggestionGroup(suggestions));
    return bubble;
  }

  function isDial(button) {
    return button && typeof button.payload === "string" && /^(tel|sms):/.test(button.payload);
  }

  function safetyLinks(kind, custom) {
    if (kind === "emergency") return [{ href: "tel:911", label: "Call 911" }];
    var links = [];
    (Array.isArray(custom.lines) ? custom.lines : []).forEach(function (line) {
      if (line.tel) links.push({ href: line.tel, label: "Call " + line.phone });
      if (line.sms) links.push({ href: line.sms, label: "Text " + line.phone });
    });
    if (!links.length) links.push({ href: "tel:988", label: "Call 988" }, { href: "sms:988", label: "Text 988" });
    links.push({ href: "tel:911", label: "Call 911" });
    return links;
  }

  function linkRow(links) {
    var row = el("p", "call-links");
    links.forEach(function (link) {
      row.appendChild(safeDialLink(link.href, link.label));
    });
    return row;
  }

  function handoffCard(contacts) {
    var card = el("section", "handoff-card");
    var heading = el("h2", null, "Talk to a person");
    heading.id = "handoff-" + Math.random().toString(36).slice(2);
    card.setAttribute("aria-labelledby", heading.id);
    card.appendChild(heading);
    var list = el("ul", "contacts");
    contacts.forEach(function (contact) {
      var item = el("li", "contact");
      item.appendChild(el("p", "contact-name", capitalised(contact.name)));
      item.appendChild(safeDialLink(contact.tel, "Call " + contact.display));
      var hours = el("p", "contact-hours", "Open " + contact.hours);
      if (contact.open_now === false) hours.appendChild(el("span", "closed-now", " (closed right now)"));
      item.appendChild(hours);
      list.appendChild(item);
    });
    card.appendChild(list);
    return card;
  }

  function suggestionGroup(buttons) {
    var group = el("div", "suggestions");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Suggested questions");
    buttons.forEach(function (b) {
      var button = el("button", "suggestion", b.title);
      button.type = "button";
      button.addEventListener("click", function () {
        send(String(b.payload), String(b.title || b.payload));
        input.focus();
      });
      group.appendChild(button);
    });
    return group;
  }

  function clearSuggestions() {
    Array.prototype.forEach.call(transcript.querySelectorAll(".suggestions"), function (group) {
      group.parentNode.removeChild(group);
    });
  }

  function show(node, scrollTo) {
    transcript.appendChild(node);
    if (scrollTo) node.scrollIntoView({ block: scrollTo });
  }

  /* Re-draws a kept transcript; only the replies after the person's last message keep their suggestions. */
  function renderTranscript() {
    transcript.textContent = "";
    var lastPerson = -1;
    state.entries.forEach(function (entry, i) { if (entry.who === "person") lastPerson = i; });
    state.entries.forEach(function (entry, i) {
      transcript.appendChild(entry.who === "person" ? renderPerson(entry.text)
        : entry.who === "navigator" ? renderNavigator(entry.text)
        : renderAssistant(entry.message, i > lastPerson));
    });
    if (transcript.lastChild) transcript.lastChild.scrollIntoView({ block: "end" });
  }

  // --- waiting -------------------------------------------------------------

  // --- a live chat with a navigator -------------------------------------------

  function showLive() {
    var banner = document.getElementById("live-status");
    banner.hidden = !state.live;
    banner.textContent = state.live === "navigator" ? "You are chatting with a navigator."
      : state.live === "waiting" ? "Waiting for a navigator to join\u2026" : "";
  }

  /* `scrollTo` "start" shows a reply from its first line; "latest" (news arriving while she reads) shows the newest whole. */
  function showAssistantMessages(messages, scrollTo) {
    var combined = combine(messages);
    combined.forEach(function (message, i) {
      if (message.custom && message.custom.language) applyLanguage(message.custom.language);
      state.entries.push({ who: "assistant", message: message });
      var scroll = scrollTo === "latest" ? (i === combined.length - 1 ? "end" : null) : (i === 0 ? scrollTo : null);
      show(renderAssistant(message, true), scroll);
      if (message.custom && message.custom.live === "waiting") startLive();
      if (message.custom && message.custom.callback === "ask_number") show(callbackForm(), "end");
    });
  }

  function startLive() {
    if (!state.live) state.live = "waiting";
    if (typeof state.liveAfter !== "number") state.liveAfter = 0;
    saveState();
    showLive();
    if (!polling) poll(generation);
  }

  function poll(ofGeneration) {
    polling = true;
    var url = EVENTS + "?conversation=" + encodeURIComponent(state.conversation) + "&after=" + state.liveAfter;
    fetch(url, { cache: "no-store", credentials: "same-origin" }).then(function (response) {
      if (!response.ok) throw new Error("status " + response.status);
      return response.json();
    }).then(function (data) {
      if (ofGeneration !== generation) { polling = false; return; }
      var assistant = [];
      (data.messages || []).forEach(function (message) {
        if (message.author === "navigator") {
          state.entries.push({ who: "navigator", text: message.text });
          show(renderNavigator(message.text), "end");
        } else if (message.data) {
          assistant.push(message.data);
        }
      });
      if (assistant.length) showAssistantMessages(assistant, "latest");
      state.liveAfter = data.last || state.liveAfter;
      state.live = data.live || null;
      saveState();
      showLive();
      if (state.live) poll(ofGeneration); else polling = false;
    }).catch(function () {
      if (ofGeneration !== generation) { polling = false; return; }
      setTimeout(function () { poll(ofGeneration); }, 2000);
    });
  }

  /* The call back number: sent to the server, never kept in this browser. */
  function callbackForm() {
    var form = el("form", "callback-form");
    var id = "callback-" + Math.random().toString(36).slice(2);
    var label = el("label", null, words("callback_label"));
    label.htmlFor = id;
    var row = el("div", "composer-row");
    var number = el("input");
    number.id = id;
    number.type = "tel";
    number.autocomplete = "tel";
    number.maxLength = 20;
    var submit = el("button", "primary-button", words("callback_send"));
    submit.type = "submit";
    var problem = el("p", "form-problem");
    problem.setAttribute("role", "alert");
    row.appendChild(number);
    row.appendChild(submit);
    form.appendChild(label);
    form.appendChild(row);
    form.appendChild(problem);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      submit.disabled = true;
      fetch(CALLBACK, {
        method: "POST", headers: { "Content-Type": "application/json" }, cache: "no-store", credentials: "same-origin",
        body: JSON.stringify({ conversation: state.conversation, number: number.value })
      }).then(function (response) {
        return response.json().then(function (data) {
          if (!response.ok) throw new Error(data.error || words("failed"));
          form.parentNode.removeChild(form);
          showAssistantMessages(data.messages || [], "start");
          saveState();
        });
      }).catch(function (error) {
        problem.textContent = error.message;
        submit.disabled = false;
      });
    });
    return form;
  }

  function setWaiting(delta) {
    waiting = Math.max(0, waiting + delta);
    typing.hidden = waiting === 0;
    statusText.textContent = waiting ? "Callback Companion is typing\u2026" : "";
    if (waiting) typing.scrollIntoView({ block: "end" });
  }

  // --- talking to the assistant --------------------------------------------

  /* Each message has its own id, so when the network drops a reply the same
     message can be sent again: the assistant answers it, but handles it once. */
  function post(conversation, text) {
    var body = JSON.stringify({ conversation: conversation, message: text, message_id: newConversationId() });
    return postOnce(body).catch(function (error) {
      if (error && /^status /.test(error.message)) throw error;
      return postOnce(body);
    });
  }

  function postOnce(body) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, REQUEST_TIMEOUT_MS) : null;
    return fetch(ENDPOINT, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: body,
      cache: "no-store",
      credentials: "same-origin",
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      if (!response.ok) throw new Error("status " + response.status);
      return response.json();
    }).then(function (data) {
      return data && Array.isArray(data.messages) ? data.messages : [];
    }).finally(function () {
      if (timer) clearTimeout(timer);
    });
  }

  /* The channel sends a reply's contract (`custom`) as a message of its own
     right after the text it belongs to: put them back together. */
  function combine(messages) {
    var combined = [];
    messages.forEach(function (message) {
      if (!message || typeof message !== "object") return;
      var previous = combined[combined.length - 1];
      var contractOnly = message.custom && !message.text && !(message.buttons && message.buttons.length);
      if (contractOnly && previous && !previous.custom) {
        previous.custom = message.custom;
      } else if (message.text || (message.buttons && message.buttons.length)) {
        combined.push({ text: message.text, buttons: message.buttons, custom: message.custom });
      }
    });
    return combined;
  }

  /* Sends a message; `shown` is what appears as the person's bubble (none for "/greet"). */
  function send(text, shown) {
    clearSuggestions();
    if (shown) {
      state.entries.push({ who: "person", text: shown });
      saveState();
      show(renderPerson(shown), "end");
    }
    // a quiet message ("/greet") leaves the page where it is, so the header stays in view
    deliver(String(text).slice(0, MAX_CHARS), Boolean(shown));
  }

  function deliver(text, scrollToReply) {
    var ofGeneration = generation;
    var conversation = state.conversation;
    setWaiting(1);
    queue = queue.then(function () {
      return post(conversation, text).then(function (messages) {
        if (ofGeneration !== generation) return;
        showAssistantMessages(messages, scrollToReply ? "start" : null);
        saveState();
      }, function () {
        if (ofGeneration === generation) showFailure(text);
      });
    }).then(function () {
      if (ofGeneration === generation) setWaiting(-1);
    });
  }

  /* A note that the message did not get through, with a button to send it again (not kept in the transcript). */
  function showFailure(text) {
    var notice = renderNotice(words("failed"));
    var retry = el("button", "suggestion", words("try_again"));
    retry.type = "button";
    retry.addEventListener("click", function () {
      notice.parentNode.removeChild(notice);
      deliver(text, true);
      input.focus();
    });
    notice.appendChild(retry);
    show(notice, "end");
  }

  function startConversation() {
    generation += 1;
    waiting = 0;
    setWaiting(0);
    // a new conversation keeps the language the page is in; a first visit starts in the browser's language
    var lang = state ? pageLanguage() : (/^es\b/i.test(navigator.language || "") ? "es" : "en");
    state = { conversation: newConversationId(), entries: [], live: null, liveAfter: 0, language: lang };
    applyLanguage(lang);
    saveState();
    showLive();
    transcript.textContent = "";
    window.scrollTo(0, 0);
    send("/greet" + JSON.stringify({ language: pageLanguage() }), null);
  }

  // --- wiring --------------------------------------------------------------

  function onSubmit(event) {
    event.preventDefault();
    var text = input.value.slice(0, MAX_CHARS);
    if (!text.trim()) {
      input.value = "";
      input.focus();
      return;
    }
    input.value = "";
    send(text.trim(), text.trim());
    input.focus();
  }

  function onStartOver() {
    forgetState();
    startConversation();
    input.value = "";
    input.focus();
  }

  function init() {
    transcript = document.getElementById("transcript");
    typing = document.getElementById("typing");
    statusText = document.getElementById("status");
    form = document.getElementById("composer");
    input = document.getElementById("message-input");
    startOver = document.getElementById("start-over");
    languageSwitch = document.getElementById("language-switch");
    form.addEventListener("submit", onSubmit);
    startOver.addEventListener("click", onStartOver);
    languageSwitch.addEventListener("click", onSwitchLanguage);

    state = loadState();
    if (state) applyLanguage(pageLanguage());
    if (state && state.entries.length) {
      renderTranscript();
      if (state.live) startLive();
    } else {
      startConversation();
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
