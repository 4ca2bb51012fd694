// Sign-in through the managed login, in headless Chromium: the page at MLM_URL (served by
// `mlm serve --oidc-issuer` pointing at scripts/browser/oidc-standin.mjs) signs a distributor
// in with the authorization code flow and PKCE, through the new-password step of a temporary
// password; the API accepts the stand-in's RS256 ID token; the page refreshes it before it
// expires (the stand-in's tokens live MLM_ID_TTL seconds) and keeps working; sign-out ends the
// managed login's session and returns to the page; an admin signs in and sees the console.
// Run by scripts/browser-test.sh. Screenshots: MLM_SHOTS/signin-*.png.
import { chromium } from "playwright-core";
import { join } from "node:path";

const BASE = process.env.MLM_URL.replace(/\/$/, "") + "/";
const SHOTS = process.env.MLM_SHOTS || "target/browser";
const TTL = Number(process.env.MLM_ID_TTL || 20);
let checks = 0, step = "starting";
function check(ok, message) { if (!ok) throw new Error(message); checks++; }

async function signIn(page, user, password, newPassword, size) {
  await page.goto(BASE);
  await page.locator("[data-testid=managed-sign-in]").click();
  await page.locator("[data-testid=standin-login]").waitFor();
  check(new URL(page.url()).searchParams.get("code_challenge_method") === "S256", "the page did not ask for PKCE (S256)");
  if (size) await page.screenshot({ path: join(SHOTS, `signin-managed-login-${size}.png`) });
  await page.locator("[data-testid=standin-username]").fill(user);
  await page.locator("[data-testid=standin-password]").fill(password);
  await page.locator("[data-testid=standin-submit]").click();
  if (newPassword) {
    await page.locator("[data-testid=standin-new-password]").waitFor();
    if (size) await page.screenshot({ path: join(SHOTS, `signin-new-password-${size}.png`) });
    await page.locator("[data-testid=standin-new]").fill(newPassword);
    await page.locator("[data-testid=standin-confirm]").fill(newPassword);
    await page.locator("[data-testid=standin-change]").click();
  }
  await page.locator("[data-testid=who-name]").waitFor();
  check(!new URL(page.url()).searchParams.has("code"), "the code stays in the address bar after sign-in");
}

async function main() {
  const browser = await chromium.launch({ executablePath: process.env.MLM_CHROMIUM || "/usr/bin/chromium", args: ["--no-sandbox"] });
  let page;
  try {
    step = "a distributor with a temporary password, on a phone";
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    page = await phone.newPage();
    await signIn(page, "d02@acme.example", "Temporary-123", "Chosen-Password-1", "phone");
    check((await page.locator("[data-testid=who-name]").textContent()).trim() === "D02", "signed in as someone other than D02");
    await page.locator("[data-testid=distributor-id]").waitFor();
    check((await page.locator("[data-testid=distributor-id]").textContent()).trim() === "D02", "the dashboard is not D02's");
    const first = await page.evaluate(() => sessionStorage.getItem("mlm.token"));
    check(JSON.parse(Buffer.from(first.split(".")[0], "base64url")).alg === "RS256", "the page does not hold the RS256 ID token");
    await page.screenshot({ path: join(SHOTS, "signin-signed-in-phone.png"), fullPage: false });

    step = "the ID token is refreshed before it expires";
    await page.waitForFunction(() => Number(document.body.dataset.refreshes || 0) >= 1, null, { timeout: TTL * 1000 + 10000 });
    const second = await page.evaluate(() => sessionStorage.getItem("mlm.token"));
    check(second && second !== first, "the refresh did not replace the ID token");
    // After the first token has expired, the page still reads the API with the new one.
    await page.waitForTimeout(Math.max(0, TTL * 1000 + 1500 - 0));
    const status = await page.evaluate(async () => (await fetch("api/session", { headers: { Authorization: "Bearer " + sessionStorage.getItem("mlm.token") } })).status);
    check(status === 200, `after a refresh the API answers ${status}`);
    const stale = await page.evaluate(async (t) => (await fetch("api/session", { headers: { Authorization: "Bearer " + t } })).status, first);
    check(stale === 401, `the first, expired ID token is still accepted (${stale})`);
    await page.reload();
    await page.locator("[data-testid=distributor-id]").waitFor();

    step = "sign-out through the managed login";
    await page.locator("[data-testid=sign-out]").click();
    await page.waitForURL((u) => u.toString().startsWith(BASE));
    await page.locator("[data-testid=managed-sign-in]").waitFor();
    check(await page.evaluate(() => !sessionStorage.getItem("mlm.token") && !sessionStorage.getItem("mlm.refresh")), "tokens kept after sign-out");
    // The new password is the password now.
    await signIn(page, "d02@acme.example", "Chosen-Password-1", null);
    await phone.close();

    step = "an admin on a desktop";
    const desktop = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await desktop.newPage();
    await signIn(page, "admin@acme.example", "Admin-Password-1", null, "desktop");
    await page.locator("[data-testid=who-admin]").waitFor();
    await page.locator("[data-testid=overview-current]").waitFor();
    await page.screenshot({ path: join(SHOTS, "signin-admin-desktop.png") });
  } catch (e) {
    if (page) await page.screenshot({ path: join(SHOTS, "signin-failure.png"), fullPage: true }).catch(() => {});
    throw e;
  } finally {
    await browser.close();
  }
}

main().then(
  () => console.log(`sign-in: ${checks} checks passed`),
  (e) => { console.error(`sign-in: FAILED (${step}) after ${checks} checks: ${e.stack || e}`); process.exit(1); },
);
