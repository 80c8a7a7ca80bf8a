// Small progressive enhancement for the newsroom; every page works without it.
// Asks before the destructive buttons (unpublish, delete, reject) submit.
document.addEventListener("submit", function (ev) {
  var b = ev.submitter;
  if (b && b.classList.contains("danger") && !window.confirm(b.textContent.trim() + "?")) {
    ev.preventDefault();
  }
});
