// harness.mjs - what the dashboard tests need around the browser: a real
// jitgate server on a free loopback port in its own temp dir, tokens made
// through the API with the bootstrap admin token, Debian's Chromium
// through playwright-core, and TAP-like reporting that ends with the line
// "N passed, M failed".

import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, "../..");
export const artifacts = path.join(here, "artifacts");

// ---- reporting ------------------------------------------------------------

let passed = 0;
let failed = 0;

export function ok(desc) {
	passed++;
	console.log(`ok - ${desc}`);
}

export function notOk(desc, detail) {
	failed++;
	console.log(`not ok - ${desc}`);
	if (detail)
		for (const line of String(detail).split("\n").slice(0, 25))
			console.log(`  # ${line}`);
}

export function check(desc, cond, detail) {
	if (cond)
		ok(desc);
	else
		notOk(desc, detail);
	return !!cond;
}

export function equal(desc, got, want) {
	return check(desc, got === want, `want: ${JSON.stringify(want)}\ngot:  ${JSON.stringify(got)}`);
}

// Run one named step: an exception fails the step (and its description
// says so) without stopping the rest of the run.
export async function step(desc, fn) {
	try {
		await fn();
	} catch (e) {
		notOk(desc, e && e.stack ? e.stack : String(e));
		return false;
	}
	return true;
}

export function summary() {
	console.log(`${passed} passed, ${failed} failed`);
	return failed === 0 && passed > 0;
}

// ---- the server ---------------------------------------------------------------

function freePort() {
	return new Promise((resolve, reject) => {
		const s = net.createServer();
		s.unref();
		s.on("error", reject);
		s.listen(0, "127.0.0.1", () => {
			const { port } = s.address();
			s.close(() => resolve(port));
		});
	});
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class Server {
	// connectors: YAML for --connectors (docs/connectors.md), or none.
	constructor(policy, connectors) {
		this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), "jitgate-browser-"));
		this.policyFile = path.join(this.tmp, "policy.yaml");
		fs.writeFileSync(this.policyFile, policy);
		this.extraArgs = [];
		if (connectors) {
			const file = path.join(this.tmp, "connectors.yaml");
			fs.writeFileSync(file, connectors);
			this.extraArgs = ["--connectors", file];
		}
		this.bin = process.env.JITGATE_BIN || path.join(root, "build/jitgate");
		// jitgate refuses to serve as root: as root it becomes nobody,
		// which must own the directory of its database, keys and token
		if (process.getuid && process.getuid() === 0) {
			const id = (flag) => Number(execFileSync("id", [flag, "nobody"]).toString());
			fs.chownSync(this.tmp, id("-u"), id("-g"));
			this.extraArgs.push("--user", "nobody");
		}
		this.proc = null;
		this.url = null;
		this.admin = null;
	}

	async start() {
		for (let attempt = 0; attempt < 5; attempt++) {
			const port = await freePort();
			const log = fs.openSync(path.join(this.tmp, "server.log"), "a");
			this.proc = spawn(this.bin, ["serve",
				"--listen", `127.0.0.1:${port}`,
				"--db", path.join(this.tmp, "j.db"),
				"--policy", this.policyFile,
				"--bootstrap-token-file", path.join(this.tmp, "admin.token"),
				"--sweep-interval", "1s", ...this.extraArgs],
				{ stdio: ["ignore", log, log] });
			let exited = false;
			this.proc.on("exit", () => { exited = true; });
			const url = `http://127.0.0.1:${port}`;
			for (let i = 0; i < 100 && !exited; i++) {
				try {
					const r = await fetch(`${url}/healthz`);
					if (r.ok && this.log().includes(`127.0.0.1:${port}`)) {
						this.url = url;
						this.admin = fs.readFileSync(path.join(this.tmp, "admin.token"), "utf8").trim();
						return;
					}
				} catch { /* not up yet */ }
				await sleep(100);
			}
			this.proc.kill("SIGTERM");
			await sleep(200);
		}
		throw new Error(`jitgate serve did not start:\n${this.log()}`);
	}

	log() {
		try {
			return fs.readFileSync(path.join(this.tmp, "server.log"), "utf8");
		} catch {
			return "";
		}
	}

	// Call the API with a bearer token: {status, body}.
	async api(method, p, token, body) {
		const headers = { Authorization: `Bearer ${token}`, Accept: "application/json" };
		const init = { method, headers };
		if (body !== undefined) {
			headers["Content-Type"] = "application/json";
			init.body = JSON.stringify(body);
		}
		const r = await fetch(this.url + p, init);
		const text = await r.text();
		let json = null;
		try { json = JSON.parse(text); } catch { /* not JSON */ }
		return { status: r.status, body: json, text };
	}

	async token(principal, groups = [], roles = []) {
		const r = await this.api("POST", "/v1/tokens", this.admin, { principal, groups, roles });
		if (r.status !== 201 || !r.body || !r.body.token)
			throw new Error(`token for ${principal}: HTTP ${r.status} ${r.text}`);
		return r.body.token;
	}

	async stop() {
		if (this.proc && this.proc.exitCode === null) {
			const done = new Promise((r) => this.proc.once("exit", (code, sig) => r({ code, sig })));
			this.proc.kill("SIGTERM");
			const res = await Promise.race([done, sleep(5000).then(() => null)]);
			if (!res)
				this.proc.kill("SIGKILL");
			return res;
		}
		return null;
	}

	cleanup() {
		fs.rmSync(this.tmp, { recursive: true, force: true });
	}
}

// ---- the browser -------------------------------------------------------------------

export const CHROMIUM = process.env.JG_CHROMIUM || "/usr/bin/chromium";
export const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
	"--disable-quic", "--no-first-run", "--disable-background-networking",
	"--disable-component-update", "--disable-sync"];

// A fresh profile directory for this run, removed afterwards.
export function freshProfile() {
	return fs.mkdtempSync(path.join(os.tmpdir(), "jitgate-chromium-"));
}

// ---- users in browsers -----------------------------------------------------------

export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

// The browsers of one test run: one per user, each with its own fresh
// profile, recording dialogs, page errors and CSP violations; signIn and
// go drive the dashboard; shot writes screenshots to artifacts/.
export class Browsers {
	constructor(server) {
		this.server = server;
		this.users = [];
		this.profiles = [];
	}

	// extra: more launch options (e.g. timezoneId: "Europe/Berlin").
	async user(name, viewport = DESKTOP, extra = {}) {
		const dir = freshProfile();
		this.profiles.push(dir);
		const { chromium } = await import("playwright-core");
		const ctx = await chromium.launchPersistentContext(dir, {
			executablePath: CHROMIUM,
			args: CHROMIUM_ARGS,
			headless: true,
			viewport,
			acceptDownloads: true,
			downloadsPath: path.join(dir, "downloads"),
			...extra,
		});
		const page = ctx.pages()[0] || await ctx.newPage();
		const u = { name, ctx, page, dialogs: [], errors: [], csp: [] };
		page.on("dialog", (d) => { u.dialogs.push(d.message()); d.dismiss().catch(() => {}); });
		page.on("pageerror", (e) => u.errors.push(String(e)));
		page.on("console", (m) => {
			const t = m.text();
			if (/Content Security Policy|Refused to/i.test(t))
				u.csp.push(t);
			else if (m.type() === "error" && !/status of 40[13]/.test(t))
				u.errors.push(t);
		});
		this.users.push(u);
		return u;
	}

	async signIn(u, token) {
		await u.page.goto(this.server.url + "/#/inbox");
		await u.page.getByLabel("Token", { exact: true }).fill(token);
		await u.page.getByRole("button", { name: "Sign in" }).click();
		await u.page.locator(".topbar .who-name").waitFor({ timeout: 10000 });
	}

	async go(u, route) {
		await u.page.evaluate((r) => { location.hash = r; }, route);
		await u.page.locator(`.page-${route.replace(/^#\//, "").split("/")[0]}`).waitFor();
	}

	// One full-page screenshot at the page's current size.
	async shot(u, name) {
		await u.page.waitForTimeout(150);
		await u.page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });
	}

	// name-desktop.png and name-phone.png; the viewport is restored.
	async shots(u, name) {
		const was = u.page.viewportSize();
		await u.page.setViewportSize(DESKTOP);
		await this.shot(u, `${name}-desktop`);
		await u.page.setViewportSize(PHONE);
		await this.shot(u, `${name}-phone`);
		await u.page.setViewportSize(was);
	}

	// axe-core on u's page as it is now: a check that no serious or
	// critical violation is found (WCAG 2.x A and AA rules), listing each
	// one found with its nodes. axe is evaluated through the DevTools
	// protocol, so the page's strict CSP stays as it is.
	async axe(u, where) {
		if (!this.axeSource)
			this.axeSource = fs.readFileSync(path.join(here, "node_modules/axe-core/axe.min.js"), "utf8");
		await u.page.evaluate(this.axeSource);
		const res = await u.page.evaluate(() => window.axe.run(document, {
			runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
			resultTypes: ["violations"],
		}));
		const bad = res.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
		return check(`no serious accessibility violation (axe) on ${where}`, bad.length === 0,
			bad.map((v) => `${v.id} (${v.impact}): ${v.help}\n` + v.nodes.slice(0, 4).map((n) =>
				`    ${n.target.join(" ")}: ${(n.failureSummary || "").split("\n").slice(1, 2).join("")}`).join("\n"))
				.join("\n"));
	}

	// No dialog, CSP violation or page error in anyone's browser.
	clean() {
		for (const u of this.users) {
			equal(`no dialog in ${u.name}'s browser`, u.dialogs.length, 0);
			equal(`no CSP violation in ${u.name}'s browser`, u.csp.join("\n"), "");
			equal(`no page error in ${u.name}'s browser`, u.errors.join("\n"), "");
		}
	}

	async close() {
		for (const u of this.users)
			await u.ctx.close().catch(() => {});
		for (const d of this.profiles)
			fs.rmSync(d, { recursive: true, force: true });
	}
}

// Run main(server, browsers), then close the browsers, stop the server
// (it must stop cleanly) and print the summary; sets the exit code.
export async function run(server, main) {
	const b = new Browsers(server);
	let fatal = null;
	try {
		await server.start();
		ok(`server up at ${server.url}`);
		await main(b);
		b.clean();
	} catch (e) {
		fatal = e;
		notOk("the test run", e && e.stack ? e.stack : String(e));
	} finally {
		await b.close();
		const res = await server.stop();
		if (res)
			check("the server stops cleanly on SIGTERM", res.code === 0, JSON.stringify(res));
		if (fatal || process.env.JG_KEEP_LOG)
			console.log(server.log().split("\n").slice(-20).map((l) => `  # server| ${l}`).join("\n"));
		server.cleanup();
	}
	process.exitCode = summary() ? 0 : 1;
}

// The policies several tests share: prod-db writes (or reads) need one
// approval of dba, whose members are the tokens the test makes.
export const PROD_WRITES_POLICY = `version: 1
defaults:
  max_duration: 1h
  request_ttl: 2h
groups:
  dba:
    members: []
resources:
  prod-db:
    labels: {env: prod}
    sensitivity: high
    actions: [sql.write]
rules:
  - name: prod-writes
    match: {resource: prod-db, action: sql.write}
    steps:
      - {group: dba, count: 1}
`;
export const PROD_READS_POLICY = `version: 1
defaults:
  max_duration: 1h
  request_ttl: 2h
groups:
  dba:
    members: []
resources:
  prod-db:
    labels: {env: prod}
    actions: [sql.read]
rules:
  - name: reads
    match: {resource: prod-db}
    steps:
      - {group: dba, count: 1}
`;
