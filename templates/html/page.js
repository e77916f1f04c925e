// The live pictures of a derivation's page (symconv/html/svg.py writes their data).
// A window map: the padded input cell by cell beside the output grid; hovering or focusing
// an output entry (data-entry="z_32") gives the cells of its window the class "highlight".
// A Jacobian pattern: the cell under the pointer is framed and the readout says which
// entry (or block of entries) it is.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    if (parent) parent.appendChild(node);
    return node;
  }

  function entryName(m, p, q) {
    return m.letter + "_" + (m.wide ? (p + 1) + "," + (q + 1) : "" + (p + 1) + (q + 1));
  }

  function span(list) {
    var lo = Math.min.apply(null, list) + 1, hi = Math.max.apply(null, list) + 1;
    return lo === hi ? String(lo) : lo + "\u2013" + hi;
  }

  function panel(parent, label) {
    var box = document.createElement("div");
    box.className = "panel";
    parent.appendChild(box);
    var caption = document.createElement("span");
    caption.className = "label";
    caption.textContent = label;
    return { box: box, caption: caption };
  }

  function liveWindowMap(fig) {
    var m = JSON.parse(fig.getAttribute("data-map"));
    var H = m.padded[0], W = m.padded[1], top = m.input[0], left = m.input[1], h = m.input[2], w = m.input[3];
    var hz = m.output[0], wz = m.output[1];
    var panels = fig.querySelector(".panels");
    var still = panels.querySelector("svg.static");
    var side = Math.max(parseFloat(still.getAttribute("width")), parseFloat(still.getAttribute("height")));
    var scale = side / Math.max(H, W), oscale = Math.min(scale, side / Math.max(hz, wz));
    var readout = fig.querySelector(".readout");

    var a = panel(panels, "padded input, " + H + " \u00d7 " + W);
    var inSvg = el("svg", { "class": "live input", viewBox: "0 0 " + W + " " + H, width: (W * scale).toFixed(1),
                            height: (H * scale).toFixed(1), role: "img", "aria-label": "the padded input" }, a.box);
    a.box.appendChild(a.caption);
    var cells = new Array(H * W);
    for (var r = 0; r < H; r++) {
      for (var c = 0; c < W; c++) {
        var code = m.codes[r * W + c];  // 0 a zero (padding, an input dilation's), 1 an input entry, 2 a copy of one
        cells[r * W + c] = el("rect", { x: c, y: r, width: 1, height: 1,
                                        "class": code === 1 ? "cell" : code === 2 ? "cell copy" : "cell pad",
                                        "data-cell": (r + 1) + "," + (c + 1) }, inSvg);
      }
    }
    if (h > 0 && w > 0) el("rect", { x: left, y: top, width: w, height: h, "class": "inputframe" }, inSvg);

    var o = panel(panels, "output, " + hz + " \u00d7 " + wz);
    var outSvg = el("svg", { "class": "live output", viewBox: "0 0 " + wz + " " + hz, width: (wz * oscale).toFixed(1),
                             height: (hz * oscale).toFixed(1), role: "group", "aria-label": "the output entries" }, o.box);
    o.box.appendChild(o.caption);
    var entries = new Array(hz * wz);
    var labels = Math.max(hz, wz) <= 12 && oscale >= 18;
    for (var p = 0; p < hz; p++) {
      for (var q = 0; q < wz; q++) {
        var name = entryName(m, p, q);
        var worked = p === m.worked[0] && q === m.worked[1];
        var e = el("rect", { x: q, y: p, width: 1, height: 1, "class": "entry", "data-entry": name,
                             "data-p": p, "data-q": q, tabindex: worked ? 0 : -1, "aria-label": name }, outSvg);
        entries[p * wz + q] = e;
        if (labels) {  // the seed's name: the letter in italics, the indices below it
          var t = el("text", { x: q + 0.47, y: p + 0.56, "class": "name" }, outSvg);
          el("tspan", { "class": "letter" }, t).textContent = m.letter;
          el("tspan", { "class": "sub", dy: "0.12" }, t).textContent = name.slice(m.letter.length + 1);
        }
      }
    }
    still.classList.add("hidden");

    var lit = [], current = null;
    function show(p, q) {
      lit.forEach(function (node) { node.classList.remove("highlight"); });
      if (current) current.classList.remove("current");
      lit = [];
      var onPad = 0;
      m.rows[p].forEach(function (r) {
        m.cols[q].forEach(function (c) {
          var cell = cells[r * W + c];
          cell.classList.add("highlight");
          lit.push(cell);
          if (cell.classList.contains("pad")) onPad++;
        });
      });
      current = entries[p * wz + q];
      current.classList.add("current");
      readout.textContent = entryName(m, p, q) + " reads rows " + span(m.rows[p]) + " and columns " + span(m.cols[q]) +
        " of the padded input: " + lit.length + " cells, " + onPad + " of them padding.";
    }
    function target(ev) {
      var node = ev.target;
      return node && node.getAttribute && node.hasAttribute("data-entry") ? node : null;
    }
    outSvg.addEventListener("pointerover", function (ev) {
      var node = target(ev);
      if (node) show(+node.getAttribute("data-p"), +node.getAttribute("data-q"));
    });
    outSvg.addEventListener("focusin", function (ev) {
      var node = target(ev);
      if (node) show(+node.getAttribute("data-p"), +node.getAttribute("data-q"));
    });
    outSvg.addEventListener("pointerleave", function () {
      var focused = target({ target: document.activeElement });
      if (focused && outSvg.contains(focused)) show(+focused.getAttribute("data-p"), +focused.getAttribute("data-q"));
      else show(m.worked[0], m.worked[1]);
    });
    outSvg.addEventListener("keydown", function (ev) {
      var node = target(ev);
      if (!node) return;
      var p = +node.getAttribute("data-p"), q = +node.getAttribute("data-q");
      var moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
      var d = moves[ev.key];
      if (!d) return;
      ev.preventDefault();
      var np = Math.min(hz - 1, Math.max(0, p + d[0])), nq = Math.min(wz - 1, Math.max(0, q + d[1]));
      node.setAttribute("tabindex", -1);
      var next = entries[np * wz + nq];
      next.setAttribute("tabindex", 0);
      next.focus();
    });
    show(m.worked[0], m.worked[1]);
  }

  function livePattern(fig) {
    var m = JSON.parse(fig.getAttribute("data-pattern"));
    var svg = fig.querySelector("svg.static");
    var readout = fig.querySelector(".readout .where");
    var gr = m.grid[0], gc = m.grid[1], br = m.block[0], bc = m.block[1], fx = m.stretch[0], fy = m.stretch[1];
    var values = {};
    (m.values || []).forEach(function (v) { values[v[0] + "," + v[1]] = v[2]; });
    var probe = el("rect", { width: fx, height: fy, "class": "probe", visibility: "hidden" }, svg);
    var idle = m.shape[0] + " \u00d7 " + m.shape[1] + "; point at a cell to see which entry it is.";
    readout.textContent = idle;

    function describe(r, c) {
      var count = m.counts[r * gc + c];
      if (br === 1 && bc === 1) {
        var key = r + "," + c;
        var value = key in values ? values[key] : (count ? "nonzero" : "0");
        return "row " + (r + 1) + ", column " + (c + 1) + ": " + value;
      }
      var r1 = Math.min(m.shape[0], (r + 1) * br), c1 = Math.min(m.shape[1], (c + 1) * bc);
      return "rows " + (r * br + 1) + "\u2013" + r1 + ", columns " + (c * bc + 1) + "\u2013" + c1 + ": " +
        count + " nonzero" + (count === 1 ? "" : "s") + " of " + (r1 - r * br) * (c1 - c * bc);
    }
    svg.addEventListener("pointermove", function (ev) {
      var pt = svg.createSVGPoint();
      pt.x = ev.clientX;
      pt.y = ev.clientY;
      var at = pt.matrixTransform(svg.getScreenCTM().inverse());
      var c = Math.floor(at.x / fx), r = Math.floor(at.y / fy);
      if (r < 0 || c < 0 || r >= gr || c >= gc) return;
      probe.setAttribute("x", c * fx);
      probe.setAttribute("y", r * fy);
      probe.setAttribute("visibility", "visible");
      readout.textContent = describe(r, c);
      fig.setAttribute("data-cell", (r + 1) + "," + (c + 1));
    });
    svg.addEventListener("pointerleave", function () {
      probe.setAttribute("visibility", "hidden");
      readout.textContent = idle;
    });
  }

  function init() {
    document.querySelectorAll("figure.windowmap:not([data-live])").forEach(function (fig) {
      fig.setAttribute("data-live", "1");
      liveWindowMap(fig);
    });
    document.querySelectorAll("figure.pattern:not([data-live])").forEach(function (fig) {
      fig.setAttribute("data-live", "1");
      livePattern(fig);
    });
  }
  init();
})();
