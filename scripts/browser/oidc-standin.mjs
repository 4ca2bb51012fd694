// A local OpenID Connect stand-in answering like Cognito's managed login and user pool, for the
// browser test of the page's sign-in (Node, no dependencies):
//   GET  /oauth2/authorize   authorization code flow; PKCE (S256) required, as for a public client
//   POST /login              the sign-in form; a user with a temporary password gets the
//                            new-password form (Cognito's FORCE_CHANGE_PASSWORD step) first
//   POST /oauth2/token       grant_type=authorization_code (code_verifier checked) and
//                            grant_type=refresh_token (a new ID token, no new refresh token)
//   GET  /.well-known/jwks.json, /.well-known/openid-configuration
//   GET  /logout             ends the session and returns to logout_uri
// ID tokens are RS256 with Cognito's claims: sub, aud (the app client), iss, token_use "id",
// auth_time, iat, exp, cognito:username, email, cognito:groups, custom:distributor_id.
// Environment: OIDC_USERS (JSON: [{username, password, distributor_id?, groups?, temporary?}]),
// OIDC_CLIENT_ID (default mlm-dashboard), OIDC_ID_TTL seconds (default 3600), OIDC_PORT (0: any).
// Prints `oidc stand-in listening on http://127.0.0.1:PORT` once ready.
import http from "node:http";
import crypto from "node:crypto";

const CLIENT = process.env.OIDC_CLIENT_ID || "mlm-dashboard";
const TTL = Number(process.env.OIDC_ID_TTL || 3600);
const users = JSON.parse(process.env.OIDC_USERS || "[]").map((u) => ({ ...u, sub: crypto.randomUUID() }));
const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
const jwk = { ...publicKey.export({ format: "jwk" }), kid: "standin-1", alg: "RS256", use: "sig" };
const codes = new Map();     // code -> {user, client_id, redirect_uri, challenge, until}
const refreshes = new Map(); // refresh token -> user
const pending = new Map();   // new-password session -> authorize parameters and user
let base = "";

const b64url = (b) => Buffer.from(b).toString("base64url");
const random = () => crypto.randomBytes(24).toString("base64url");
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function idToken(u) {
  const now = Math.floor(Date.now() / 1000);
  const claims = { sub: u.sub, aud: CLIENT, iss: base, token_use: "id", auth_time: now, iat: now, exp: now + TTL,
    "cognito:username": u.username, email: u.username, email_verified: true };
  if (u.groups && u.groups.length) claims["cognito:groups"] = u.groups;
  if (u.distributor_id) claims["custom:distributor_id"] = u.distributor_id;
  const signing = `${b64url(JSON.stringify({ alg: "RS256", kid: jwk.kid, typ: "JWT" }))}.${b64url(JSON.stringify(claims))}`;
  return `${signing}.${b64url(crypto.sign("sha256", Buffer.from(signing), privateKey))}`;
}

function page(res, title, body, status = 200) {
  res.writeHead(status, { "Content-Type": "text/html; charset=utf-8" });
  res.end(`<!doctype html><html><head><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title>
<style>body{font:16px system-ui;margin:0;padding:24px;background:#f4f5f7}form{max-width:360px;margin:auto;background:#fff;padding:20px;border-radius:12px;display:grid;gap:10px}
input,button{font:inherit;min-height:44px;padding:0 10px}p.err{color:#c23b3b}</style></head><body>${body}</body></html>`);
}
const hidden = (p) => Object.entries(p).map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`).join("");
function loginForm(res, params, error) {
  page(res, "Sign in", `<form method="post" action="/login" data-testid="standin-login"><h2>Sign in</h2>${error ? `<p class="err" data-testid="standin-error">${esc(error)}</p>` : ""}
${hidden(params)}<input name="username" placeholder="Email" autocomplete="username" data-testid="standin-username">
<input name="password" type="password" placeholder="Password" data-testid="standin-password"><button type="submit" data-testid="standin-submit">Sign in</button></form>`, error ? 400 : 200);
}
function newPasswordForm(res, session, error) {
  page(res, "Change password", `<form method="post" action="/login/new-password" data-testid="standin-new-password"><h2>Change password</h2>
<p>Your temporary password must be replaced.</p>${error ? `<p class="err" data-testid="standin-error">${esc(error)}</p>` : ""}${hidden({ session })}
<input name="password" type="password" placeholder="New password" data-testid="standin-new"><input name="confirm" type="password" placeholder="Confirm" data-testid="standin-confirm">
<button type="submit" data-testid="standin-change">Change password</button></form>`, error ? 400 : 200);
}
function redirectWithCode(res, params, user) {
  const code = random();
  codes.set(code, { user, client_id: params.client_id, redirect_uri: params.redirect_uri, challenge: params.code_challenge, until: Date.now() + 300000 });
  const to = new URL(params.redirect_uri);
  to.searchParams.set("code", code);
  if (params.state) to.searchParams.set("state", params.state);
  res.writeHead(302, { Location: to.toString() }).end();
}
function json(res, status, body) {
  res.writeHead(status, { "Content-Type": "application/json", "Access-Control-Allow-Origin": "*", "Cache-Control": "no-store" });
  res.end(JSON.stringify(body));
}
async function form(req) {
  let text = "";
  for await (const chunk of req) { text += chunk; if (text.length > 65536) throw new Error("body too large"); }
  return Object.fromEntries(new URLSearchParams(text));
}
const AUTHORIZE = ["response_type", "client_id", "redirect_uri", "state", "scope", "code_challenge", "code_challenge_method"];

const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, base);
    const route = `${req.method} ${url.pathname}`;
    if (route === "GET /.well-known/jwks.json") return json(res, 200, { keys: [jwk] });
    if (route === "GET /.well-known/openid-configuration") {
      return json(res, 200, { issuer: base, authorization_endpoint: `${base}/oauth2/authorize`, token_endpoint: `${base}/oauth2/token`,
        jwks_uri: `${base}/.well-known/jwks.json`, end_session_endpoint: `${base}/logout`, response_types_supported: ["code"],
        id_token_signing_alg_values_supported: ["RS256"], code_challenge_methods_supported: ["S256"] });
    }
    if (route === "GET /oauth2/authorize") {
      const p = Object.fromEntries(AUTHORIZE.map((k) => [k, url.searchParams.get(k) || ""]));
      if (p.client_id !== CLIENT) return page(res, "Error", "<p>invalid_client</p>", 400);
      if (p.response_type !== "code" || p.code_challenge_method !== "S256" || !p.code_challenge || !p.redirect_uri) {
        const to = new URL(p.redirect_uri || base);
        to.searchParams.set("error", "invalid_request");
        to.searchParams.set("error_description", "authorization code with PKCE (S256) is required");
        return res.writeHead(302, { Location: to.toString() }).end();
      }
      return loginForm(res, p);
    }
    if (route === "POST /login") {
      const f = await form(req);
      const params = Object.fromEntries(AUTHORIZE.map((k) => [k, f[k] || ""]));
      const user = users.find((u) => u.username === f.username && u.password === f.password);
      if (!user) return loginForm(res, params, "Incorrect username or password.");
      if (user.temporary) {
        const session = random();
        pending.set(session, { params, user });
        return newPasswordForm(res, session);
      }
      return redirectWithCode(res, params, user);
    }
    if (route === "POST /login/new-password") {
      const f = await form(req);
      const p = pending.get(f.session);
      if (!p) return page(res, "Error", "<p>The session expired: sign in again.</p>", 400);
      if (f.password !== f.confirm) return newPasswordForm(res, f.session, "The passwords do not match.");
      if (!f.password || f.password.length < 12) return newPasswordForm(res, f.session, "Password must be at least 12 characters.");
      pending.delete(f.session);
      p.user.password = f.password;
      p.user.temporary = false;
      return redirectWithCode(res, p.params, p.user);
    }
    if (route === "OPTIONS /oauth2/token") {
      res.writeHead(204, { "Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "POST", "Access-Control-Allow-Headers": "Content-Type" });
      return res.end();
    }
    if (route === "POST /oauth2/token") {
      const f = await form(req);
      if (f.client_id !== CLIENT) return json(res, 400, { error: "invalid_client" });
      if (f.grant_type === "authorization_code") {
        const c = codes.get(f.code);
        codes.delete(f.code); // single use
        const verified = c && f.code_verifier && b64url(crypto.createHash("sha256").update(f.code_verifier).digest()) === c.challenge;
        if (!c || c.until < Date.now() || c.redirect_uri !== f.redirect_uri || c.client_id !== f.client_id || !verified) {
          return json(res, 400, { error: "invalid_grant" });
        }
        const refresh = random();
        refreshes.set(refresh, c.user);
        return json(res, 200, { id_token: idToken(c.user), access_token: random(), refresh_token: refresh, expires_in: TTL, token_type: "Bearer" });
      }
      if (f.grant_type === "refresh_token") {
        const user = refreshes.get(f.refresh_token);
        if (!user) return json(res, 400, { error: "invalid_grant" });
        return json(res, 200, { id_token: idToken(user), access_token: random(), expires_in: TTL, token_type: "Bearer" });
      }
      return json(res, 400, { error: "unsupported_grant_type" });
    }
    if (route === "GET /logout") {
      if (url.searchParams.get("client_id") !== CLIENT) return page(res, "Error", "<p>invalid_client</p>", 400);
      const to = url.searchParams.get("logout_uri");
      if (!to) return page(res, "Signed out", "<p>Signed out.</p>");
      return res.writeHead(302, { Location: to }).end();
    }
    page(res, "Not found", "<p>no such route</p>", 404);
  } catch (e) {
    page(res, "Error", `<p>${esc(e.message)}</p>`, 500);
  }
});
server.listen(Number(process.env.OIDC_PORT || 0), "127.0.0.1", () => {
  base = `http://127.0.0.1:${server.address().port}`;
  console.log(`oidc stand-in listening on ${base}`);
});
