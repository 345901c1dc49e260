// Loaded first by every page: outside a secure context (plain HTTP at a LAN name) the browser has
// no service worker, no offline queue and sends PINs in clear, so go to enrolment instead of failing.
if (!window.isSecureContext && location.pathname !== "/enrol") {
  location.replace("/enrol?next=" + encodeURIComponent(location.pathname + location.search));
}
