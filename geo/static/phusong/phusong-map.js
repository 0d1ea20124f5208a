/* phusong's own helpers for its Leaflet maps (project code, not a vendored package; served and
 * inlined by geo/maps.py like the vendored files, never fetched from the web).
 *
 * - phusong.labels: commune name labels at fixed points, shown in priority order and hidden where
 *   they would overlap a label already shown, a map control or the notice banner; checked again
 *   after every zoom, pan or resize.
 * - phusong.linkGaps: a click on a hatched (uncovered) area acts as a click on its commune.
 * - phusong.clearOfBanner: popups open below the notice banner instead of under it.
 * - phusong.legendGivesWay: the legend fades while an open popup lies under it.
 * - phusong.toggleWithLayer: a part of the legend shows only while its layer is on.
 *
 * Nothing here touches Leaflet at load time, so the file may load before leaflet.js.
 */
(function () {
  "use strict";
  var P = window.phusong = window.phusong || {};
  var PAD = 2; // px of free space kept around each label

  var CSS =
    ".phusong-label{width:0;height:0}" +
    ".phusong-label span{position:absolute;left:0;top:0;transform:translate(-50%,-50%);" +
    "width:max-content;max-width:8em;text-align:center;white-space:normal;" +
    "font:600 11px/1.15 sans-serif;color:#1a1a1a;" +
    "text-shadow:-1px -1px 0 #fff,1px -1px 0 #fff,-1px 1px 0 #fff,1px 1px 0 #fff,0 0 3px #fff}" +
    ".phusong-label.phusong-label-hidden{visibility:hidden}" +
    ".phusong-legend.phusong-legend-away{opacity:.15;pointer-events:none}";

  function addStyle() {
    if (document.getElementById("phusong-map-css")) return;
    var s = document.createElement("style");
    s.id = "phusong-map-css";
    s.textContent = CSS;
    document.head.appendChild(s);
  }

  function overlap(a, b) {
    return a.l < b.r && b.l < a.r && a.t < b.b && b.t < a.b;
  }

  // Boxes (container pixels) of what a label must not cover: map controls and the banner.
  function obstacles(map) {
    var c = map.getContainer(), origin = c.getBoundingClientRect(), out = [];
    var els = c.querySelectorAll(".leaflet-control, .phusong-banner");
    for (var i = 0; i < els.length; i++) {
      var r = els[i].getBoundingClientRect();
      if (r.width && r.height) {
        out.push({l: r.left - origin.left, r: r.right - origin.left,
                  t: r.top - origin.top, b: r.bottom - origin.top});
      }
    }
    return out;
  }

  /* labels: [[lat, lng, text], ...] in priority order (first = shown first). Returns a layer
   * group (not yet on the map) of non-interactive markers in the pane "phusong_labels". */
  P.labels = function (map, labels) {
    addStyle();
    if (!map.getPane("phusong_labels")) {
      var pane = map.createPane("phusong_labels");
      pane.style.zIndex = 440; // above the sites (430): a name stays readable; clicks pass through
      pane.style.pointerEvents = "none";
    }
    var group = L.layerGroup(), markers = [];
    labels.forEach(function (item) {
      var span = document.createElement("span");
      span.textContent = item[2]; // a name is data, never markup
      var marker = L.marker([item[0], item[1]], {
        pane: "phusong_labels", interactive: false, keyboard: false,
        icon: L.divIcon({className: "phusong-label", iconSize: [0, 0], html: span})});
      group.addLayer(marker);
      markers.push(marker);
    });

    function layout() {
      if (!map.hasLayer(group)) return;
      var size = map.getSize(), placed = obstacles(map);
      markers.forEach(function (marker) {
        var el = marker.getElement();
        if (!el || !el.firstChild) return;
        var w = el.firstChild.offsetWidth, h = el.firstChild.offsetHeight;
        var p = map.latLngToContainerPoint(marker.getLatLng());
        var box = {l: p.x - w / 2 - PAD, r: p.x + w / 2 + PAD,
                   t: p.y - h / 2 - PAD, b: p.y + h / 2 + PAD};
        var show = box.l >= 0 && box.t >= 0 && box.r <= size.x && box.b <= size.y &&
          !placed.some(function (q) { return overlap(box, q); });
        L.DomUtil[show ? "removeClass" : "addClass"](el, "phusong-label-hidden");
        if (show) placed.push(box);
      });
    }
    map.on("zoomend moveend resize", layout);
    group.on("add", function () { setTimeout(layout, 0); });
    if (document.fonts && document.fonts.ready) document.fonts.ready.then(layout); // sizes final
    group.phusongLayout = layout;
    return group;
  };

  /* A click on a feature of gapLayers (properties.code) fires a click on the feature of
   * communes with the same code: its popup opens and the app's click handler sees it. */
  P.linkGaps = function (communes, gapLayers) {
    var byCode = {};
    communes.eachLayer(function (layer) {
      var props = layer.feature && layer.feature.properties;
      if (props && props.code != null) byCode[props.code] = layer;
    });
    gapLayers.forEach(function (gaps) {
      gaps.on("click", function (e) {
        var props = e.layer && e.layer.feature && e.layer.feature.properties;
        var commune = props && byCode[props.code];
        if (commune) {
          commune.fire("click", {latlng: e.latlng, layerPoint: e.layerPoint,
                                 containerPoint: e.containerPoint}, true);
          // Leaflet also opens a layer's tooltip on click; the mouse is over the hatch, whose
          // own tooltip shows, so the commune's would never get a mouseout to close it
          communes.closeTooltip();
        }
      });
    });
  };

  /* Every popup of the map's layers pans the map so that it opens below the banner. */
  P.clearOfBanner = function (map, banner) {
    function padding() {
      var top = banner.getBoundingClientRect().bottom -
        map.getContainer().getBoundingClientRect().top;
      return L.point(5, Math.max(5, Math.ceil(top) + 6));
    }
    function pad(layer) {
      if (layer && layer._popup) {
        Object.defineProperty(layer._popup.options, "autoPanPaddingTopLeft",
                              {get: padding, configurable: true});
      }
    }
    map.eachLayer(pad);
    map.on("layeradd", function (e) { pad(e.layer); });
  };

  /* Map controls are drawn above popups; the legend (class phusong-legend) is the large one, so
   * it fades while the open popup overlaps it (checked again after the popup's pan). */
  P.legendGivesWay = function (map) {
    addStyle();
    function check() {
      var legend = map.getContainer().querySelector(".phusong-legend");
      if (!legend) return;
      var popup = map._popup && map.hasLayer(map._popup) && map._popup.getElement();
      var away = false;
      if (popup) {
        var a = popup.getBoundingClientRect(), b = legend.getBoundingClientRect();
        away = overlap({l: a.left, r: a.right, t: a.top, b: a.bottom},
                       {l: b.left, r: b.right, t: b.top, b: b.bottom});
      }
      L.DomUtil[away ? "addClass" : "removeClass"](legend, "phusong-legend-away");
    }
    map.on("popupopen popupclose moveend zoomend", function () { setTimeout(check, 0); });
  };

  /* The legend's part for a layer that starts hidden (the population layer): shown while the
   * layer is on the map; looked up at each toggle, since the legend is made after the layer. */
  P.toggleWithLayer = function (map, layer, selector) {
    function sync() {
      var part = map.getContainer().querySelector(selector);
      if (part) part.style.display = map.hasLayer(layer) ? "" : "none";
    }
    map.on("layeradd layerremove", function (e) { if (e.layer === layer) sync(); });
    setTimeout(sync, 0);
  };
})();
