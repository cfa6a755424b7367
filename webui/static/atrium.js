/* Atrium: small progressive enhancement. Every action also works as a plain form without it. */
(function () {
  "use strict";
  var csrf = document.body.getAttribute("data-csrf") || "";
  var lang = document.documentElement.lang || "en";

  function post(url, form) {
    return fetch(url, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": csrf }
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) throw new Error(data.error || r.statusText);
        return data;
      });
    });
  }

  function say(message) {
    var live = document.getElementById("live");
    if (!live) {
      live = document.createElement("p");
      live.id = "live"; live.className = "vh"; live.setAttribute("role", "status");
      document.body.appendChild(live);
    }
    live.textContent = message;
  }

  function setCount(button, n) {
    if (typeof n !== "number") return;
    var el = button.querySelector(".n");
    if (!el) { el = document.createElement("span"); el.className = "n"; button.appendChild(el); }
    el.textContent = n > 0 ? String(n) : "";
  }

  var verbs = { like: "favourite", boost: "reblog", mark: "bookmark" };
  function toggle(button, on, url) {
    button.setAttribute("aria-pressed", on ? "true" : "false");
    var verb = verbs[button.classList[1]];
    var next = url.replace(/\/[a-z]+$/, "/") + (on ? "un" + verb : verb);
    if (button.hasAttribute("formaction")) button.setAttribute("formaction", next);
    else button.form.setAttribute("action", next);
  }

  // Like, boost, bookmark: in place.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;
    if (form.classList.contains("actions") && button) {
      if (button.hasAttribute("data-confirm")) {
        if (!window.confirm(button.getAttribute("data-confirm"))) event.preventDefault();
        return;
      }
      event.preventDefault();
      var url = button.getAttribute("formaction") || form.getAttribute("action");
      button.classList.add("busy");
      post(url, form).then(function (data) {
        if (button.classList.contains("like")) { toggle(button, data.favourited, url); setCount(button, data.favourites_count); }
        if (button.classList.contains("boost")) { toggle(button, data.reblogged, url); setCount(button, data.reblogs_count); }
        if (button.classList.contains("mark")) toggle(button, data.bookmarked, url);
      }).catch(function (e) { say(e.message); }).then(function () { button.classList.remove("busy"); });
      return;
    }
    if (form.classList.contains("follow-form") && button) {
      event.preventDefault();
      var action = form.getAttribute("action");
      button.disabled = true;
      post(action, form).then(function (data) {
        var state = data.following ? "true" : (data.requested ? "pending" : "false");
        button.setAttribute("data-following", state);
        var label = button.getAttribute(state === "true" ? "data-label-unfollow" : state === "pending" ? "data-label-requested" : "data-label-follow");
        if (label) { button.textContent = label; button.disabled = false; }
        else button.textContent = button.textContent + " ✓";
        button.classList.toggle("primary", state === "false");
        form.setAttribute("action", action.replace(/\/(un)?follow$/, state === "false" ? "/follow" : "/unfollow"));
        var count = document.querySelector(".followers-count");
        if (count && typeof data.followers_count === "number") count.textContent = String(data.followers_count);
        say(button.textContent);
      }).catch(function (e) { button.disabled = false; say(e.message); });
    }
  });

  // Ctrl/Cmd+Enter publishes.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target.form && event.target.tagName === "TEXTAREA") {
      event.target.form.requestSubmit();
    }
  });

  // Load more: append the next page's posts, skipping any already shown; scroll loads it too.
  // A timeline item's id (a boost has its own): the paging cursor, and what "already shown" means.
  function itemId(a) { return a.id.slice(2); }
  function ids(feed) {
    var seen = {};
    feed.querySelectorAll("article.status").forEach(function (a) { seen[itemId(a)] = true; });
    return seen;
  }
  function fetchPage(url) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { if (!r.ok) throw new Error(r.statusText); return r.text(); })
      .then(function (html) { return new DOMParser().parseFromString(html, "text/html"); });
  }
  var loading = false;
  function loadMore(link) {
    var feed = document.querySelector(".feed");
    if (loading || !feed) return;
    loading = true;
    link.classList.add("busy");
    fetchPage(link.href).then(function (doc) {
      var seen = ids(feed);
      doc.querySelectorAll(".feed > article.status").forEach(function (a) {
        if (!seen[itemId(a)]) feed.appendChild(document.adoptNode(a));
      });
      var next = doc.querySelector("a[data-more]");
      if (next) link.href = next.getAttribute("href"); else link.parentNode.remove();
      refreshTimes();
    }).catch(function (e) { say(e.message); }).then(function () { loading = false; link.classList.remove("busy"); });
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-more]");
    if (link) { event.preventDefault(); loadMore(link); }
  });
  var more = document.querySelector("a[data-more]");
  if (more && "IntersectionObserver" in window) {
    new IntersectionObserver(function (entries) {
      entries.forEach(function (e) { var l = document.querySelector("a[data-more]"); if (e.isIntersecting && l) loadMore(l); });
    }, { rootMargin: "400px" }).observe(more.parentNode);
  }

  // New posts: the streaming endpoint tells when (if it is there); otherwise we look now and then.
  var stream = document.body.getAttribute("data-stream");
  var firstPage = !/[?&]max_id=/.test(location.search);
  var pending = [];
  var banner = document.querySelector(".new-posts");
  function checkNew() {
    var feed = document.querySelector(".feed");
    if (!feed || !banner) return;
    var first = feed.querySelector("article.status");
    var since = pending.length ? itemId(pending[0]) : (first ? itemId(first) : "0");
    fetchPage(location.pathname + "?min_id=" + encodeURIComponent(since)).then(function (doc) {
      var seen = ids(feed);
      var fresh = [];
      doc.querySelectorAll(".feed > article.status").forEach(function (a) {
        var id = itemId(a);
        if (!seen[id] && !pending.some(function (p) { return itemId(p) === id; })) fresh.push(document.adoptNode(a));
      });
      if (fresh.length) { pending = fresh.concat(pending); banner.hidden = false; }
    }).catch(function () {});
  }
  if (banner) {
    banner.querySelector("button").addEventListener("click", function () {
      var feed = document.querySelector(".feed");
      for (var i = pending.length - 1; i >= 0; i--) feed.insertBefore(pending[i], feed.firstChild);
      pending = []; banner.hidden = true; refreshTimes();
      var top = feed.querySelector("article a.name"); if (top) top.focus();
    });
  }
  if (stream && firstPage && banner) {
    var polling = null;
    var poll = function () { if (!polling) polling = setInterval(function () { if (!document.hidden) checkNew(); }, 60000); };
    if ("EventSource" in window) {
      var query = stream.indexOf("hashtag:") === 0 ? "hashtag&tag=" + encodeURIComponent(stream.slice(8)) : encodeURIComponent(stream);
      var source = new EventSource("/web/streaming?stream=" + query);
      source.addEventListener("update", checkNew);
      source.addEventListener("error", function () { if (source.readyState === 2) poll(); });
      setTimeout(function () { if (source.readyState !== 1) { source.close(); poll(); } }, 5000);
    } else poll();
  }

  // Relative times, kept fresh while the page stays open.
  var rtf = window.Intl && Intl.RelativeTimeFormat ? new Intl.RelativeTimeFormat(lang, { numeric: "auto" }) : null;
  function refreshTimes() {
    if (!rtf) return;
    var now = Date.now();
    document.querySelectorAll(".status time[datetime], .note time[datetime]").forEach(function (t) {
      var s = (Date.parse(t.getAttribute("datetime")) - now) / 1000;
      var a = Math.abs(s);
      var text = a < 45 ? rtf.format(0, "second")
        : a < 3600 ? rtf.format(Math.round(s / 60), "minute")
        : a < 86400 ? rtf.format(Math.round(s / 3600), "hour")
        : a < 2592000 ? rtf.format(Math.round(s / 86400), "day")
        : a < 31536000 ? rtf.format(Math.round(s / 2592000), "month") : rtf.format(Math.round(s / 31536000), "year");
      t.textContent = text;
    });
  }
  refreshTimes();
  setInterval(refreshTimes, 60000);
})();
