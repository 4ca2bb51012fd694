// The storefront attribution script (storefront/mlm-attribution.js) in headless Chromium: a
// local "store" serves pages with the script, the storefront carts API and, on another origin,
// the engine's /attribution. A visit through ?ref=D2 that adds to cart on a later page (no ref
// there) sends {cart_id, referrer} once; a visit without ?ref sends nothing.
import http from "node:http";
import fs from "node:fs";
import { chromium } from "playwright-core";

const script = fs.readFileSync(new URL("../../storefront/mlm-attribution.js", import.meta.url), "utf8");
let cart = null;
const received = [];

const engine = http.createServer((req, res) => {
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", () => {
    if (req.method === "POST" && req.url === "/attribution") received.push(JSON.parse(body));
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end("{}");
  });
});
await new Promise((r) => engine.listen(0, "127.0.0.1", r));
const endpoint = `http://127.0.0.1:${engine.address().port}/attribution`;

const page = (title) => `<!doctype html><title>${title}</title><h1>${title}</h1>
<button id="add" onclick="fetch('/cart/add',{method:'POST'})">Add to cart</button>
<script src="/mlm-attribution.js" data-endpoint="${endpoint}"></script>`;
const store = http.createServer((req, res) => {
  const path = req.url.split("?")[0];
  if (path === "/mlm-attribution.js") {
    res.writeHead(200, { "Content-Type": "text/javascript" });
    return res.end(script);
  }
  if (path === "/api/storefront/carts") {
    res.writeHead(200, { "Content-Type": "application/json" });
    return res.end(JSON.stringify(cart ? [{ id: cart }] : []));
  }
  if (path === "/cart/add") {
    cart = cart || "9a1b2c3d-cart";
    res.writeHead(200);
    return res.end();
  }
  res.writeHead(200, { "Content-Type": "text/html" });
  res.end(page(path));
});
// "localhost": another origin than the engine's 127.0.0.1.
await new Promise((r) => store.listen(0, "127.0.0.1", r));
const base = `http://localhost:${store.address().port}`;

const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
const fail = (m) => { console.error(`storefront: FAILED: ${m}`); process.exitCode = 1; };
try {
  const ctx = await browser.newContext();
  const tab = await ctx.newPage();
  await tab.goto(`${base}/?ref=D2`);
  await tab.goto(`${base}/products/vita`); // the ref is kept without ?ref
  await tab.click("#add");
  await tab.goto(`${base}/cart.php`);
  await tab.waitForTimeout(500);
  await tab.goto(`${base}/checkout`); // the same cart again: not sent twice
  await tab.waitForTimeout(500);
  if (JSON.stringify(received) !== JSON.stringify([{ cart_id: "9a1b2c3d-cart", referrer: "D2" }])) {
    fail(`expected one attribution of the cart to D2, got ${JSON.stringify(received)}`);
  }
  // A visit without a distributor's link attributes nothing.
  received.length = 0;
  const other = await (await browser.newContext()).newPage();
  await other.goto(`${base}/cart.php`);
  await other.waitForTimeout(500);
  if (received.length !== 0) fail(`a visit without ?ref sent ${JSON.stringify(received)}`);
  // A malformed ref is ignored.
  const bad = await (await browser.newContext()).newPage();
  await bad.goto(`${base}/?ref=${encodeURIComponent("<script>")}`);
  await bad.goto(`${base}/cart.php`);
  await bad.waitForTimeout(500);
  if (received.length !== 0) fail(`a malformed ref sent ${JSON.stringify(received)}`);
  if (!process.exitCode) console.log("storefront: ok (ref kept through the visit, cart attributed once, cross-origin)");
} finally {
  await browser.close();
  store.close();
  engine.close();
}
