// Co-occurrence network of the current search, drawn with Cytoscape.js.
(function () {
  "use strict";
  var box = document.getElementById("graph");
  var status = document.getElementById("graph-status");
  if (!box || !window.cytoscape) { return; }
  var colours = { PER: "#b3261e", ORG: "#1f5fbf", LOC: "#1b7f3b", MISC: "#8a4fbf" };
  fetch(box.getAttribute("data-src"), { credentials: "same-origin" })
    .then(function (response) { return response.json(); })
    .then(function (graph) {
      if (!graph.nodes.length) { status.textContent = "No entities in these articles."; return; }
      var maxArticles = Math.max.apply(null, graph.nodes.map(function (n) { return n.articles; }));
      var maxEdge = Math.max.apply(null, graph.edges.map(function (e) { return e.articles; }).concat([1]));
      var elements = graph.nodes.map(function (n) {
        return { data: { id: n.id, label: n.name, type: n.type, href: n.href,
                         size: 18 + 42 * n.articles / maxArticles } };
      }).concat(graph.edges.map(function (e) {
        return { data: { id: e.source + "|" + e.target, source: e.source, target: e.target,
                         width: 1 + 7 * e.articles / maxEdge, articles: e.articles } };
      }));
      var cy = window.cytoscape({
        container: box, elements: elements,
        style: [
          { selector: "node", style: { "label": "data(label)", "width": "data(size)", "height": "data(size)",
            "font-size": 11, "text-valign": "bottom", "text-margin-y": 3,
            "background-color": function (n) { return colours[n.data("type")] || "#666"; } } },
          { selector: "edge", style: { "width": "data(width)", "line-color": "#9aa7b8", "opacity": 0.7 } }
        ],
        layout: { name: "cose", animate: false, randomize: false, nodeRepulsion: 9000, idealEdgeLength: 90 }
      });
      cy.on("tap", "node", function (event) { window.location.href = event.target.data("href"); });
      status.textContent = graph.nodes.length + " entities, " + graph.edges.length + " links. Select an entity to open its page.";
      box.setAttribute("data-nodes", String(graph.nodes.length));
      // The same entities as links, for keyboards and screen readers.
      var list = document.getElementById("graph-list");
      graph.nodes.forEach(function (n) {
        var degree = cy.getElementById(n.id).degree(false);
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = n.href;
        link.className = "ent t-" + n.type;
        link.textContent = n.name;
        item.appendChild(link);
        item.appendChild(document.createTextNode(" " + n.articles + " articles, linked to " + degree));
        list.appendChild(item);
      });
    })
    .catch(function () { status.textContent = "The network could not be loaded."; });
})();
