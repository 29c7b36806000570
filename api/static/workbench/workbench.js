// zeren workbench: draws each chain graph (Cytoscape.js, positions computed by
// the server) and saves a query (POST with the CSRF header the cookie needs).
"use strict";
(function () {
  const colours = {PetitionMatter: "#f6d8ae", Failure: "#f4b6b6", Territory: "#d5e8d4", HandlingStep: "#e1d5e7",
    Decision: "#e1d5e7", Institution: "#dae8fc", LeadershipTeam: "#cce5ff", Post: "#fff2cc", Person: "#ffe6cc",
    Division: "#eeeeee"};
  document.querySelectorAll(".graph[data-elements]").forEach(function (el) {
    if (typeof cytoscape !== "function") { return; }
    const cy = cytoscape({
      container: el, elements: JSON.parse(el.dataset.elements), layout: {name: "preset", fit: true, padding: 20},
      wheelSensitivity: 0.3,
      style: [
        {selector: "node", style: {"shape": "round-rectangle", "width": 170, "height": 48, "label": "data(display)",
          "text-wrap": "wrap", "text-max-width": 160, "text-valign": "center", "font-size": 12,
          "background-color": function (n) { return colours[n.data("label")] || "#fff"; },
          "border-width": 1, "border-color": "#555"}},
        {selector: "node[href != '']", style: {"border-width": 2, "border-color": "#2b5797"}},
        {selector: "edge", style: {"width": 1.2, "line-color": "#888", "target-arrow-color": "#888",
          "target-arrow-shape": "triangle", "curve-style": "bezier", "label": "data(type)", "font-size": 8,
          "color": "#666", "text-rotation": "autorotate"}},
        {selector: "edge[type = 'VERTICAL_LINE']", style: {"line-style": "dashed", "line-color": "#aa5500"}}
      ]
    });
    cy.nodes().forEach(function (n) { n.data("display", n.data("kind") + "\n" + n.data("name")); });
    cy.on("tap", "node", function (evt) {
      const href = evt.target.data("href");
      if (href) { window.location.assign(href); }
    });
    window.zerenGraphs = window.zerenGraphs || {};
    window.zerenGraphs[el.id] = cy;
    el.dataset.rendered = String(cy.nodes().length);
  });

  const form = document.getElementById("save-query");
  if (form) {
    form.addEventListener("submit", async function (evt) {
      evt.preventDefault();
      const out = document.getElementById("save-result");
      let parameters;
      try { parameters = JSON.parse(form.parameters.value || "{}"); }
      catch (e) { out.textContent = "参数须为 JSON parameters must be a JSON object"; return; }
      const body = {name: form.name.value, description: form.description.value, query: form.query.value,
                    parameters: parameters};
      const r = await fetch("/queries", {method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-Zeren-CSRF": "1"}, body: JSON.stringify(body)});
      const answer = await r.json();
      if (r.ok) { window.location.assign(answer.url); } else { out.textContent = answer.detail; }
    });
  }
})();
