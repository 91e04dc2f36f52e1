/*
 * Callback Companion staff console: the queue, one conversation at a time
 * with its live chat, and the call back requests.
 *
 * Everything shown is built with createElement and textContent. Every change
 * is a POST carrying the session's CSRF token (from the page's meta tag).
 */
(function () {
  "use strict";

  var QUEUE_EVERY_MS = 3000;
  var REASONS = {
    asked: "Asked for a person", accepted_offer: "Asked for a person", not_understood: "Two misunderstandings",
    safety: "Safety event", transfer_unanswered: "Transfer not answered", callback: "Call back"
  };
  var CHANNELS = { webchat: "Chat page", twilio_ivr: "Phone", alexa: "Smart speaker", rest: "App" };
  // a conversation in another language than English is marked, so the navigator answers or calls back in it
  var LANGUAGES = { es: "In Spanish" };
  var STATUSES = { open: "For follow-up", waiting: "Waiting in chat", taken: "In a chat", missed: "Nobody took it" };
  var AUTHORS = { person: "Person", navigator: "Navigator", assistant: "Assistant", assistant_reply: "Assistant",
                  alert: "Alert" };

  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var me = document.getElementById("username").textContent;
  var current = null; // {id, status, navigator, last, generation}
  var generation = 0;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function when(seconds) {
    return new Date(seconds * 1000).toLocaleString();
  }

  function call(method, path, body) {
    var options = { method: method, credentials: "same-origin", cache: "no-store", headers: {} };
    if (method !== "GET") {
      options.headers["X-CSRF-Token"] = csrf;
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body || {});
    }
    return fetch(path, options).then(function (reply) {
      if (reply.status === 401) {
        window.location.href = "sign-in";
        throw new Error("signed out");
      }
      return reply.json().then(function (data) {
        if (!reply.ok) throw new Error(data.error || ("status " + reply.status));
        return data;
      });
    });
  }

  function say(text) {
    document.getElementById("status").textContent = text;
  }

  // --- the queue -------------------------------------------------------------

  function describe(entry) {
    var parts = [CHANNELS[entry.channel] || entry.channel, REASONS[entry.reason] || entry.reason];
    if (entry.safety) parts[1] = "Safety event: " + entry.safety;
    if (entry.topic) parts.push("about " + entry.topic.replace(/_/g, " "));
    if (LANGUAGES[entry.language]) parts.push(LANGUAGES[entry.language]);
    parts.push(entry.clinic_open ? "in staff hours" : "after hours");
    return parts.join(" \u00b7 ");
  }

  function showQueue(entries) {
    var list = document.getElementById("queue");
    list.textContent = "";
    document.getElementById("queue-empty").hidden = entries.length > 0;
    entries.forEach(function (entry) {
      var item = el("li", "queue-item" + (entry.urgent ? " urgent" : ""));
      var open = el("button", "queue-open");
      open.type = "button";
      open.setAttribute("data-handoff", entry.id);
      open.setAttribute("data-conversation", entry.conversation);
      if (entry.urgent) open.appendChild(el("strong", "urgent-mark", "Urgent "));
      open.appendChild(el("span", "queue-time", when(entry.updated) + " "));
      open.appendChild(el("span", "queue-what", describe(entry)));
      var waited = entry.status === "waiting" ? " for " + entry.waited_minutes + " min" : "";
      open.appendChild(el("span", "queue-status", " \u2014 " + (STATUSES[entry.status] || entry.status) + waited +
        (entry.navigator ? " (" + entry.navigator + ")" : "")));
      open.addEventListener("click", function () { openHandoff(entry.id); });
      item.appendChild(open);
      list.appendChild(item);
    });
  }

  function showCallbacks(requests) {
    var list = document.getElementById("callbacks");
    list.textContent = "";
    document.getElementById("callbacks-empty").hidden = requests.length > 0;
    requests.forEach(function (request) {
      var item = el("li", "callback-item");
      var link = el("a", "callback-number", request.number || "(unreadable: encrypted with another key)");
      if (request.number) link.href = "tel:" + request.number;
      item.appendChild(link);
      item.appendChild(el("span", null, " " + (CHANNELS[request.channel] || request.channel) + " \u00b7 " +
        (REASONS[request.reason] || request.reason) + (request.topic ? " \u00b7 about " + request.topic.replace(/_/g, " ") : "") +
        (LANGUAGES[request.language] ? " \u00b7 " + LANGUAGES[request.language] : "") +
        " \u00b7 asked " + when(request.created) + " \u00b7 deleted by " + when(request.expires) + " "));
      var done = el("button", "quiet-button callback-done", "Called: delete");
      done.type = "button";
      done.addEventListener("click", function () {
        call("POST", "api/callbacks/" + request.id + "/done").then(function () {
          say("Call back request deleted.");
          refresh();
        });
      });
      item.appendChild(done);
      list.appendChild(item);
    });
  }

  function refresh() {
    call("GET", "api/queue").then(function (data) { showQueue(data.queue); }).catch(function () {});
    call("GET", "api/callbacks").then(function (data) { showCallbacks(data.callbacks); }).catch(function () {});
  }

  // --- one conversation ------------------------------------------------------------

  function line(author, text) {
    var node = el("div", "line " + author);
    node.appendChild(el("span", "author", (AUTHORS[author] || author) + ": "));
    node.appendChild(el("span", "words", text));
    return node;
  }

  function addLines(messages) {
    var transcript = document.getElementById("chat-transcript");
    messages.forEach(function (message) {
      if (message.author === "alert") {
        var alert = el("p", "alert", message.text);
        document.getElementById("alerts").appendChild(alert);
      }
      transcript.appendChild(line(message.author, message.text));
    });
    if (transcript.lastChild) transcript.lastChild.scrollIntoView({ block: "end" });
  }

  function showControls() {
    var mine = current.status === "taken" && current.navigator === me;
    document.getElementById("take").hidden = !(current.live_chat && (current.status === "waiting" || current.status === "missed"));
    document.getElementById("hand-back").hidden = !mine;
    document.getElementById("reply-form").hidden = !mine;
    document.getElementById("close").hidden = !(current.status === "open" || current.status === "missed");
  }

  function openHandoff(id) {
    generation += 1;
    var mine = generation;
    call("GET", "api/handoffs/" + id).then(function (data) {
      if (mine !== generation) return;
      current = data.handoff;
      current.last = data.last;
      document.getElementById("chat-none").hidden = true;
      document.getElementById("chat").hidden = false;
      document.getElementById("chat-summary").textContent = describe(current) + " \u00b7 conversation " + current.conversation;
      document.getElementById("alerts").textContent = "";
      document.getElementById("chat-transcript").textContent = "";
      data.transcript.forEach(function (entry) {
        document.getElementById("chat-transcript").appendChild(line(entry.author, entry.text));
      });
      addLines(data.live);
      showControls();
      if (current.live_chat) follow(mine);
    });
  }

  function follow(mine) {
    if (mine !== generation || !current) return;
    call("GET", "api/handoffs/" + current.id + "/events?after=" + current.last).then(function (data) {
      if (mine !== generation) return;
      current.last = data.last;
      addLines(data.messages);
      if (data.status !== current.status) {
        current.status = data.status;
        showControls();
      }
      follow(mine);
    }, function () {
      setTimeout(function () { follow(mine); }, 2000);
    });
  }

  function act(what) {
    return call("POST", "api/handoffs/" + current.id + "/" + what).then(function (data) {
      current.status = data.handoff.status;
      current.navigator = data.handoff.navigator;
      showControls();
      refresh();
    }).catch(function (error) { say(error.message); });
  }

  function init() {
    document.getElementById("take").addEventListener("click", function () {
      act("take").then(function () { document.getElementById("reply-input").focus(); });
    });
    document.getElementById("hand-back").addEventListener("click", function () { act("hand-back"); });
    document.getElementById("close").addEventListener("click", function () { act("close"); });
    document.getElementById("reply-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var input = document.getElementById("reply-input");
      var text = input.value.trim();
      if (!text) return;
      input.value = "";
      call("POST", "api/handoffs/" + current.id + "/reply", { text: text }).catch(function (error) { say(error.message); });
    });
    document.getElementById("sign-out").addEventListener("click", function () {
      call("POST", "sign-out").then(function () { window.location.href = "sign-in"; });
    });
    refresh();
    setInterval(refresh, QUEUE_EVERY_MS);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
