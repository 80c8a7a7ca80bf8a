// Small progressive enhancement for the newsroom; every page works without it.
// Asks before the destructive buttons (unpublish, delete, reject) submit.
document.addEventListener("submit", function (ev) {
  var b = ev.submitter;
  if (b && b.classList.contains("danger") && !window.confirm(b.textContent.trim() + "?")) {
    ev.preventDefault();
  }
});

// The editor keeps a copy of what was sent in this tab, so that a request that fails before the
// server can answer with the form (too large, the connection dropped, a proxy's error page)
// loses nothing: back in the editor, a button puts the copy back.
(function () {
  var form = document.querySelector("form[data-keep-text]");
  if (!form || !window.sessionStorage) return;
  var key = "newsdesk-editor:" + form.getAttribute("data-keep-text");
  var names = ["headline", "standfirst", "body_markdown"];
  form.addEventListener("submit", function () {
    var copy = {};
    names.forEach(function (n) { if (form.elements[n]) copy[n] = form.elements[n].value; });
    try { sessionStorage.setItem(key, JSON.stringify(copy)); } catch (e) { /* full: no copy */ }
  });
  if (key !== "newsdesk-editor:article-new") {
    // A new article that was saved: its copy under "new" is this article's.
    try {
      var fresh = JSON.parse(sessionStorage.getItem("newsdesk-editor:article-new") || "null");
      if (fresh && form.elements.headline && fresh.headline === form.elements.headline.value) {
        sessionStorage.removeItem("newsdesk-editor:article-new");
      }
    } catch (e) { /* unreadable copy: leave it */ }
  }
  var saved;
  try { saved = JSON.parse(sessionStorage.getItem(key) || "null"); } catch (e) { saved = null; }
  if (!saved) return;
  var differs = names.some(function (n) {
    return form.elements[n] && typeof saved[n] === "string" && saved[n] !== form.elements[n].value;
  });
  if (!differs) { sessionStorage.removeItem(key); return; }
  var p = document.createElement("p");
  p.className = "notice";
  p.setAttribute("role", "status");
  p.textContent = "This browser kept the text you sent last, which differs from the saved one. ";
  var b = document.createElement("button");
  b.type = "button";
  b.className = "secondary";
  b.textContent = "Restore the text I sent";
  b.addEventListener("click", function () {
    names.forEach(function (n) { if (form.elements[n] && typeof saved[n] === "string") form.elements[n].value = saved[n]; });
    p.remove();
  });
  var d = document.createElement("button");
  d.type = "button";
  d.className = "link-button";
  d.textContent = "Discard it";
  d.addEventListener("click", function () { sessionStorage.removeItem(key); p.remove(); });
  p.appendChild(b);
  p.appendChild(document.createTextNode(" "));
  p.appendChild(d);
  form.parentNode.insertBefore(p, form);
})();
