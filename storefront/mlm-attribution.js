/*
 * mlm: replicated-site attribution for a BigCommerce storefront (Script Manager, all pages).
 * A distributor's link carries ?ref=<distributor id>. This script keeps the referrer for the
 * visit (sessionStorage and a session cookie, so it survives pages without ?ref and the move to
 * checkout), and as soon as the shopper has a cart it tells the commission engine which
 * distributor referred that cart: POST {cart_id, referrer} to the engine's /attribution (the
 * stack's AttributionUrl output). A guest order from the cart is then the referrer's retail
 * sale. Each cart is sent once per visit; a cart already attributed to another distributor
 * keeps its first referrer (the engine refuses a change).
 *
 * Install (docs/storefront.md): Storefront -> Script Manager -> Create a Script; placement
 * Footer, location All pages, category Essential, type Script; contents:
 *   <script src="https://<your host>/mlm-attribution.js" data-endpoint="<AttributionUrl>"></script>
 * or paste this file inline inside <script data-endpoint="<AttributionUrl>"> ... </script>.
 */
(function () {
  "use strict";
  var me = document.currentScript;
  var endpoint = (me && me.getAttribute("data-endpoint")) || window.MLM_ATTRIBUTION_URL;
  var KEY = "mlm_ref";
  var SENT = "mlm_ref_sent";
  var valid = /^[A-Za-z0-9_.-]{1,64}$/;

  function remember(ref) {
    try { sessionStorage.setItem(KEY, ref); } catch (e) { /* private mode: the cookie still holds it */ }
    document.cookie = KEY + "=" + encodeURIComponent(ref) + "; path=/; SameSite=Lax";
  }

  function referrer() {
    var r = null;
    try { r = sessionStorage.getItem(KEY); } catch (e) { r = null; }
    if (r) return r;
    var m = document.cookie.match(/(?:^|;\s*)mlm_ref=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : null;
  }

  var fromLink = new URLSearchParams(window.location.search).get("ref");
  if (fromLink && valid.test(fromLink)) remember(fromLink);

  function attribute() {
    var ref = referrer();
    if (!ref || !valid.test(ref) || !endpoint) return Promise.resolve();
    // The storefront's own API: the shopper's cart, if there is one yet.
    return fetch("/api/storefront/carts", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (carts) {
        if (!carts || !carts.length || !carts[0].id) return;
        var mark = carts[0].id + ":" + ref;
        var sent = null;
        try { sent = sessionStorage.getItem(SENT); } catch (e) { sent = null; }
        if (sent === mark) return;
        // text/plain keeps it a simple request: no CORS preflight to the engine's API.
        return fetch(endpoint, {
          method: "POST",
          mode: "no-cors",
          keepalive: true,
          headers: { "Content-Type": "text/plain" },
          body: JSON.stringify({ cart_id: carts[0].id, referrer: ref })
        }).then(function () {
          try { sessionStorage.setItem(SENT, mark); } catch (e) { /* sent again next page: harmless */ }
        });
      })
      .catch(function () { /* never break the storefront */ });
  }

  window.mlmAttribute = attribute;
  attribute();
  // A cart created on this page (add to cart without reload) is attributed too.
  document.addEventListener("click", function () { setTimeout(attribute, 1500); }, true);
})();
