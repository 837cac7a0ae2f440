/* anodelab report: draws the figures of the page with plotly.js (loaded beside index.html).
   A figure that fails says so in its place and on the console; the others are drawn.
   The figures in view first, then those scrolled to, then the rest one at a time while the page
   idles, so it answers while it draws. <html data-figures="N" data-rendered="k" (drawn or failed) data-failed="ids"
   data-first-screen-ms="..." data-ready="true" data-render-ms="..."> tells a test (or a reader)
   how far it got, in ms since the page was opened. */
(function () {
  "use strict";
  var root = document.documentElement;
  var specs = JSON.parse(document.getElementById("figure-data").textContent);
  var ids = Object.keys(specs);
  var BASE = {
    height: 340, margin: {l: 64, r: 24, t: 40, b: 48}, hovermode: "closest",
    font: {family: "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif", size: 12, color: "#222"},
    paper_bgcolor: "#fff", plot_bgcolor: "#fff", legend: {font: {size: 10}},
    title: {x: 0.01, xanchor: "left", font: {size: 14}}
  };
  var AXIS = {showline: true, linecolor: "#444", mirror: true, ticks: "outside", gridcolor: "#ececec",
              zeroline: false, automargin: true};
  var CONFIG = {responsive: true, displaylogo: false, modeBarButtonsToRemove: ["select2d", "lasso2d"],
                toImageButtonOptions: {format: "svg"}};
  var rendered = 0, done = {};
  root.dataset.figures = String(ids.length);
  root.dataset.rendered = "0";

  function layout(given) {
    var out = Object.assign({}, BASE), twin = false, key;
    for (key in given) { if (given[key] && given[key].overlaying) { twin = true; } }
    for (key in given) {
      if (/^[xy]axis\d*$/.test(key)) {
        out[key] = Object.assign({}, AXIS, twin && key.charAt(0) === "y" ? {mirror: false} : {}, given[key]);
      } else if (key === "title") {
        out.title = Object.assign({}, BASE.title, given.title);
      } else {
        out[key] = given[key];
      }
    }
    return out;
  }

  function finished() {
    rendered += 1;
    root.dataset.rendered = String(rendered);
    if (rendered === ids.length) {
      root.dataset.renderMs = String(Math.round(performance.now()));
      root.dataset.ready = "true";
    }
  }

  function render(id) {
    if (done[id]) { return Promise.resolve(); }
    done[id] = true;
    var element = document.getElementById(id), spec = specs[id];
    if (typeof Plotly === "undefined") {
      element.textContent = "Figure not drawn: plotly.min.js is missing beside this page.";
      console.error("anodelab report: plotly.min.js did not load");
      return Promise.resolve();
    }
    function failed(error) {
      element.textContent = "Figure not drawn: " + error;
      console.error("anodelab report: figure " + id + ": " + error);
      root.dataset.failed = (root.dataset.failed ? root.dataset.failed + " " : "") + id;
      finished();
    }
    try {
      return Plotly.newPlot(element, spec.data, layout(spec.layout), CONFIG).then(finished, failed);
    } catch (error) {
      failed(error);
      return Promise.resolve();
    }
  }

  function inView(id) {
    var box = document.getElementById(id).getBoundingClientRect();
    return box.bottom > 0 && box.top < window.innerHeight;
  }

  function rest() {
    for (var k = 0; k < ids.length; k += 1) {
      if (!done[ids[k]]) { render(ids[k]).then(function () { setTimeout(rest, 0); }); return; }
    }
  }

  function firstScreen() {
    var visible = ids.filter(inView), chain = Promise.resolve();
    visible.forEach(function (id) { chain = chain.then(function () { return render(id); }); });
    return chain.then(function () { root.dataset.firstScreenMs = String(Math.round(performance.now())); });
  }

  if (ids.length === 0) {
    root.dataset.ready = "true";
    root.dataset.renderMs = root.dataset.firstScreenMs = String(Math.round(performance.now()));
    return;
  }
  function start(then) {  // once loaded, at a frame: the browser has scrolled to a link's section by then
    if (document.readyState === "complete") { window.requestAnimationFrame(then); return; }
    window.addEventListener("load", function () { window.requestAnimationFrame(then); });
  }
  start(function () {
    if (!("IntersectionObserver" in window)) { firstScreen().then(rest); return; }
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting) { observer.unobserve(entry.target); render(entry.target.id); }
      });
    }, {rootMargin: "400px"});
    firstScreen().then(function () {
      ids.forEach(function (id) { observer.observe(document.getElementById(id)); });
      setTimeout(rest, 0);
    });
  });
})();
