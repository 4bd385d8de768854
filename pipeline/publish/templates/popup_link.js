
// A link under a popup's table, where the layer's data names one (data.link = {label, field}) and the
// feature has a target: an area's profile page (areas/<area_id>.html; none for a suppressed area).
// Wraps page.js's sbPopup so that file stays as it is; the href and label are set as properties, never as HTML.
(function () {
  var table = sbPopup;
  sbPopup = function (data, p, o) {
    var box = table(data, p, o);
    if (data.link && p[data.link.field]) {
      var para = document.createElement("p"); para.className = "sb-popup-link";
      var a = document.createElement("a"); a.href = p[data.link.field]; a.textContent = data.link.label;
      para.appendChild(a); box.appendChild(para);
    }
    return box;
  };
})();
