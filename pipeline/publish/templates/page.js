
function sbData(d) {
  d.geojson.features.forEach(function (f) {
    var p = {}; d.keys.forEach(function (k, i) { p[k] = f.properties[i]; }); f.properties = p;
  });
  return d;
}
// A layer's rows drawn on the shapes another layer's data holds (the areas' status in each earlier year on the
// areas' own polygons, embedded once): row i takes the geometry of feature d.shape[i] of `shapes` (maps.py RowsOnShapes).
function sbDataOn(shapes, d) {
  var features = d.rows.map(function (row, i) {
    var p = {}; d.keys.forEach(function (k, j) { p[k] = row[j]; });
    return {type: "Feature", properties: p, geometry: shapes.geojson.features[d.shape[i]].geometry};
  });
  d.geojson = {type: "FeatureCollection", features: features};
  return d;
}
function sbText(v) { return (v === null || v === undefined) ? "" : String(v); }
function sbPopup(data, p) {
  var box = document.createElement("div"); box.className = "sb-popup";
  var h = document.createElement("h4"); h.textContent = sbText(p[data.title]); box.appendChild(h);
  var body = document.createElement("div"); body.className = "sb-popup-body"; box.appendChild(body);
  var table = document.createElement("table"); body.appendChild(table);
  data.popup.forEach(function (row) {
    var tr = table.insertRow(); var th = document.createElement("th"); th.textContent = row[0]; tr.appendChild(th);
    if (row.length < 2) { tr.className = "sb-section"; th.colSpan = 2; return; }
    var td = tr.insertCell(); td.textContent = sbText(p[row[1]]);
  });
  return box;
}
function sbTip(data, o, p) {
  var div = document.createElement("div");
  var text = sbText(p[data.title]);
  if (o.tipValue) { text += " \u2014 " + o.tipLabel + ": " + sbText(p[o.tipValue]); }
  div.textContent = text; return div;
}
function sbLayer(data, o) {
  return L.geoJSON(data.geojson, {
    style: function (f) {
      var s = Object.assign({}, o.style);
      if (o.fill && f.properties[o.fill]) { s.fillColor = f.properties[o.fill]; }
      return s;
    },
    pointToLayer: function (f, latlng) {
      if (o.icon) {
        var i = document.createElement("i"); i.className = "fa-solid " + o.icon; i.setAttribute("aria-hidden", "true");
        // the name makes the marker's button accessible; keyboard: Tab reaches it, Enter opens its popup
        var name = sbText(f.properties[data.title]);
        return L.marker(latlng, {title: name, alt: name, keyboard: true,
          icon: L.divIcon({className: "sb-icon " + (o.iconClass || ""), html: i.outerHTML,
          iconSize: [22, 22], iconAnchor: [11, 11]})});
      }
      var s = Object.assign({}, o.style);
      if (o.fill && f.properties[o.fill]) { s.fillColor = f.properties[o.fill]; }
      if (o.radiusField) { s.radius = f.properties[o.radiusField]; }
      return L.circleMarker(latlng, s);
    },
    onEachFeature: function (f, layer) {
      layer.bindTooltip(function () { return sbTip(data, o, f.properties); }, {sticky: true});
      if (data.popup.length) { layer.bindPopup(function () { return sbPopup(data, f.properties); }, {maxWidth: 380}); }
    }
  });
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
    if (box.scrollWidth > box.clientWidth + 1) {
      box.tabIndex = 0; box.setAttribute("role", "region");
      box.setAttribute("aria-label", heading && /^H[1-6]$/.test(heading.tagName) ? heading.textContent : table.rows[0].textContent);
    } else {
      box.removeAttribute("tabindex"); box.removeAttribute("role"); box.removeAttribute("aria-label");
    }
  });
}
document.addEventListener("DOMContentLoaded", sbScrollBoxes);
window.addEventListener("resize", sbScrollBoxes);
// Small screens (phones, or a desktop zoomed to 200 %): the layer control starts collapsed behind its button.
function sbSmallScreen() { return window.matchMedia("(max-width: 720px)").matches; }
