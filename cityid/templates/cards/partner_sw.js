/* The partner page's service worker (cityid.cards.verify_views): keeps the page, its scripts, the program's
 * keys and its status list, so that the page keeps working offline once it has been loaded. The page, the keys
 * and the status list are fetched fresh when the network answers (and kept); the scripts and styles come from
 * the cache. Nothing else is touched. */
"use strict";
var CACHE = "cityid-verify-" + {{ version|safe }};
var PRECACHE = {{ precache|safe }};
var FRESH_FIRST = {{ fresh_first|safe }};

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return Promise.all(PRECACHE.map(function (url) {
      return fetch(url, {credentials: "same-origin", cache: "no-cache"}).then(function (response) {
        if (response.ok) return cache.put(url, response);
      }).catch(function () {});
    }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("cityid-verify-") === 0 && name !== CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function fromCache(path) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(path, {ignoreVary: true, ignoreSearch: true});
  });
}

function freshFirst(request, path) {
  return fetch(request).then(function (response) {
    if (response.ok) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { return cache.put(path, copy); });
    }
    return response;
  }).catch(function () {
    return fromCache(path).then(function (cached) { return cached || Response.error(); });
  });
}

function cacheFirst(request, path) {
  return fromCache(path).then(function (cached) {
    return cached || fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { return cache.put(path, copy); });
      }
      return response;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (FRESH_FIRST.indexOf(url.pathname) >= 0) {
    event.respondWith(freshFirst(request, url.pathname));
  } else if (PRECACHE.indexOf(url.pathname) >= 0) {
    event.respondWith(cacheFirst(request, url.pathname));
  }
});
