// The dashboard page in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core):
// signs in with the tokens `mlm token` printed, checks that every figure the page shows is what
// the API answers for the same token, expands the genealogy, checks that a distributor's token
// cannot show another distributor's records, and saves screenshots for review.
// Run by scripts/browser-test.sh, which builds the CLI, loads `mlm demo`'s data and starts
// `mlm serve`. Environment: MLM_URL, MLM_TOKEN (distributor MLM_ME), MLM_ADMIN_TOKEN, MLM_OTHER,
// MLM_SHOTS (screenshot folder).
import { chromium } from "playwright-core";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

const BASE = need("MLM_URL").replace(/\/$/, "");
const TOKEN = need("MLM_TOKEN");
const ADMIN = need("MLM_ADMIN_TOKEN");
const ME = process.env.MLM_ME || "D02";
const OTHER = process.env.MLM_OTHER || "D05";
const SHOTS = process.env.MLM_SHOTS || "target/browser";
const CHROMIUM = process.env.MLM_CHROMIUM || "/usr/bin/chromium";

function need(name) {
  const v = process.env[name];
  if (!v) { console.error(`browser: ${name} is not set (run scripts/browser-test.sh)`); process.exit(2); }
  return v;
}

let checks = 0;
let step = "starting";
class Mismatch extends Error {}
function check(ok, message) {
  if (!ok) throw new Mismatch(message);
  checks++;
}
function same(shown, expected, what) {
  check(JSON.stringify(shown) === JSON.stringify(expected),
    `${what}: the page shows ${JSON.stringify(shown)}, the API answers ${JSON.stringify(expected)}`);
}

async function api(token, path) {
  const res = await fetch(BASE + path, { headers: { Authorization: `Bearer ${token}` } });
  const body = await res.json();
  return { status: res.status, body };
}
async function ok(token, path) {
  const { status, body } = await api(token, path);
  if (status !== 200) throw new Error(`GET ${path}: HTTP ${status}: ${JSON.stringify(body)}`);
  return body;
}

const text = async (page, selector) => ((await page.locator(selector).first().textContent()) ?? "").trim();
const texts = async (page, selector) => (await page.locator(selector).allTextContents()).map((t) => t.trim());

// Every figure on the dashboard of `id` (of `chosen` period, else the default one) against the
// API's answers for `token`.
async function compareFigures(page, token, id, chosen) {
  // Without a chosen period the page opens on the last closed period (the open one's live
  // volumes beside it), or on the latest standing while nothing has closed.
  const lastClosed = (await ok(token, `/api/distributors/${id}/periods`)).periods.filter((p) => p.final).pop();
  chosen = chosen ?? lastClosed?.period;
  const summary = await ok(token, `/api/distributors/${id}` + (chosen ? `?period=${chosen}` : ""));
  const st = summary.standing;
  const period = chosen ?? (st ? st.period : summary.current.period);
  await page.waitForFunction(([id, period]) => {
    const d = document.querySelector("[data-testid=dashboard]");
    return d && !d.hidden && d.dataset.id === id && d.dataset.period === period;
  }, [id, period]);
  const [periods, lines, payouts, customers] = await Promise.all([
    ok(token, `/api/distributors/${id}/periods`),
    ok(token, `/api/distributors/${id}/lines?period=${period}`),
    ok(token, `/api/distributors/${id}/payouts`),
    ok(token, `/api/distributors/${id}/customers`),
  ]);
  await page.waitForSelector("#lines [data-testid=lines-total], #lines [data-testid=section-error]");
  await page.waitForSelector("#payouts [data-testid=balance], #payouts [data-testid=section-error]");
  await page.waitForSelector("#customers :is([data-testid=customer], [data-testid=no-customers], [data-testid=section-error])");
  check(await page.locator("[data-testid=section-error]").count() === 0,
    `${id}: a section shows an error: ${await texts(page, "[data-testid=section-error]")}`);

  same(await text(page, "[data-testid=distributor-id]"), id, `${id}: distributor shown`);
  same(await text(page, "[data-testid=pv]"), summary.current.pv, `${id}: PV of ${summary.current.period}`);
  same(await text(page, "[data-testid=bv]"), summary.current.bv, `${id}: BV of ${summary.current.period}`);
  check((await text(page, "[data-testid=current-period]")).startsWith(summary.current.period),
    `${id}: the live period shown is not ${summary.current.period}`);
  same(await page.locator("[data-testid=hold]").count(), summary.hold ? 1 : 0, `${id}: hold banner`);
  if (st) {
    same(await text(page, "[data-testid=gv]"), st.gv, `${id}: GV`);
    same(await text(page, "[data-testid=rank]"), st.rank ?? "No rank", `${id}: rank`);
    same(await text(page, "[data-testid=active]"), st.active ? "active" : "inactive", `${id}: active`);
    check((await text(page, "[data-testid=standing-period]")).startsWith(st.period),
      `${id}: the standing's period shown is not ${st.period}`);
    const reqs = st.next_rank ? st.next_rank.requirements : [];
    same(await texts(page, "[data-testid=requirement-reached]"), reqs.map((r) => `${r.reached} / ${r.needed}`),
      `${id}: next-rank requirements (reached / needed)`);
    same(await texts(page, "[data-testid=requirement-missing]"),
      reqs.map((r) => (/^0*(\.0*)?$/.test(r.missing) ? "✓ reached" : `${r.missing} to go`)), `${id}: next-rank missing`);
    for (const k of ["retail", "unilevel", "binary", "matrix", "clawback", "held", "payable"]) {
      same(await text(page, `[data-testid=earn-${k}]`), st.earnings[k], `${id}: ${k} earnings`);
    }
    same(await text(page, "[data-testid=standing-payout]"), st.payout, `${id}: payout of ${st.period}`);
    same(await text(page, "[data-testid=balance-out]"), st.balance_out, `${id}: balance carried out`);
    if (st.binary) {
      same(await text(page, "[data-testid=binary-left]"), st.binary.left, `${id}: binary left leg`);
      same(await text(page, "[data-testid=binary-right]"), st.binary.right, `${id}: binary right leg`);
      same(await text(page, "[data-testid=carry-left]"), st.binary.carry_left, `${id}: carry left`);
      same(await text(page, "[data-testid=carry-right]"), st.binary.carry_right, `${id}: carry right`);
    }
    if (st.matrix) same(await text(page, "[data-testid=matrix-level]"), String(st.matrix.level), `${id}: matrix level`);
  }
  // Commission lines of the standing's period, in the API's order, with their explanations.
  same(await page.locator("[data-testid=period-select]").inputValue(), period, `${id}: selected period`);
  // The first page of 20, in the statement's order; then sorted by amount, largest first.
  const first = lines.lines.slice(0, 20);
  same(await page.locator("[data-testid=line]").count(), first.length, `${id}: lines on the first page of ${period}`);
  same(await texts(page, "[data-testid=line-amount]"), first.map((l) => l.amount), `${id}: line amounts`);
  same(await texts(page, "[data-testid=line-explanation]"), first.map((l) => l.explanation), `${id}: line explanations`);
  if (lines.lines.length > 20) {
    same(await text(page, "[data-testid=lines-page]"), `page 1 of ${Math.ceil(lines.lines.length / 20)}`, `${id}: lines pager`);
  }
  if (lines.lines.length > 1) {
    await page.locator("[data-testid=lines-sort]").selectOption("amount");
    const byAmount = lines.lines.map((l, i) => [l, i]).sort((a, b) => parseFloat(b[0].amount) - parseFloat(a[0].amount) || a[1] - b[1]).slice(0, 20).map(([l]) => l.amount);
    await page.waitForFunction((n) => document.querySelector("[data-testid=lines-sort]")?.value === "amount", null);
    same(await texts(page, "[data-testid=line-amount]"), byAmount, `${id}: lines sorted by amount`);
    await page.locator("[data-testid=lines-sort]").selectOption("statement");
    await page.waitForFunction(() => document.querySelector("[data-testid=lines-sort]")?.value === "statement");
  }
  same(await text(page, "[data-testid=lines-total]"), lines.total, `${id}: lines total`);
  // Payouts and balance.
  same(await text(page, "[data-testid=balance]"), payouts.balance, `${id}: balance`);
  same(await texts(page, "[data-testid=payout-amount]"), payouts.payouts.map((p) => p.amount), `${id}: payout amounts`);
  // Retail customers.
  same(await texts(page, "[data-testid=customer]"), customers.customers.map((c) => c.id), `${id}: retail customers`);
  // The chart: a PV and an earnings bar per period.
  const bars = await page.locator("[data-testid=chart-bar]").evaluateAll((gs) => gs.map((g) => [g.dataset.period, g.dataset.kind, g.dataset.value]));
  same(bars, periods.periods.slice(-12).flatMap((p) => [[p.period, "pv", p.pv], [p.period, "payable", p.payable]]), `${id}: chart bars`);
  // Every period the API knows is selectable.
  const options = await page.locator("[data-testid=period-select] option").evaluateAll((os) => os.map((o) => o.value));
  for (const p of periods.periods) check(options.includes(p.period), `${id}: period ${p.period} is not in the selector`);
  return { summary, lines, payouts, periods, period };
}

const nodeIds = (page, parent, level) =>
  page.locator(`[data-testid=tree-node][data-id="${parent}"] > ul > [data-testid=tree-node][data-level="${level}"]`)
    .evaluateAll((ns) => ns.map((n) => n.dataset.id));

// Expands `parent` (at `level`) and compares its children with `expected` ids.
async function expand(page, parent, level, expected, what) {
  const toggle = page.locator(`[data-testid=tree-node][data-id="${parent}"] > .node [data-testid=tree-toggle]`);
  await toggle.click();
  if (expected.length) {
    await page.locator(`[data-testid=tree-node][data-id="${parent}"] > ul > [data-testid=tree-node]`).first().waitFor();
  }
  same(await toggle.getAttribute("aria-expanded"), "true", `${what}: ${parent} expanded`);
  same(await nodeIds(page, parent, level + 1), expected, `${what}: children of ${parent}`);
}

async function noHorizontalScroll(page, what) {
  const [sw, cw] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
  check(sw <= cw, `${what}: the page scrolls sideways (${sw}px wide in a ${cw}px viewport)`);
}

async function signIn(page, token) {
  await page.goto(BASE + "/");
  await page.locator("[data-testid=token-input]").fill(token);
  await page.locator("[data-testid=sign-in]").click();
  await page.locator("[data-testid=who-name]").waitFor();
}

function watch(page, errors) {
  page.on("pageerror", (e) => errors.push(`uncaught in the page: ${e.message}`));
  page.on("request", (r) => {
    const u = r.url();
    if (!u.startsWith(BASE + "/") && !u.startsWith("data:") && !u.startsWith("about:")) {
      errors.push(`the page loaded something from outside the server: ${u}`);
    }
  });
}

// The admin console's panels, each against its admin route, with a screenshot per panel at
// this size (console-<panel>-<size>.png).
async function consolePanels(page, size) {
  const shot = (name) => page.locator("[data-testid=console]").screenshot({ path: join(SHOTS, `console-${name}-${size}.png`) });
  const tab = async (id) => {
    await page.locator(`[data-testid=tab-${id}]`).click();
    await page.locator(`[data-testid=console-panel][data-panel=${id}]`).waitFor();
  };
  step = `admin console overview (${size})`;
  await tab("overview");
  const o = await ok(ADMIN, "/api/admin/overview");
  const cur = page.locator("[data-testid=overview-current]");
  await cur.waitFor();
  same([await cur.getAttribute("data-period"), await cur.getAttribute("data-status")], [o.period, o.status], "overview period");
  same(await text(page, "[data-testid=overview-current] [data-testid=company-sales]"), o.company.sales, "overview sales");
  same(await text(page, "[data-testid=overview-current] [data-testid=company-commissions]"), o.company.commissions, "overview commissions");
  same(await page.locator("[data-testid=overview-current] [data-testid=top-earner] a").allTextContents(),
    o.top_earners.map((t) => t.id), "overview top earners");
  if (o.previous) {
    const prev = page.locator("[data-testid=overview-previous]");
    same(await prev.getAttribute("data-period"), o.previous.period, "previous period beside");
    same(await text(page, "[data-testid=overview-previous] [data-testid=company-payouts]"), o.previous.company.payouts, "previous payouts");
  }
  await noHorizontalScroll(page, `console overview (${size})`);
  await shot("overview");

  step = `admin console distributors (${size})`;
  await tab("distributors");
  await page.locator("[data-testid=dir-total]").waitFor();
  const list = await ok(ADMIN, "/api/admin/distributors?limit=25");
  same(await page.locator("[data-testid=dir-row]").evaluateAll((rs) => rs.map((r) => r.dataset.id)),
    list.distributors.map((d) => d.id), "distributor list, first page");
  await page.locator("[data-testid=dir-q]").fill(ME);
  await page.locator("[data-testid=dir-go]").click();
  const found = await ok(ADMIN, `/api/admin/distributors?q=${encodeURIComponent(ME)}&limit=25`);
  await page.waitForFunction((n) => document.querySelectorAll("[data-testid=dir-row]").length === n, found.distributors.length);
  check(found.distributors.some((d) => d.id === ME), `searching ${ME} does not find it`);
  await noHorizontalScroll(page, `console distributors (${size})`);
  await shot("distributors");

  step = `admin console compliance (${size})`;
  await tab("compliance");
  const comp = await ok(ADMIN, "/api/admin/compliance");
  await page.locator("[data-testid=compliance-row]").first().waitFor();
  same(await page.locator("[data-testid=compliance-row]").count(), comp.distributors.length, "compliance rows");
  await shot("compliance");

  step = `admin console payouts (${size})`;
  await tab("payouts");
  await page.locator("[data-testid=payout-row], [data-testid=section-error]").first().waitFor();
  const csv = await (await fetch(`${BASE}/api/admin/payouts.csv`, { headers: { Authorization: `Bearer ${ADMIN}` } })).text();
  same(await page.locator("[data-testid=payout-row]").count(), csv.trim().split("\n").length - 1, "payout rows");
  await shot("payouts");

  step = `admin console plans (${size})`;
  await tab("plans");
  const plans = await ok(ADMIN, "/api/admin/plans");
  await page.locator("[data-testid=plan-version]").first().waitFor();
  same(await page.locator("[data-testid=plan-version]").evaluateAll((rs) => rs.map((r) => r.dataset.label)),
    plans.versions.map((v) => v.label).reverse(), "plan versions, newest first");
  same(await page.locator("[data-testid=plan-diff]").count(), Math.max(0, plans.versions.length - 1), "a diff per later version");
  await shot("plans");
  // The plan in force replayed on the last closed period: it pays what was paid, row by row.
  const closedPeriod = o.status === "closed" ? o.period : o.previous?.period;
  if (closedPeriod) {
    step = `admin console what-if (${size})`;
    await page.locator("[data-testid=whatif-from]").fill(closedPeriod);
    await page.locator("[data-testid=whatif-to]").fill(closedPeriod);
    await page.locator("[data-testid=whatif-go]").click();
    await page.locator("[data-testid=whatif-totals], [data-testid=whatif-result] [data-testid=section-error]").first().waitFor();
    const rows = await page.locator("[data-testid=whatif-row]").evaluateAll((rs) => rs.map((r) => [...r.children].map((c) => c.textContent.trim())));
    check(rows.length > 5, `what-if: ${rows.length} rows`);
    for (const [k, paid, cand] of rows) same(cand, paid, `what-if of the plan in force, ${k}`);
    await page.locator("[data-testid=whatif]").screenshot({ path: join(SHOTS, `console-whatif-${size}.png`) });
  }
  await tab("overview");
}

async function main() {
  mkdirSync(SHOTS, { recursive: true });
  rmSync(join(SHOTS, "failure.png"), { force: true });
  // Playwright starts Chromium on a fresh --user-data-dir of its own (a new temporary folder,
  // removed at close); the flags keep it from calling home on the closed network.
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
  });
  const errors = [];
  let page = null;
  try {
    // ---- a distributor, on a phone ----
    step = `${ME} on a phone`;
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    phone.setDefaultTimeout(15000);
    page = await phone.newPage();
    watch(page, errors);
    await page.goto(BASE + "/");
    await page.locator("[data-testid=signin]").waitFor();
    check(await page.locator("[data-testid=dashboard]").isHidden(), "the dashboard shows before sign-in");

    // A bad token: the API's refusal is shown.
    const bad = await api("not-a-token", "/api/session");
    same(bad.status, 401, "GET /api/session with a bad token");
    await page.locator("[data-testid=token-input]").fill("not-a-token");
    await page.locator("[data-testid=sign-in]").click();
    await page.locator("[data-testid=signin-error]").waitFor();
    same(await text(page, "[data-testid=signin-error]"), bad.body.error, "sign-in error for a bad token");

    await page.locator("[data-testid=token-input]").fill(TOKEN);
    await page.locator("[data-testid=sign-in]").click();
    await page.locator("[data-testid=dashboard]").waitFor();
    const session = await ok(TOKEN, "/api/session");
    check(session.distributor === ME, `MLM_TOKEN is ${session.distributor}'s token, not ${ME}'s`);
    same(await text(page, "[data-testid=who-name]"), ME, "who is signed in");
    check(await page.locator("[data-testid=view-id]").isHidden(), "a distributor is offered to view other ids");
    check(await page.locator("[data-testid=ops]").isHidden(), "a distributor is shown the admin operations");
    check(await page.locator("[data-testid=admin-hold]").count() === 0, "a distributor is offered to hold payouts");
    same(await page.evaluate(() => sessionStorage.getItem("mlm.token")), TOKEN, "token kept in sessionStorage");
    let mine = await compareFigures(page, TOKEN, ME);
    // The latest closed period too (the default is the latest published, maybe a fresh open one).
    const closed = mine.periods.periods.filter((p) => p.final).pop();
    if (closed && closed.period !== mine.period) {
      await page.locator("[data-testid=period-select]").selectOption(closed.period);
      mine = await compareFigures(page, TOKEN, ME, closed.period);
    }

    // The genealogy: the root shows its first level; expanding a member shows its own.
    const period = mine.period;
    const down = await ok(TOKEN, `/api/distributors/${ME}/downline?depth=3&period=${period}&limit=200`);
    const kids = (of) => down.members.filter((m) => m.sponsor === of).map((m) => m.id);
    await page.locator(`[data-testid=tree-node][data-id="${ME}"] > ul > [data-testid=tree-node]`).first().waitFor();
    same(await nodeIds(page, ME, 1), kids(ME), `tree: ${ME}'s first level`);
    const l1 = down.members.find((m) => m.level === 1 && m.sponsored > 0);
    check(l1, `${ME} has no first-level member with a downline of its own in the demo data`);
    await expand(page, l1.id, 1, kids(l1.id), `tree (${ME}'s token)`);
    const l2 = down.members.find((m) => m.level === 2 && m.sponsor === l1.id && m.sponsored > 0)
      ?? down.members.find((m) => m.level === 2 && m.sponsored > 0);
    if (l2) {
      if (l2.sponsor !== l1.id) await expand(page, l2.sponsor, 1, kids(l2.sponsor), `tree (${ME}'s token)`);
      await expand(page, l2.id, 2, kids(l2.id), `tree (${ME}'s token)`);
    }
    // Per-member figures in the tree are the downline summary's.
    const shownRank = await text(page, `[data-testid=tree-node][data-id="${l1.id}"] > .node [data-testid=tree-rank]`);
    same(shownRank, l1.rank ?? "no rank", `tree: rank of ${l1.id}`);
    await noHorizontalScroll(page, `${ME} on a phone`);
    await page.screenshot({ path: join(SHOTS, "dashboard-phone.png"), fullPage: true });

    // ---- the same token asking for another distributor ----
    step = `${ME}'s token asking for ${OTHER}`;
    const denied = await api(TOKEN, `/api/distributors/${OTHER}`);
    same(denied.status, 403, `GET /api/distributors/${OTHER} with ${ME}'s token`);
    const theirs = await ok(ADMIN, `/api/distributors/${OTHER}`);
    const answers = [];
    page.on("response", (r) => { if (r.url().includes(`/api/distributors/${OTHER}`)) answers.push(r.status()); });
    await page.evaluate((id) => { location.hash = "view=" + id; }, OTHER);
    await page.locator("[data-testid=error]").waitFor();
    same(await text(page, "[data-testid=error]"), denied.body.error, `error shown for ${OTHER}`);
    check(await page.locator("[data-testid=dashboard]").isHidden(), `a dashboard is shown for ${OTHER}`);
    same(await page.locator("[data-testid=pv], [data-testid=line], [data-testid=tree-node]").count(), 0,
      `figures left on the page after the refusal`);
    const body = await page.locator("body").innerText();
    for (const secret of [theirs.email, `sponsor ${theirs.sponsor}`].filter(Boolean)) {
      check(!body.includes(secret), `the page shows ${OTHER}'s record (${secret}) to ${ME}`);
    }
    check(answers.length > 0 && answers.every((s) => s === 403), `${OTHER}'s routes answered ${answers} to ${ME}'s page`);
    await page.screenshot({ path: join(SHOTS, "dashboard-denied-phone.png") });
    // Back to its own view, then sign out.
    await page.evaluate(() => { location.hash = ""; });
    await page.locator("[data-testid=dashboard]").waitFor();
    same(await text(page, "[data-testid=distributor-id]"), ME, "back to its own dashboard");
    await page.locator("[data-testid=sign-out]").click();
    await page.locator("[data-testid=signin]").waitFor();
    same(await page.evaluate(() => sessionStorage.getItem("mlm.token")), null, "token forgotten at sign-out");
    check(await page.locator("[data-testid=dashboard]").isHidden(), "the dashboard stays after sign-out");
    await page.close();

    // ---- an admin, on a desktop ----
    step = `admin viewing ${OTHER} on a desktop`;
    const desktop = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    desktop.setDefaultTimeout(15000);
    page = await desktop.newPage();
    watch(page, errors);
    await signIn(page, ADMIN);
    check(await page.locator("[data-testid=who-admin]").isVisible(), "the admin badge is not shown");
    await page.locator("[data-testid=view-id]").fill(OTHER);
    await page.locator("[data-testid=view-go]").click();
    await page.locator("[data-testid=dashboard]").waitFor();
    let other = await compareFigures(page, ADMIN, OTHER);
    // The period selector: the latest period in which it earned (the default is the latest
    // published, which may be a fresh open period with nothing in it yet).
    const earning = other.periods.periods.filter((p) => !/^0*(\.0*)?$/.test(p.earned)).pop();
    check(earning, `${OTHER} earned nothing in any period of the demo data: no lines to compare`);
    if (earning.period !== other.period) {
      await page.locator("[data-testid=period-select]").selectOption(earning.period);
      other = await compareFigures(page, ADMIN, OTHER, earning.period);
    }
    check(other.lines.lines.length > 0, `${OTHER} has no commission lines in ${earning.period}: nothing to compare`);
    // An admin expands any member: each expansion reads that member's own downline.
    const operiod = other.period;
    await page.locator(`[data-testid=tree-node][data-id="${OTHER}"] > ul > [data-testid=tree-node]`).first().waitFor();
    const first = await ok(ADMIN, `/api/distributors/${OTHER}/downline?depth=1&period=${operiod}`);
    same(await nodeIds(page, OTHER, 1), first.members.map((m) => m.id), `tree: ${OTHER}'s first level`);
    const open = first.members.find((m) => m.sponsored > 0);
    if (open) {
      const below = await ok(ADMIN, `/api/distributors/${open.id}/downline?depth=1&period=${operiod}`);
      await expand(page, open.id, 1, below.members.map((m) => m.id), "tree (admin token)");
    }
    await noHorizontalScroll(page, `admin on a desktop`);
    await page.screenshot({ path: join(SHOTS, "dashboard-desktop.png"), fullPage: true });
    // A hold placed from the page shows as a banner and is in the API; the release removes both.
    // A blank reason is refused with the API's words.
    await page.locator("[data-testid=hold-place]").click();
    await page.locator("[data-testid=hold-error]").waitFor();
    same(await text(page, "[data-testid=hold-error]"), "reason: a hold needs a reason", "blank hold reason refused");
    await page.locator("[data-testid=hold-reason]").fill("browser test: identity check");
    await page.locator("[data-testid=hold-place]").click();
    await page.locator("[data-testid=hold]").waitFor();
    check((await text(page, "[data-testid=hold]")).includes("browser test: identity check"), "the hold banner does not give the reason");
    const held = await ok(ADMIN, `/api/distributors/${OTHER}`);
    same(held.hold && held.hold.reason, "browser test: identity check", "the hold the page placed, in the API");
    await compareFigures(page, ADMIN, OTHER, other.period);
    await page.screenshot({ path: join(SHOTS, "dashboard-hold-desktop.png") });
    await page.locator("[data-testid=hold-release]").click();
    await page.locator("[data-testid=hold-place]").waitFor();
    same((await ok(ADMIN, `/api/distributors/${OTHER}`)).hold ?? null, null, "the hold after the page released it");
    await compareFigures(page, ADMIN, OTHER, other.period);

    // Operations: parked events and duplicate accounts as the API lists them, the payouts CSV
    // the API exports, and closing a closed period closes nothing.
    step = "admin operations";
    await page.locator("[data-testid=ops] h3").first().waitFor();
    const parked = await ok(ADMIN, "/api/admin/parked");
    same(await page.locator("[data-testid=parked]").evaluateAll((ls) => ls.map((l) => l.dataset.key)),
      parked.parked.map((p) => p.key), "parked events");
    const dups = await ok(ADMIN, "/api/admin/duplicates");
    same(await page.locator("[data-testid=duplicate]").count(), dups.duplicates.length, "duplicate accounts");
    const [download] = await Promise.all([page.waitForEvent("download"), page.locator("[data-testid=payouts-csv]").click()]);
    const csv = await (await fetch(`${BASE}/api/admin/payouts.csv`, { headers: { Authorization: `Bearer ${ADMIN}` } })).text();
    check(csv.split("\n").length > 2, "the payouts CSV of the demo has no rows");
    same(readFileSync(await download.path(), "utf8"), csv, "payouts CSV downloaded from the page");
    const ended = other.periods.periods.filter((p) => p.final).pop();
    check(ended, "the demo data has no closed period");
    // The API's answer first (a closed period closes nothing again; under the demo's simulated
    // clock it may not have ended yet by the wall clock, which is refused): the page says the same.
    const again = await fetch(`${BASE}/api/admin/periods/${ended.period}/close`, { method: "POST", headers: { Authorization: `Bearer ${ADMIN}` } });
    const answer = await again.json();
    check(again.status === 200 ? answer.closed.length === 0 && answer.payouts === 0 : again.status === 409,
      `closing ${ended.period} again: HTTP ${again.status} ${JSON.stringify(answer)}`);
    const expected = again.status === 200 ? "Closed: nothing (already closed); 0 payouts queued." : answer.error;
    await page.locator("[data-testid=close-period]").fill(ended.period);
    await page.locator("[data-testid=close-go]").click();
    await page.waitForFunction(() => {
      const t = document.querySelector("[data-testid=ops-result]").textContent;
      return t && !t.endsWith("…");
    });
    same(await text(page, "[data-testid=ops-result]"), expected, `closing ${ended.period} again from the page`);
    await page.locator("[data-testid=ops]").screenshot({ path: join(SHOTS, "dashboard-admin-ops.png") });

    await consolePanels(page, "desktop");
    step = "admin console on a phone";
    const adminPhone = await (await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true })).newPage();
    await signIn(adminPhone, ADMIN);
    await consolePanels(adminPhone, "phone");
    await adminPhone.context().close();

    // A distributor that does not exist: the API's 404 text.
    const missing = await api(ADMIN, "/api/distributors/NOPE");
    await page.locator("[data-testid=view-id]").fill("NOPE");
    await page.locator("[data-testid=view-go]").click();
    await page.locator("[data-testid=error]").waitFor();
    same(await text(page, "[data-testid=error]"), missing.body.error, "error shown for an unknown distributor");

    check(errors.length === 0, errors.join("\n"));
  } catch (e) {
    if (page) {
      await page.screenshot({ path: join(SHOTS, "failure.png"), fullPage: true }).catch(() => {});
    }
    throw e;
  } finally {
    await browser.close();
  }
}

main().then(
  () => console.log(`browser: ${checks} checks passed (screenshots in ${SHOTS}/)`),
  (e) => {
    console.error(`browser: FAILED (${step}) after ${checks} checks: ${e instanceof Mismatch ? e.message : e.stack || e}`);
    console.error(`browser: see ${join(SHOTS, "failure.png")}`);
    process.exit(1);
  },
);
