// Search page: "/" focuses the search box; new matching articles stream in (Server-Sent Events).
(function () {
  "use strict";
  var box = document.getElementById("q");
  document.addEventListener("keydown", function (event) {
    var tag = (event.target && event.target.tagName) || "";
    if (event.key === "/" && tag !== "INPUT" && tag !== "TEXTAREA" && tag !== "SELECT" && box) {
      event.preventDefault();
      box.focus();
      box.select();
    }
  });
  var status = document.getElementById("live-status");
  var list = document.getElementById("hits");
  if (!status || !list || !window.EventSource) { return; }
  var arrived = 0;
  var source = new EventSource(status.getAttribute("data-live-url"));
  source.addEventListener("article", function (event) {
    var data = JSON.parse(event.data);
    if (list.querySelector('[data-doc-id="' + CSS.escape(data.doc_id) + '"]')) { return; }
    // The server renders the item with autoescaping; parse it as a template (inert: nothing in
    // it runs) and insert the element.
    var template = document.createElement("template");
    template.innerHTML = data.html;
    var item = template.content.firstElementChild;
    if (!item) { return; }
    list.insertBefore(item, list.firstChild);
    arrived += 1;
    status.textContent = arrived + (arrived === 1 ? " new article" : " new articles") + " since you opened this page.";
  });
})();
