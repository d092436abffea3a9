// pacer status page: live updates. The page works without this script;
// with it, each server-sent "pass" event refetches the page and swaps the
// parts (elements with data-live and an id) whose HTML changed.
(function () {
  "use strict";
  if (!window.EventSource || !window.fetch || !window.DOMParser) return;
  var busy = false, again = false, last = "";
  // The indicator sits in a swapped block: look it up each time, and
  // write it again after each swap.
  function say(t) { last = t; var s = document.getElementById("live-state"); if (s) s.textContent = t; }
  function ids(el) {
    return Array.prototype.map.call(el.querySelectorAll("[data-live][id]"), function (e) { return e.id; }).join("\n");
  }
  function swap(doc) {
    var changed = 0;
    // A list whose rows came or went (or moved) is swapped whole; else
    // only its rows that changed are.
    document.querySelectorAll("[data-live-list][id]").forEach(function (old) {
      var fresh = doc.getElementById(old.id);
      if (fresh && ids(fresh) !== ids(old)) { old.replaceWith(document.importNode(fresh, true)); changed++; }
    });
    document.querySelectorAll("[data-live][id]").forEach(function (old) {
      var fresh = doc.getElementById(old.id);
      if (!fresh) return;
      if (fresh.outerHTML !== old.outerHTML) {
        // Keep keyboard focus when the focused element is swapped out.
        var focused = old.contains(document.activeElement) && document.activeElement.id;
        old.replaceWith(document.importNode(fresh, true));
        changed++;
        if (focused) { var f = document.getElementById(focused); if (f) f.focus(); }
      }
    });
    document.title = doc.title;
    say(last);
    return changed;
  }
  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(location.href, { headers: { Accept: "text/html" }, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (html) {
        var n = swap(new DOMParser().parseFromString(html, "text/html"));
        say("· live" + (n ? " (updated)" : ""));
        document.documentElement.setAttribute("data-live-updates", String(Number(document.documentElement.getAttribute("data-live-updates") || 0) + 1));
      })
      .catch(function () { say("· live (refresh failed)"); })
      .finally(function () { busy = false; if (again) { again = false; refresh(); } });
  }
  var es = new EventSource("/events");
  es.addEventListener("open", function () { say("· live"); });
  es.addEventListener("error", function () { say("· reconnecting"); });
  es.addEventListener("pass", refresh);
})();
