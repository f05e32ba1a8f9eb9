// signin.test.mjs - signing in to the dashboard through a real OpenID
// Provider (tests/oidc/provider.mjs, npm oidc-provider) in real headless
// Chromium, and step-up on an approval.
//
// The story: alice (a token) asks for a db write whose rule asks its
// approver for a sign-in within 10 minutes with MFA. carol opens the
// dashboard, clicks "Sign in with <provider>", signs in at the provider
// with her password only and lands back signed in. Her approval is
// refused (step-up-required) and the dashboard offers "Sign in again to
// approve": the provider asks her to sign in again, she gives her MFA
// code too, lands back on the request, and her approval holds.
// Screenshots land in artifacts/.

import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";
import { Server, artifacts, root, check, equal, notOk, step, summary,
	CHROMIUM, CHROMIUM_ARGS, freshProfile } from "./harness.mjs";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const SECRET = "jitgate-test-secret";

// op null: no identity section yet (jitgate's own URL is known once it
// listens; the sign-in section is then written and reloaded).
function policy(op, jitgate, secretFile) {
	const identity = op === null ? "" : `identity:
  signin:
    issuer: ${op}
    client_id: jitgate
    client_secret_file: ${secretFile}
    redirect_url: ${jitgate}/v1/auth/oidc/callback
    scopes: [openid, email, profile, groups]
    email_domains: [example.com]
`;
	return `version: 1
groups:
  dba: {members: []}
  security: {members: []}
resources:
  db: {actions: [write]}
rules:
  - name: db-write
    match: {resource: db, action: write}
    steps: [{group: security, count: 1}]
    step_up: {within: 10m, mfa: true}
${identity}`;
}

// The test provider on a free port; resolves to {proc, url}.
async function startProvider(dir) {
	const ready = path.join(dir, "oidc.ready");
	const log = fs.openSync(path.join(dir, "oidc.log"), "a");
	const proc = spawn(process.execPath, [path.join(root, "tests/oidc/provider.mjs"),
		"--port", "0", "--ready", ready, "--client-secret", SECRET],
		{ stdio: ["ignore", log, log] });
	for (let i = 0; i < 300; i++) {
		if (fs.existsSync(ready))
			return { proc, url: JSON.parse(fs.readFileSync(ready, "utf8")).issuer };
		if (proc.exitCode !== null)
			break;
		await sleep(100);
	}
	throw new Error("the test provider did not start: " + fs.readFileSync(path.join(dir, "oidc.log"), "utf8"));
}

fs.mkdirSync(artifacts, { recursive: true });
const server = new Server(policy(null));
let provider = null;
let ctx = null;
const profile = freshProfile();

async function shot(page, name) {
	await page.waitForTimeout(150);
	await page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });
}

// At the provider's login page: fill it and submit.
async function providerLogin(page, user, mfa) {
	await page.locator("#username").waitFor({ timeout: 15000 });
	await page.locator("#username").fill(user);
	await page.locator("#password").fill(`${user}-pw`);
	if (mfa)
		await page.locator("#mfa").fill(mfa);
	await page.locator("#login").click();
}

async function main() {
	provider = await startProvider(server.tmp);
	const secretFile = path.join(server.tmp, "oidc.secret");
	fs.writeFileSync(secretFile, SECRET + "\n", { mode: 0o600 });
	if (process.getuid && process.getuid() === 0)
		execFileSync("chown", ["nobody", secretFile]);
	await server.start();
	fs.writeFileSync(server.policyFile, policy(provider.url, server.url, secretFile));
	const reload = await server.api("POST", "/v1/policy/reload", server.admin, {});
	if (reload.status !== 200)
		throw new Error(`policy reload: ${reload.status} ${reload.text}`);

	const alice = await server.token("alice", ["dba"]);
	const made = await server.api("POST", "/v1/requests", alice,
		{ resource: "db", action: "write", reason: "INC-7 fix the index" });
	if (made.status !== 201)
		throw new Error(`request: ${made.status} ${made.text}`);
	const id = made.body.id;

	ctx = await chromium.launchPersistentContext(profile, {
		executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true,
		viewport: { width: 1280, height: 900 },
	});
	const page = ctx.pages()[0] || await ctx.newPage();
	const errors = [];
	page.on("pageerror", (e) => errors.push(String(e)));

	await step("carol signs in through the provider", async () => {
		await page.goto(server.url + "/#/inbox");
		const sso = page.locator("[data-action=signin-provider]");
		await sso.waitFor({ timeout: 10000 });
		check("the sign-in page offers the provider", /Sign in with 127\.0\.0\.1:/.test(await sso.textContent()));
		await shot(page, "signin-choice");
		await sso.click();
		await page.locator("#username").waitFor({ timeout: 15000 });
		await shot(page, "signin-provider-login");
		await providerLogin(page, "carol", "");
		await page.locator(".topbar .who-name").waitFor({ timeout: 15000 });
		equal("back in the dashboard as carol@example.com",
			await page.locator(".topbar .who-name").textContent(), "carol@example.com");
		await shot(page, "signin-done");
	});

	await step("approving without MFA is refused, step-up through the provider", async () => {
		await page.evaluate((r) => { location.hash = r; }, `#/request/${id}`);
		await page.locator("[data-action=approve]").waitFor({ timeout: 10000 });
		await page.locator("[data-action=approve]").click();
		const again = page.locator("[data-action=step-up]");
		await again.waitFor({ timeout: 10000 });
		check("the refusal says a second factor is missing",
			/second factor/.test(await page.locator(".step-up").textContent()));
		let r = await server.api("GET", `/v1/requests/${id}`, server.admin);
		equal("nothing was recorded by the refused approval", r.body && r.body.state, "pending");
		await shot(page, "stepup-refused");
		await again.click();
		await page.locator("#reauth").waitFor({ timeout: 15000 });
		await shot(page, "stepup-provider-login");
		await providerLogin(page, "carol", "123456");
		await page.locator("[data-action=approve]").waitFor({ timeout: 15000 });
		check("back on the request", page.url().endsWith(`#/request/${id}`), page.url());
		await page.locator("[data-action=approve]").click();
		for (let i = 0; i < 50; i++) {
			r = await server.api("GET", `/v1/requests/${id}`, server.admin);
			if (r.body && r.body.state !== "pending")
				break;
			await sleep(100);
		}
		equal("carol's approval holds after the MFA sign-in", r.body && r.body.state, "approved");
		await shot(page, "stepup-approved");
	});

	await step("no page errors", async () => {
		equal("no page error", errors.join("\n"), "");
	});
}

let fatal = null;
try {
	await main();
} catch (e) {
	fatal = e;
	notOk("the sign-in run", e && e.stack ? e.stack : String(e));
} finally {
	if (ctx)
		await ctx.close().catch(() => {});
	fs.rmSync(profile, { recursive: true, force: true });
	const res = await server.stop();
	if (res)
		check("the server stops cleanly on SIGTERM", res.code === 0, JSON.stringify(res));
	if (provider)
		provider.proc.kill("SIGTERM");
	if (fatal || process.env.JG_KEEP_LOG)
		console.log(server.log().split("\n").slice(-20).map((l) => `  # server| ${l}`).join("\n"));
	server.cleanup();
}
process.exitCode = summary() ? 0 : 1;
