/* anodelab report: draws the figures of the page with plotly.js (plotly.min.js beside index.html,
   loaded async after this script, so the page shows its text before the library is compiled).

   Drawing costs about 30 ms of main thread per figure, so the page draws on demand: first the
   figures on screen, then those within a screen of it (IntersectionObserver, no layout read by this
   script), then, while the browser idles, the rest in page order. Every figure container reserves its
   height in the HTML, so nothing moves as figures appear. A figure that fails says so in its place
   and on the console; the others are drawn.

   <html data-figures="N" data-rendered="k" (drawn or failed) data-failed="ids" data-first-screen="n"
   data-first-screen-ms="..." data-ready="true" data-render-ms="..." data-parse-ms="..."> tells a test
   (or a reader) how far it got, in ms since the page was opened: first-screen-ms once the n figures on
   screen at the start are drawn and painted, render-ms once every figure is (parse-ms: the figure
   data's JSON.parse). window.anodelabReport.drawAll() draws every figure now (a promise);
   window.anodelabReportOptions = {background: false}, set before the page loads, draws only the
   figures scrolled near (what a test of drawing on demand needs). */
(function () {
  "use strict";
  var root = document.documentElement;
  var options = window.anodelabReportOptions || {};
  var parsing = performance.now();
  var specs = JSON.parse(document.getElementById("figure-data").textContent);
  root.dataset.parseMs = String(Math.round(performance.now() - parsing));
  var ids = Object.keys(specs);
  var BASE = {
    margin: {l: 70, r: 24, t: 44, b: 54}, hovermode: "closest",
    font: {family: "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif", size: 12, color: "#222"},
    paper_bgcolor: "#fff", plot_bgcolor: "#fff", legend: {font: {size: 10}},
    title: {x: 0.01, xanchor: "left", font: {size: 14}}
  };
  var TWIN_R = 72, COLORBAR_R = 100;  // right margins with a right-hand axis (its tick labels), with a colour bar
  var AXIS = {showline: true, linecolor: "#444", mirror: true, ticks: "outside", gridcolor: "#ececec",
              zeroline: false, automargin: true};
  var CONFIG = {responsive: true, displaylogo: false, modeBarButtonsToRemove: ["select2d", "lasso2d"],
                toImageButtonOptions: {format: "svg"}};
  var SLICE_MS = 40;            // off-screen figures are drawn in slices of this long, input answered between
  var state = {};               // id -> "drawn" | "failed"
  var onScreen = {}, near = {}; // ids the observers see on screen, and within a screen of it
  var plotly = null;            // window.Plotly once loaded, "missing" if it could not be
  var rendered = 0, busy = false, slice = 0, watching = false, firstScreen = null;
  var wait = null;              // the pending resumption of drawing: {idle, handle}
  var waiting = [];             // drawAll() promises to resolve
  root.dataset.figures = String(ids.length);
  root.dataset.rendered = "0";

  function layout(given) {
    var out = Object.assign({}, BASE), twin = false, key;
    for (key in given) { if (given[key] && given[key].overlaying) { twin = true; } }
    for (key in given) {
      if (/^[xy]axis\d*$/.test(key)) {
        out[key] = Object.assign({}, AXIS, twin && key.charAt(0) === "y" ? {mirror: false} : {}, given[key]);
        if (given[key].side === "right") { out.margin = Object.assign({}, out.margin, {r: TWIN_R}); }
      } else if (key === "title") {
        out.title = Object.assign({}, BASE.title, given.title);
      } else {
        out[key] = given[key];
      }
    }
    return out;
  }

  // plotly widens a margin to fit what is beside the plot (tick labels, legend, colour bar), drawing the
  // figure a second time when it does: the margins above cover most tick labels, and this reserves the
  // room for a legend on the right (its widest name, measured on a canvas: no layout read)
  var measure = document.createElement("canvas").getContext("2d");
  function reserveMargins(spec, out, width) {
    if (spec.data.some(function (t) { return t.colorbar && t.showscale !== false; })) {
      out.margin = Object.assign({}, out.margin, {r: Math.max(out.margin.r, COLORBAR_R)});
    }
    var legend = out.legend || {}, shown = spec.data.filter(function (t) { return t.showlegend !== false; });
    if (out.showlegend === false || !shown.length || spec.data.length < 2 || legend.orientation === "h" ||
        legend.x !== undefined) { return; }
    measure.font = ((legend.font && legend.font.size) || out.font.size) + "px " + out.font.family;
    var widest = Math.max.apply(null, shown.map(function (t) { return measure.measureText(String(t.name || "")).width; }));
    var r = Math.ceil((widest + 59.5 + 0.02 * (width - out.margin.l)) / 1.02);  // legend at x = 1.02 of the plot
    if (r > out.margin.r) { out.margin = Object.assign({}, out.margin, {r: r}); }
  }

  function afterPaint(then) { window.requestAnimationFrame(function () { setTimeout(then, 0); }); }

  function finished(id, outcome) {
    state[id] = outcome;
    rendered += 1;
    root.dataset.rendered = String(rendered);
    if (firstScreen !== null && firstScreen.indexOf(id) >= 0 && firstScreen.every(function (f) { return state[f]; })) {
      stampFirstScreen();
    }
    if (rendered === ids.length) {
      afterPaint(function () {
        root.dataset.renderMs = String(Math.round(performance.now()));
        root.dataset.ready = "true";
        waiting.forEach(function (resolve) { resolve(); });
        waiting = [];
      });
    }
  }

  function stampFirstScreen() {
    var figures = firstScreen.length;
    firstScreen = null;
    afterPaint(function () {
      root.dataset.firstScreen = String(figures);
      root.dataset.firstScreenMs = String(Math.round(performance.now()));
    });
  }

  function draw(id) {
    var element = document.getElementById(id), spec = specs[id];
    function failed(error) {
      element.textContent = "Figure not drawn: " + error;
      console.error("anodelab report: figure " + id + ": " + error);
      root.dataset.failed = (root.dataset.failed ? root.dataset.failed + " " : "") + id;
      finished(id, "failed");
    }
    try {
      var given = layout(spec.layout);
      reserveMargins(spec, given, element.clientWidth);
      return plotly.newPlot(element, spec.data, given, CONFIG).then(function () { finished(id, "drawn"); }, failed);
    } catch (error) {
      failed(error);
      return Promise.resolve();
    }
  }

  function next(urgentOnly) {
    var k, id;
    for (k = 0; k < ids.length; k += 1) { id = ids[k]; if (!state[id] && onScreen[id]) { return id; } }
    for (k = 0; k < ids.length; k += 1) { id = ids[k]; if (!state[id] && near[id]) { return id; } }
    if (urgentOnly) { return null; }
    for (k = 0; k < ids.length; k += 1) { id = ids[k]; if (!state[id]) { return id; } }
    return null;
  }

  function pump() {  // the figures on screen at once, the others in slices, the rest only when idle
    if (busy || plotly === null || plotly === "missing") { return; }
    var id = next(true), urgent = id !== null;
    if (!urgent) {
      if (!watching || (options.background === false && !waiting.length)) { return; }
      id = next(false);
      if (id === null) { return; }
    }
    if (onScreen[id] || performance.now() - slice < SLICE_MS) {
      cancelWait();
      busy = true;
      draw(id).then(function () { busy = false; pump(); });
    } else if (wait === null || (urgent && wait.idle)) {
      cancelWait();
      var resume = function () { wait = null; slice = performance.now(); pump(); };
      if (urgent || waiting.length || !window.requestIdleCallback) {
        wait = {idle: !urgent && !waiting.length, handle: setTimeout(resume, urgent || waiting.length ? 0 : 50)};
      } else {
        wait = {idle: true, handle: window.requestIdleCallback(resume, {timeout: 1000})};
      }
    }
  }

  function cancelWait() {
    if (wait === null) { return; }
    if (wait.idle && window.cancelIdleCallback) { window.cancelIdleCallback(wait.handle); } else { clearTimeout(wait.handle); }
    wait = null;
  }

  function watch() {
    var first = true;
    function track(seen, margin, then) {
      var observer = new IntersectionObserver(function (entries) {
        entries.forEach(function (entry) { seen[entry.target.id] = entry.isIntersecting; });
        if (then) { then(); }
        pump();
      }, {rootMargin: margin});
      ids.forEach(function (id) { observer.observe(document.getElementById(id)); });
    }
    track(onScreen, "0px", function () {
      if (!first) { return; }
      first = false;
      watching = true;
      firstScreen = ids.filter(function (id) { return onScreen[id]; });
      if (plotly === "missing") { firstScreen = []; }
      if (firstScreen.every(function (id) { return state[id]; })) { stampFirstScreen(); }
    });
    track(near, "100% 0px");
  }

  function loaded(event) {
    if (!event.target || event.target.id !== "plotly-js") { return; }
    document.removeEventListener("load", loaded, true);
    document.removeEventListener("error", loaded, true);
    if (event.type === "load" && typeof window.Plotly !== "undefined") {
      plotly = window.Plotly;
      pump();
      return;
    }
    plotly = "missing";
    console.error("anodelab report: plotly.min.js did not load");
    ids.forEach(function (id) {
      document.getElementById(id).textContent = "Figure not drawn: plotly.min.js is missing beside this page.";
      finished(id, "failed");
    });
  }

  window.anodelabReport = {
    drawAll: function () {
      if (rendered === ids.length) { return Promise.resolve(); }
      return new Promise(function (resolve) {
        waiting.push(resolve);
        if (wait !== null && wait.idle) { cancelWait(); }
        pump();
      });
    }
  };
  if (ids.length === 0) {
    root.dataset.ready = "true";
    root.dataset.firstScreen = "0";
    root.dataset.renderMs = root.dataset.firstScreenMs = String(Math.round(performance.now()));
    return;
  }
  document.addEventListener("load", loaded, true);  // the plotly.min.js script element follows this one
  document.addEventListener("error", loaded, true);
  if (!("IntersectionObserver" in window)) {  // an old browser: everything, in page order
    firstScreen = [];
    options.background = true;
    watching = true;
    stampFirstScreen();
    return;
  }
  if (document.readyState === "loading") {  // after the parse: the browser has scrolled to a link's section
    document.addEventListener("DOMContentLoaded", watch);
  } else {
    watch();
  }
})();
