
// Properties embedded as lists of values in the order of the data's keys (maps.py compact_properties), as objects.
function sbProperties(keys, values) { var p = {}; keys.forEach(function (k, i) { p[k] = values[i]; }); return p; }
function sbData(d) {
  d.geojson.features.forEach(function (f) { f.properties = sbProperties(d.keys, f.properties); });
  return d;
}
// A layer's rows drawn on the shapes another layer's data holds (the areas' status in each earlier year on the
// areas' own polygons, embedded once): row i takes the geometry of feature d.shape[i] of `shapes` (maps.py RowsOnShapes).
function sbDataOn(shapes, d) {
  var features = d.rows.map(function (row, i) {
    return {type: "Feature", properties: sbProperties(d.keys, row), geometry: shapes.geojson.features[d.shape[i]].geometry};
  });
  d.geojson = {type: "FeatureCollection", features: features};
  return d;
}
function sbText(v) { return (v === null || v === undefined) ? "" : String(v); }
function sbPopup(data, p, o) {
  var box = document.createElement("div"); box.className = "sb-popup";
  var h = document.createElement("h4"); h.textContent = sbText(p[data.title]); box.appendChild(h);
  var body = document.createElement("div"); body.className = "sb-popup-body"; box.appendChild(body);
  var table = document.createElement("table"); body.appendChild(table);
  var shown = sbPopupRows(data, o);
  if (shown.more) {
    var more = document.createElement("p"); more.className = "sb-popup-more";
    more.textContent = SB_POPUP.more.replace("{n}", shown.more.toLocaleString(document.documentElement.lang));
    body.appendChild(more);
  }
  shown.rows.forEach(function (row) {
    var tr = table.insertRow(); var th = document.createElement("th"); th.textContent = row[0]; tr.appendChild(th);
    if (row.length < 2) { tr.className = "sb-section"; th.colSpan = 2; return; }
    var td = tr.insertCell(); td.textContent = sbText(p[row[1]]);
  });
  return box;
}
// A popup shows at most SB_POPUP.max figures (pages/base_map.py PopupWords): the name, then the status, the
// figure the layer colours the map by and the rest of its section; the others are in the area's profile and the
// layer's table (which keeps every figure of data.popup), and the popup says how many it leaves out.
var SB_POPUP = {max: 12, more: "{n} more figures", scroll: "Scroll sideways for more columns"};
function sbPopupRows(data, o) {
  var figures = data.popup.filter(function (r) { return r.length > 1; });
  if (figures.length <= SB_POPUP.max) { return {rows: data.popup, more: 0}; }
  var sectionOf = {}, members = {}, section = "";
  data.popup.forEach(function (r) {
    if (r.length < 2) { section = r[0]; return; }
    sectionOf[r[1]] = section; (members[section] = members[section] || []).push(r);
  });
  var chosen = [], seen = {};
  var take = function (r) { if (r && !seen[r[1]] && chosen.length < SB_POPUP.max) { seen[r[1]] = true; chosen.push(r); } };
  var find = function (field) { return figures.filter(function (r) { return r[1] === field; })[0]; };
  var theme = o && o.tipValue && find(o.tipValue) ? o.tipValue : null;
  take(find("f_status"));
  take(find(theme));
  var home = theme ? sectionOf[theme] : (sectionOf.f_status !== undefined ? sectionOf.f_status : figures[0] && sectionOf[figures[0][1]]);
  (members[home] || []).forEach(take);
  figures.forEach(take);  // room left: the popup's first figures (who lives there, how many dwellings)
  return {rows: chosen, more: figures.length - chosen.length};
}
function sbTip(data, o, p) {
  var div = document.createElement("div");
  var text = sbText(p[data.title]);
  if (o.tipValue) { text += " \u2014 " + o.tipLabel + ": " + sbText(p[o.tipValue]); }
  div.textContent = text; return div;
}
// A point layer's symbol (an icon of o.icon in o.iconClass's colours): the map's markers, the offline base's
// stations and the legends' symbols are all drawn by this one function.
function sbIconHtml(o) {
  var i = document.createElement("i"); i.className = "fa-solid " + o.icon; i.setAttribute("aria-hidden", "true");
  return i.outerHTML;
}
function sbIcon(o) {
  return L.divIcon({className: "sb-icon " + (o.iconClass || ""), html: sbIconHtml(o), iconSize: [22, 22], iconAnchor: [11, 11]});
}
// A feature's style: the layer's style, filled with the colour of its fill property (o.fill) where it has one.
// The map's features and the legends' symbols (sbLegend) take their style from this one function.
function sbStyle(o, fill) {
  var s = Object.assign({}, o.style);
  if (fill) { s.fillColor = fill; }
  return s;
}
function sbLayer(data, o) {
  var layer = L.geoJSON(data.geojson, {
    style: function (f) { return sbStyle(o, o.fill && f.properties[o.fill]); },
    pointToLayer: function (f, latlng) {
      if (o.icon) {
        // the name makes the marker's button accessible; keyboard: Tab reaches it, Enter opens its popup
        var name = sbText(f.properties[data.title]);
        return L.marker(latlng, {title: name, alt: name, keyboard: true, icon: sbIcon(o)});
      }
      var s = sbStyle(o, o.fill && f.properties[o.fill]);
      if (o.radiusField) { s.radius = f.properties[o.radiusField]; }
      return L.circleMarker(latlng, s);
    },
    onEachFeature: function (f, layer) {
      layer.bindTooltip(function () { return sbTip(data, o, f.properties); }, {sticky: true});
      if (data.popup.length) { layer.bindPopup(function () { return sbPopup(data, f.properties, o); }, {maxWidth: 380}); }
    }
  });
  layer.sbOptions = o;  // what its legend draws its symbols from (sbLegend)
  return layer;
}
// Accessibility (docs/web-accessibility.md). A table wider than the panel scrolls inside its own box; a box
// that scrolls can be reached and scrolled by keyboard (tabindex) and is named after its table's heading.
function sbScrollBoxes() {
  document.querySelectorAll(".sb-panel table").forEach(function (table) {
    var box = table.parentNode;
    if (!box.classList.contains("sb-scroll")) {
      box = document.createElement("div"); box.className = "sb-scroll";
      table.parentNode.insertBefore(box, table); box.appendChild(table);
    }
    var heading = box.previousElementSibling;
    var hint = box.previousElementSibling && box.previousElementSibling.classList.contains("sb-scroll-hint")
      ? box.previousElementSibling : null;
    if (hint) { heading = hint.previousElementSibling; }
    if (box.scrollWidth > box.clientWidth + 1) {
      box.tabIndex = 0; box.setAttribute("role", "region");
      box.setAttribute("aria-label", heading && /^H[1-6]$/.test(heading.tagName) ? heading.textContent
        : (table.caption ? table.caption.textContent : table.rows[0].textContent));
      // a table that scrolls shows that it does: a hint above it and a shadow at the edge where more columns wait
      if (!hint) {
        hint = document.createElement("p"); hint.className = "sb-scroll-hint"; hint.textContent = SB_POPUP.scroll;
        box.parentNode.insertBefore(hint, box);
      }
      if (!box.sbScrollCue) { box.sbScrollCue = true; box.addEventListener("scroll", function () { sbScrollEdges(box); }); }
      sbScrollEdges(box);
    } else {
      box.removeAttribute("tabindex"); box.removeAttribute("role"); box.removeAttribute("aria-label");
      box.classList.remove("sb-more-right", "sb-more-left");
      if (hint) { hint.remove(); }
    }
  });
}
function sbScrollEdges(box) {
  box.classList.toggle("sb-more-left", box.scrollLeft > 1);
  box.classList.toggle("sb-more-right", box.scrollLeft + box.clientWidth < box.scrollWidth - 1);
}
document.addEventListener("DOMContentLoaded", sbScrollBoxes);
window.addEventListener("resize", sbScrollBoxes);
// Small screens (phones, or a desktop zoomed to 200 %): the layer control starts collapsed behind its button.
function sbSmallScreen() { return window.matchMedia("(max-width: 720px)").matches; }
// The map layers as tables (docs/web-accessibility.md): a map alone is not accessible, so every layer of the
// layer control gets a table in the panel, built in the browser from the layer's embedded data (the same
// figures as its popups, suppressed alike) when the reader first opens its <details>. Each row has a button
// that shows its feature on the map and opens its popup, which also brings the keyboard to areas, lines and
// circles drawn on the canvas. Long tables are filtered and paged, so the page's DOM stays small.
var sbTables = [];
var SB_TABLE_PAGE_ROWS = 50;  // rows shown at a time: config publish.table_rows_per_page (set by maps.new_map)
function sbTableLayer(map, group, data, name, o) { sbTables.push({map: map, group: group, data: data, name: name, o: o}); }
function sbTableData(data, name) { sbTables.push({data: data, name: name, every: true}); }
function sbTableColumns(entry, shared) {
  // every figure of the popups (sections kept); a layer drawing shared data: the one figure its colours show
  var o = entry.o || {};
  if (entry.every || !shared) { return entry.data.popup.length ? entry.data.popup : (o.table || []); }
  return o.tipValue ? [[o.tipLabel, o.tipValue]] : [];
}
function sbTableFeatures(data) { return (data.geojson && data.geojson.features) || []; }
function sbTableRows(entry, columns) {
  var data = entry.data;
  return sbTableFeatures(data).map(function (f) {
    var p = f.properties;
    return {f: f, head: sbText(p[data.title]), cells: columns.map(function (c) { return c.length > 1 ? sbText(p[c[1]]) : null; }),
            link: data.link ? p[data.link.field] : null};
  });
}
function sbTableHead(table, columns, keep, words, data) {
  // one header row of labels, under a row of sections where the popup has sections (scope colgroup)
  var sections = columns.some(function (c) { return c.length < 2; });
  var thead = table.createTHead(), top = thead.insertRow(), labels = sections ? thead.insertRow() : top;
  var cell = function (tr, text, scope, span) {
    var th = document.createElement("th"); th.textContent = text; th.scope = scope;
    if (span && span.colSpan > 1) { th.colSpan = span.colSpan; }
    if (span && span.rowSpan > 1) { th.rowSpan = span.rowSpan; }
    tr.appendChild(th); return th;
  };
  var whole = {rowSpan: sections ? 2 : 1};
  cell(top, words.name, "col", whole);
  var section = null;
  columns.forEach(function (c, i) {
    if (c.length < 2) { section = {text: c[0], count: 0, th: null}; return; }
    if (!keep[i]) { return; }
    if (section) {
      if (!section.th) { section.th = cell(top, section.text, "colgroup"); }
      section.count += 1; section.th.colSpan = section.count; cell(labels, c[0], "col");
    } else { cell(top, c[0], "col", whole); }
  });
  if (data.link) { cell(top, data.link.label, "col", whole); }
  cell(top, words.map, "col", whole);
}
function sbShowOnMap(entry, f, button) {
  // switch the layer on, zoom to the feature, open its popup and move the focus to it; back to the button on close
  var on = entry.layers ? (entry.layers.filter(function (l) { return l.map.hasLayer(l.group); })[0] || entry.layers[0]) : entry;
  var map = on.map, group = on.group, target = null;
  if (!map.hasLayer(group)) { map.addLayer(group); }
  group.eachLayer(function (g) {
    if (g.eachLayer) { g.eachLayer(function (l) { if (l.feature === f) { target = l; } }); }
  });
  if (!target) {  // a layer that copied its features: the feature of the same name
    var title = entry.data.title, name = f.properties[title];
    group.eachLayer(function (g) {
      if (g.eachLayer) { g.eachLayer(function (l) { if (!target && l.feature && l.feature.properties[title] === name) { target = l; } }); }
    });
  }
  if (!target) { return; }
  if (target.getLatLng) { map.setView(target.getLatLng(), Math.max(map.getZoom(), 15), {animate: false}); }
  else { map.fitBounds(target.getBounds(), {maxZoom: 16, animate: false}); }
  map.getContainer().scrollIntoView({block: "nearest"});
  if (map.sbTipLayer) { map.sbTipLayer.closeTooltip(); map.sbTipLayer = null; }
  if (!target.getPopup()) { target.openTooltip(); map.sbTipLayer = target; return; }  // a layer of tooltips only
  target.openPopup();
  var box = target.getPopup().getElement(), heading = box && box.querySelector(".sb-popup h4");
  if (heading) { heading.tabIndex = -1; heading.focus({preventScroll: true}); }
  if (box && !box.sbEscape) {  // Leaflet closes a popup on Escape only while the map itself has the focus
    box.sbEscape = true;
    box.addEventListener("keydown", function (e) { if (e.key === "Escape") { map.closePopup(); } });
  }
  map.once("popupclose", function () {
    var now = document.activeElement;
    if (!now || now === document.body || (box && box.contains(now))) { button.focus({preventScroll: true}); }
  });
}
function sbTableBody(t) {
  // the rows of the current page of the filtered rows
  var tbody = t.table.tBodies[0], words = t.words;
  while (tbody.firstChild) { tbody.removeChild(tbody.firstChild); }
  var shown = t.filtered.slice(t.start, t.start + SB_TABLE_PAGE_ROWS);
  shown.forEach(function (r) {
    var tr = tbody.insertRow(), th = document.createElement("th"); th.scope = "row"; th.textContent = r.head; tr.appendChild(th);
    r.cells.forEach(function (text, i) { if (text !== null && t.keep[i]) { tr.insertCell().textContent = text; } });
    if (t.entry.data.link) {
      var td = tr.insertCell();
      if (r.link) {
        var a = document.createElement("a"); a.href = r.link; a.textContent = t.entry.data.link.label;
        a.setAttribute("aria-label", t.entry.data.link.label + ": " + r.head); td.appendChild(a);
      }
    }
    var button = document.createElement("button"); button.type = "button"; button.className = "sb-show";
    button.textContent = words.show; button.setAttribute("aria-label", words.show + ": " + r.head);
    button.addEventListener("click", function () { sbShowOnMap(t.entry, r.f, button); });
    tr.insertCell().appendChild(button);
  });
  if (t.status) {
    var total = t.filtered.length, fmt = function (n) { return n.toLocaleString(document.documentElement.lang); };
    t.status.textContent = total ? words.range.replace("{first}", fmt(t.start + 1))
      .replace("{last}", fmt(Math.min(t.start + SB_TABLE_PAGE_ROWS, total))).replace("{total}", fmt(total)) : words.none;
    t.previous.disabled = t.start === 0; t.next.disabled = t.start + SB_TABLE_PAGE_ROWS >= total;
  }
  sbScrollBoxes();
}
function sbTableTools(t, details) {
  // a filter box and previous/next buttons, for a table longer than a page
  var tools = document.createElement("div"); tools.className = "sb-table-tools"; details.appendChild(tools);
  var label = document.createElement("label"), input = document.createElement("input");
  input.type = "search"; label.textContent = t.words.filter + " "; label.appendChild(input); tools.appendChild(label);
  t.previous = document.createElement("button"); t.next = document.createElement("button");
  [[t.previous, t.words.previous, -1], [t.next, t.words.next, 1]].forEach(function (b) {
    b[0].type = "button"; b[0].textContent = b[1]; tools.appendChild(b[0]);
    b[0].addEventListener("click", function () { t.start = Math.max(0, t.start + b[2] * SB_TABLE_PAGE_ROWS); sbTableBody(t); });
  });
  t.status = document.createElement("span"); t.status.setAttribute("role", "status"); tools.appendChild(t.status);
  input.addEventListener("input", function () {
    var q = input.value.trim().toLowerCase();
    t.filtered = q ? t.rows.filter(function (r) { return r.text.indexOf(q) >= 0; }) : t.rows;
    t.start = 0; sbTableBody(t);
  });
}
function sbBuildTable(entry, shared, details, words) {
  var columns = sbTableColumns(entry, shared), rows = sbTableRows(entry, columns);
  // a column that only repeats each row's name (a school's name under its name) is left out
  var keep = columns.map(function (c, i) {
    return c.length > 1 && !rows.every(function (r) { return r.cells[i] === r.head; });
  });
  rows.forEach(function (r) { r.text = [r.head].concat(r.cells.filter(function (x, i) { return keep[i]; })).join(" ").toLowerCase(); });
  var t = {entry: entry, words: words, rows: rows, filtered: rows, start: 0, keep: keep};
  if (rows.length > SB_TABLE_PAGE_ROWS) { sbTableTools(t, details); }
  var box = document.createElement("div"); box.className = "sb-scroll"; details.appendChild(box);
  t.table = document.createElement("table"); box.appendChild(t.table);
  t.table.createCaption().textContent = entry.name;
  sbTableHead(t.table, columns, keep, words, entry.data);
  t.table.createTBody(); sbTableBody(t);
}
function sbLayerTables(words) {
  // one <details> per layer, in the layer control's order; the data several layers draw gets one more, of every figure
  var panel = document.querySelector(".sb-panel");
  var layers = sbTables.filter(function (e) { return !e.every; });
  if (!panel || !layers.length) { return; }
  var section = document.createElement("section"); section.className = "sb-tables"; section.id = "sb-tables";
  var h2 = document.createElement("h2"); h2.id = "sb-tables-title"; h2.textContent = words.title; section.appendChild(h2);
  section.setAttribute("aria-labelledby", h2.id);
  var intro = document.createElement("p"); intro.className = "sb-meta"; intro.textContent = words.intro; section.appendChild(intro);
  var drawing = function (data) { return layers.filter(function (e) { return e.data === data; }); };
  var entries = [];
  layers.forEach(function (e) {
    var same = drawing(e.data);
    if (same.length > 1 && same[0] === e) {
      sbTables.filter(function (d) { return d.every && d.data === e.data; }).forEach(function (d) {
        // a row of every figure opens its popup on a layer on the map (the first drawing the data if none is)
        entries.push({entry: {data: d.data, name: d.name, every: true, layers: same}, shared: true});
      });
    }
    entries.push({entry: e, shared: same.length > 1});
  });
  entries.forEach(function (x) {
    var details = document.createElement("details"); details.className = "sb-layer-table";
    var summary = document.createElement("summary"), name = document.createElement("span");
    name.className = "sb-table-name"; name.textContent = x.entry.name; summary.appendChild(name);
    var n = sbTableFeatures(x.entry.data).length, count = document.createElement("span"); count.className = "sb-table-count";
    count.textContent = " (" + (n === 1 ? words.one : words.rows.replace("{n}", n.toLocaleString(document.documentElement.lang))) + ")";
    summary.appendChild(count); details.appendChild(summary); section.appendChild(details);
    var build = function () {
      if (!details.sbBuilt) { details.sbBuilt = true; sbBuildTable(x.entry, x.shared, details, words); }
    };
    // built when first opened: on the summary's click (mouse, Enter or Space; before the details opens, so the
    // next Tab already finds the table) or on the toggle of a details opened otherwise (find in page, a script)
    summary.addEventListener("click", build);
    details.addEventListener("toggle", function () { if (details.open) { build(); sbScrollBoxes(); } });
  });
  panel.appendChild(section);
}

// The offline base map (pages/base_map.py): streets, green areas, stations and area names from the municipality's
// own layers, in a pane under every data layer, the names shown from s.labelZoom in. It is a base layer of the
// layer control; when the page's tiles fail to load (no internet) it takes their place.
function sbBase(map, group, data, s) {
  if (!map.getPane("sbBase")) {
    map.createPane("sbBase").style.zIndex = 250;
    var labels = map.createPane("sbBaseLabels"); labels.style.zIndex = 450; labels.style.pointerEvents = "none";
  }
  var renderer = L.canvas({pane: "sbBase"});
  var layer = L.geoJSON(data.geojson, {
    pane: "sbBase", renderer: renderer, interactive: false,
    style: function (f) { return f.properties.kind === "green" ? s.green : s.street; },
    pointToLayer: function (f, latlng) {
      var mark;
      if (f.properties.kind === "station") {
        mark = L.marker(latlng, {pane: "sbBase", interactive: false, keyboard: false, icon: sbIcon(s.station)});
      } else {
        var span = document.createElement("span"); span.textContent = sbText(f.properties.name);
        mark = L.marker(latlng, {pane: "sbBaseLabels", interactive: false, keyboard: false,
          icon: L.divIcon({className: "sb-base-label", html: span, iconSize: null})});
      }
      // drawn like a marker, but no marker of the data: not a stop of the keyboard nor a popup's owner
      mark.on("add", function () { var el = mark.getElement(); el.classList.remove("leaflet-marker-icon"); el.classList.add("sb-base-mark"); });
      return mark;
    }
  });
  var zoomed = function () {
    map.getContainer().classList.toggle("sb-base-names", map.getZoom() >= s.labelZoom);
  };
  layer.eachLayer(function (l) { delete l.feature; });  // the base is no feature of the data (no popup, no table)
  map.on("zoomend", zoomed); zoomed();
  var paper = function () { map.getContainer().classList.toggle("sb-base-on", map.hasLayer(group)); };
  group.on("add remove", paper); map.whenReady(paper);
  map.eachLayer(function (tiles) {
    if (!(tiles instanceof L.TileLayer)) { return; }
    tiles.on("tileerror", function () {  // no internet: the base drawn from the data instead of the tiles
      if (map.sbTilesFailed || !map.hasLayer(tiles)) { return; }  // once: then the reader chooses
      map.removeLayer(tiles); map.addLayer(group); map.sbTilesFailed = true;
    });
  });
  return layer.addTo(group);
}
// Printing (pages/base_map.py PrintFit): the map sized to the sheet (print.css) and framed on the whole
// municipality, fractional zoom allowed; its view on the screen put back after printing.
function sbPrintFit(map, bounds) {
  var saved = null, box = map.getContainer();
  var before = function () {
    if (saved) { return; }
    saved = {center: map.getCenter(), zoom: map.getZoom(), snap: map.options.zoomSnap};
    if (!window.matchMedia("print").matches) {  // beforeprint comes before the print layout: the sheet's size
      box.style.setProperty("width", "187mm", "important"); box.style.setProperty("height", "186mm", "important");
    }
    if (map._animatingZoom) { map._onZoomTransitionEnd(); }  // a zoom under way would end on its own target
    map.stop();
    map.invalidateSize({pan: false});
    map.options.zoomSnap = 0.1;
    map.fitBounds(bounds, {animate: false, padding: [6, 6]});
  };
  var after = function () {
    if (!saved || window.matchMedia("print").matches) { return; }  // still laid out for paper
    box.style.removeProperty("width"); box.style.removeProperty("height");
    map.invalidateSize({pan: false});
    map.options.zoomSnap = saved.snap;
    map.setView(saved.center, saved.zoom, {animate: false});
    saved = null;
  };
  // after printing, once the page has stayed laid out for the screen a moment (Chromium's print to PDF lets the
  // print media lapse for an instant, and afterprint may come while the page is still laid out for paper)
  var later = function () { setTimeout(after, 300); };
  window.addEventListener("beforeprint", before);
  window.addEventListener("afterprint", later);
  window.matchMedia("print").addEventListener("change", function (e) { if (e.matches) { before(); } else { later(); } });
}
// Thematic layers exclude each other: every layer with a legend (maps.py Legend) is a theme, listed in the layer
// control as a radio button of one group, so one status, criterion or figure colours the map at a time and one
// legend explains it (Leaflet's control adds and removes layers by their inputs' checked state, radios included).
var sbThemes = {};
function sbTheme(layer) {
  sbThemes[L.stamp(layer)] = true;
  var proto = L.Control.Layers.prototype;
  if (proto.sbThemed) { return; }
  var addItem = proto._addItem;
  proto._addItem = function (obj) {
    var label = addItem.call(this, obj), input = label.querySelector("input");
    if (obj.overlay && sbThemes[L.stamp(obj.layer)] && input) {
      input.type = "radio"; input.name = "sb-theme-" + L.stamp(this); label.className = "sb-theme";
    }
    return label;
  };
  proto.sbThemed = true;
}
// The map key's symbols (index_key.html) and the legends' (sbLegend), drawn from the options the layers are drawn
// with (pages/symbols.py, sbStyle): an icon by sbIconHtml in the marker's own classes, an area or a circle with
// the options Leaflet resolves for the map's own polygon or circle marker (its defaults under the layer's style).
function sbSymbol(o) {
  var box = document.createElement("span");
  if (o.icon) {
    box.className = "sb-key-icon sb-icon " + (o.iconClass || ""); box.innerHTML = sbIconHtml(o);
    if (!o.style) { return box; }
    var both = document.createElement("span"); both.className = "sb-key-both"; both.appendChild(box);  // points and areas
    both.appendChild(sbSymbol({style: o.style})); return both;
  }
  var s = o.circle ? L.circleMarker([0, 0], o.style || {}).options : L.polygon([], o.style || {}).options;
  var ns = "http://www.w3.org/2000/svg", svg = document.createElementNS(ns, "svg");
  svg.setAttribute("width", "18"); svg.setAttribute("height", "14"); svg.setAttribute("viewBox", "0 0 18 14");
  var shape = document.createElementNS(ns, o.circle ? "circle" : "rect");
  if (o.circle) { shape.setAttribute("cx", "9"); shape.setAttribute("cy", "7"); shape.setAttribute("r", "5"); }
  else { shape.setAttribute("x", "1.5"); shape.setAttribute("y", "1.5"); shape.setAttribute("width", "15"); shape.setAttribute("height", "11"); }
  shape.setAttribute("stroke", s.stroke && s.weight > 0 ? s.color : "none");
  shape.setAttribute("stroke-width", String(Math.min(s.weight, 3)));
  shape.setAttribute("stroke-opacity", String(s.opacity));
  if (s.dashArray) { shape.setAttribute("stroke-dasharray", s.dashArray); }
  shape.setAttribute("fill", s.fill ? (s.fillColor || s.color) : "none");
  shape.setAttribute("fill-opacity", String(s.fillOpacity));
  svg.appendChild(shape); box.className = "sb-key-shape"; box.appendChild(svg);
  return box;
}
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".sb-key[data-sb-symbol]").forEach(function (key) {
    key.appendChild(sbSymbol(JSON.parse(key.getAttribute("data-sb-symbol"))));
  });
});
// A theme's legend (maps.py Legend), shown while its layer is on the map: its title, then per entry a small copy
// of the layer's features in the entry's colour, drawn by sbSymbol from the options the layer was drawn with
// (sbLayer's, or d.symbol for a layer of another kind, an image), and the entry's label, all set as text.
function sbLegendSymbol(o, fill, kinds) {
  // a marker layer's icon (beside its areas' style where it has areas too), else a circle or an area
  var style = sbStyle(o, fill);
  if (kinds.marker && o.icon) { return kinds.area ? {icon: o.icon, iconClass: o.iconClass, style: style} : {icon: o.icon, iconClass: o.iconClass}; }
  return {style: style, circle: kinds.circle && !kinds.area};
}
function sbLegendRow(box, symbol, label) {
  var row = document.createElement("div"); row.className = "sb-legend-row";
  var swatch = sbSymbol(symbol); swatch.classList.add("sb-swatch"); swatch.setAttribute("aria-hidden", "true");
  row.appendChild(swatch); row.appendChild(document.createTextNode(sbText(label))); box.appendChild(row);
}
function sbLegendBox(layer, d) {
  var drawn = null, kinds = {marker: false, circle: false, area: false};
  if (layer.eachLayer) { layer.eachLayer(function (l) { if (!drawn && l.sbOptions) { drawn = l; } }); }
  if (drawn) {
    drawn.eachLayer(function (l) {
      if (l instanceof L.CircleMarker) { kinds.circle = true; } else if (l instanceof L.Marker) { kinds.marker = true; } else { kinds.area = true; }
    });
  }
  var o = drawn ? drawn.sbOptions : (d.symbol || {});
  var box = L.DomUtil.create("div", "sb-legend");
  var title = document.createElement("div"); title.className = "sb-legend-title"; title.textContent = sbText(d.title);
  box.appendChild(title);
  d.entries.forEach(function (e) { sbLegendRow(box, sbLegendSymbol(o, e[0], kinds), e[1]); });
  (d.extra || []).forEach(function (e) { sbLegendRow(box, sbLegendSymbol(e[0], null, {area: true}), e[1]); });
  return box;
}
function sbLegend(map, layer, d) {
  sbTheme(layer);  // one theme at a time
  var legend = L.control({position: "bottomright"});
  legend.onAdd = function () { return sbLegendBox(layer, d); };
  map.on("overlayadd", function (e) { if (e.layer === layer) { legend.addTo(map); } });
  map.on("overlayremove", function (e) { if (e.layer === layer) { legend.remove(); } });
  if (map.hasLayer(layer)) { legend.addTo(map); }
}
