// The places map (/patterns/places/): an enhancement of the tables on the page. Reads the clusters from the
// JSON the page carries (json_script, id places-map-data), so nothing inline runs (the CSP forbids it).
// With no tile URL configured nothing is fetched from anywhere: the markers sit on a blank map with the
// outline of the area. Popup content is built as DOM nodes (textContent), never as HTML strings.
(function () {
  'use strict';
  var container = document.getElementById('places-map');
  var source = document.getElementById('places-map-data');
  if (!container || !source || typeof window.L === 'undefined') {
    return;
  }
  var data = JSON.parse(source.textContent);
  var L = window.L;
  container.hidden = false;
  container.setAttribute('role', 'region');
  container.setAttribute('aria-label', data.text.map);

  var map = L.map(container, {
    attributionControl: Boolean(data.tiles),
    zoomSnap: 0.5,
    scrollWheelZoom: false
  });
  if (data.tiles) {
    var attribution = document.createElement('span');
    attribution.textContent = data.tiles.attribution || '';
    map.attributionControl.setPrefix(false);
    L.tileLayer(data.tiles.url, { attribution: attribution.innerHTML, maxZoom: 18 }).addTo(map);
  }

  var bounds = L.latLngBounds(data.bounds);
  // The outline of the area, so a map with no tiles still shows where things are.
  L.rectangle(bounds, { color: '#505a5f', weight: 1, fill: false, dashArray: '4 4', interactive: false }).addTo(map);

  // Town names sit in their own pane under the markers, so a marker is never hidden by a name.
  map.createPane('hafanTowns');
  map.getPane('hafanTowns').style.zIndex = 350;
  (data.towns || []).forEach(function (town) {
    L.circleMarker([town.lat, town.lon], {
      pane: 'hafanTowns',
      radius: 2,
      color: '#505a5f',
      weight: 1,
      fillOpacity: 1,
      interactive: false
    }).bindTooltip(town.label, {
      pane: 'hafanTowns',
      permanent: true,
      direction: 'right',
      className: 'hafan-places-map__town'
    }).addTo(map);
  });

  function popupFor(cluster) {
    var box = document.createElement('div');
    var title = document.createElement('strong');
    title.textContent = cluster.label;
    box.appendChild(title);
    var list = document.createElement('ul');
    list.className = 'hafan-places-map__list';
    cluster.lines.forEach(function (line) {
      var item = document.createElement('li');
      item.textContent = line;
      list.appendChild(item);
    });
    box.appendChild(list);
    var link = document.createElement('a');
    link.className = 'govuk-link';
    link.href = cluster.url;
    link.textContent = data.text.open;
    box.appendChild(link);
    return box;
  }

  data.clusters.forEach(function (cluster) {
    var radius = Math.min(30, 6 + 4 * Math.sqrt(cluster.count));
    var marker = L.circleMarker([cluster.lat, cluster.lon], {
      radius: radius,
      color: '#0b0c0c',
      weight: 1,
      fillColor: '#1d70b8',
      fillOpacity: 0.6,
      className: 'hafan-places-map__marker'
    });
    marker.bindPopup(popupFor(cluster));
    marker.bindTooltip(cluster.label + ' (' + cluster.count + ')');
    marker.addTo(map);
    bounds.extend([cluster.lat, cluster.lon]);
  });
  map.fitBounds(bounds, { padding: [20, 20] });
})();
