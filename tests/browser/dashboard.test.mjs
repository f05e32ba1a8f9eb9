// dashboard.test.mjs - the jitgate dashboard in real headless Chromium
// against a real `jitgate serve`.
//
// The story: alice (requester) signs in and asks for a prod-db write whose
// reason is full of HTML/script; it must show as text and no dialog may
// open. bob (dba) sees it in his inbox with its screening flag, approves
// it; alice's view turns approved and the grant's countdown runs; alice
// revokes the grant. bob's own request offers him no Approve button; a
// POST without the CSRF header is refused. A two-step request goes from
// bob (dba) to dave (security), who approves with the keyboard only.
// A payload with a bidi override and a zero-width space shows them as
// marked <U+…>, with a warning at the top of its card. The admin checks
// the audit trail, verifies the chain and exports it, and looks at the
// overview charts. Screenshots land in artifacts/.

import fs from "node:fs";
import path from "node:path";
import { Server, Browsers, artifacts, root, check, equal, ok, notOk, step, summary } from "./harness.mjs";

const POLICY = `version: 1
defaults:
  max_duration: 1h
  request_ttl: 2h
groups:
  dba:
    members: []
  security:
    members: []
resources:
  prod-db:
    labels: {env: prod, team: data}
    sensitivity: high
    actions: [sql.read, sql.write]
  staging-db:
    labels: {env: staging}
    actions: [sql.read]
  web-staging:
    labels: {env: staging}
    actions: [fix.deploy]
  build-box:
    labels: {env: staging}
    actions: [job.run, job.break]
rules:
  # the scanner's fixes: one person from security, severity flagged
  - name: scanner-fixes
    match: {action: fix.deploy, automation: true}
    checks:
      severity: {at_most: medium, mode: flag}
    steps:
      - {group: security, count: 1}
  # one step; the source check flags loopback callers for the approver
  - name: prod-db-writes
    match: {resource: prod-db, action: sql.write}
    checks:
      ticket: {pattern: "INC-[0-9]+"}
      source: {cidrs: [10.0.0.0/8], mode: flag}
    steps:
      - {group: dba, count: 1}
    max_duration: 30m
  # two steps: a DBA, then security
  - name: prod-db-reads
    match: {resource: prod-db, action: sql.read}
    steps:
      - {group: dba, count: 1}
      - {group: security, count: 1}
  - name: staging-auto
    match: {labels: {env: staging}}
    decision: auto
`;

// build-box's actions run through the gateway: job.run prints markup (it
// must show as text), job.break fails with status 4.
const CONNECTORS = `version: 1
resources:
  build-box:
    type: command
    program: /bin/sh
    args: [-c, 'if [ "$0" = job.break ]; then echo broken >&2; exit 4; fi; echo "<img src=x onerror=alert(5)> built"', '{action}']
`;

const XSS_REASON = `INC-4242 unfreeze <script>alert(1)</script><img src=x onerror="alert(2)"> "quotes" & <b>bold</b>`;
const SQL = "UPDATE accounts SET frozen = false -- unfreeze\nWHERE id = 42 AND name = 'O''Brien';";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

fs.mkdirSync(artifacts, { recursive: true });

const server = new Server(POLICY, CONNECTORS);
const browsers = new Browsers(server);
const user = (name, viewport) => browsers.user(name, viewport);
const shot = (u, name) => browsers.shot(u, name);
const signIn = (u, token) => browsers.signIn(u, token);
const go = (u, route) => browsers.go(u, route);

async function main() {
	await server.start();
	ok(`server up at ${server.url}`);
	const tokens = {
		alice: await server.token("alice"),
		bob: await server.token("bob", ["dba"]),
		dave: await server.token("dave", ["security"]),
		scanner: (await server.api("POST", "/v1/tokens", server.admin,
			{ principal: "scanner", kind: "service" })).body.token,
		admin: server.admin,
	};

	const alice = await user("alice");
	const bob = await user("bob");

	let reqId = null;
	let grantId = null;

	await step("sign-in page", async () => {
		await alice.page.goto(server.url + "/");
		await alice.page.getByLabel("Token", { exact: true }).waitFor();
		const head = await (await fetch(server.url + "/")).headers.get("content-security-policy");
		check("the page is served with the strict CSP", /script-src 'self'/.test(head || ""), head);
		await shot(alice, "01-signin");
		await alice.page.getByLabel("Token", { exact: true }).fill("jg_notavalidtoken");
		await alice.page.getByRole("button", { name: "Sign in" }).click();
		await alice.page.getByText("That token is not valid.").waitFor();
		ok("a wrong token is refused with a message");
	});

	await step("alice signs in", async () => {
		await signIn(alice, tokens.alice);
		equal("the top bar names alice", await alice.page.locator(".who-name").textContent(), "alice");
		const cookies = await alice.ctx.cookies(); // all: older versions drop Secure ones for http URLs
		const c = cookies.find((x) => x.name === "jg_session");
		check("the session cookie is HttpOnly, Secure and SameSite=Strict",
			c && c.httpOnly && c.secure && c.sameSite === "Strict", JSON.stringify(c));
		check("the page cannot read the session cookie",
			!(await alice.page.evaluate(() => document.cookie)).includes("jg_session"));
	});

	await step("alice creates a request with HTML in its reason", async () => {
		await go(alice, "#/mine");
		const p = alice.page;
		await p.locator("select[name=resource] option[value=prod-db]").waitFor({ state: "attached" });
		await p.getByLabel("Resource", { exact: true }).selectOption("prod-db");
		await p.getByLabel("Action", { exact: true }).selectOption("sql.write");
		await p.getByLabel("Payload (optional)").fill(SQL);
		await p.getByLabel("Reason", { exact: true }).fill(XSS_REASON);
		await p.getByLabel("Ticket (optional)").fill("INC-4242");
		await p.getByLabel("Duration (optional)").fill("10m");
		await p.getByRole("button", { name: "Submit request" }).click();
		const res = p.locator(".form-result .alert");
		await res.waitFor();
		const text = await res.textContent();
		reqId = (text.match(/req_[A-Za-z0-9_-]+/) || [])[0];
		check("the form says the request is pending for 1 of dba", /pending: waiting for 1 of dba/.test(text), text);
		check("the new request has an id", !!reqId, text);
		const row = p.locator(`.row-item[data-id="${reqId}"]`);
		await row.waitFor();
		equal("my requests list shows it with its reason as text",
			(await row.locator(".row-reason").textContent()), XSS_REASON);
		await shot(alice, "02-my-requests");
	});

	// bob's own request, made through the API: he must not be offered Approve.
	let bobOwn = null;
	await step("bob makes a request of his own (API)", async () => {
		const r = await server.api("POST", "/v1/requests", tokens.bob, {
			resource: "prod-db", action: "sql.write", reason: "bob's own change INC-7",
			ticket: "INC-7", payload: "DELETE FROM sessions WHERE expired", duration: "5m" });
		equal("bob's request is created (201)", r.status, 201);
		bobOwn = r.body.id;
	});

	await step("bob sees alice's request in his inbox", async () => {
		await signIn(bob, tokens.bob);
		await go(bob, "#/inbox");
		const card = bob.page.locator(`article.request-card[data-id="${reqId}"]`);
		await card.waitFor({ timeout: 10000 });
		equal("the reason shows as text", await card.locator(".reason").textContent(), XSS_REASON);
		equal("no <img src=x> was created anywhere", await bob.page.locator("img[src=x]").count(), 0);
		equal("no <b> from the reason was created", await card.locator(".reason b").count(), 0);
		// the scripts index.html names, nothing the data could have added
		const want = (fs.readFileSync(path.join(root, "web/index.html"), "utf8")
			.match(/<script src="[^"]+"/g) || []).map((m) => m.slice(13, -1));
		const got = await bob.page.locator("script").evaluateAll((els) =>
			els.map((e) => e.getAttribute("src")));
		equal("only the app's own scripts are on the page", JSON.stringify(got), JSON.stringify(want));
		equal("the requester is shown", await card.locator(".requester").textContent(), "alice");
		check("the payload is shown in full", (await card.locator(".payload").textContent()) === SQL);
		check("SQL keywords are highlighted",
			(await card.locator(".payload .tok-kw").allTextContents()).includes("UPDATE"));
		check("the SQL string is one token",
			(await card.locator(".payload .tok-str").allTextContents()).includes("'O''Brien'"));
		check("the SQL comment is one token",
			(await card.locator(".payload .tok-comment").allTextContents()).includes("-- unfreeze"));
		const flag = card.locator(".check-flag");
		check("the source check is shown flagged", (await flag.count()) >= 1 &&
			/source/.test(await flag.first().textContent()), await card.locator(".screening").textContent());
		check("the ticket check is shown passed",
			/ticket/.test(await card.locator(".check-pass").allTextContents().then((a) => a.join(" "))));
		check("the ticket is shown", (await card.locator(".meta-line").textContent()).includes("INC-4242"));
		check("the time left counts down", /\d+(m|h) \d+(s|m) left/.test(await card.locator(".countdown").textContent()));
		check("the step needs 1 of dba", /1 of\s*dba/.test((await card.locator(".steps").textContent()).replace(/\s+/g, " ")));
		equal("bob's own request is not in his inbox",
			await bob.page.locator(`[data-id="${bobOwn}"]`).count(), 0);
		const badge = await bob.page.locator(".nav .count").textContent();
		equal("the inbox badge counts 1", badge, "1");
		await shot(bob, "03-inbox");
	});

	await step("no dialog opened and nothing broke the CSP", async () => {
		equal("no alert/confirm dialog in alice's browser", alice.dialogs.length, 0);
		equal("no alert/confirm dialog in bob's browser", bob.dialogs.length, 0);
		equal("no CSP violation reports", [...alice.csp, ...bob.csp].join("\n"), "");
	});

	await step("bob's own request shows no Approve button", async () => {
		await go(bob, `#/request/${bobOwn}`);
		const card = bob.page.locator(`article.request-card[data-id="${bobOwn}"]`);
		await card.waitFor();
		equal("no Approve button", await card.getByRole("button", { name: "Approve" }).count(), 0);
		equal("no Deny button", await card.getByRole("button", { name: "Deny" }).count(), 0);
		check("it says someone else must approve it", await card.locator(".own-note").isVisible());
		await shot(bob, "04-own-request");
		const r = await server.api("POST", `/v1/requests/${bobOwn}/approve`, tokens.bob, {});
		check("the server refuses a self-approval (403 self-approval)",
			r.status === 403 && /self/.test(r.body && r.body.type), r.text);
	});

	await step("a POST without the CSRF header is refused", async () => {
		const res = await bob.page.evaluate(async (id) => {
			const r = await fetch(`/v1/requests/${id}/approve`, { method: "POST",
				credentials: "same-origin", headers: { "Content-Type": "application/json" }, body: "{}" });
			return { status: r.status, body: await r.json().catch(() => null) };
		}, reqId);
		check("403 urn:jitgate:problem:csrf", res.status === 403 && res.body &&
			res.body.type === "urn:jitgate:problem:csrf", JSON.stringify(res));
		const wrong = await bob.page.evaluate(async (id) => {
			const r = await fetch(`/v1/requests/${id}/approve`, { method: "POST",
				headers: { "Content-Type": "application/json", "X-CSRF-Token": "0".repeat(64) }, body: "{}" });
			return r.status;
		}, reqId);
		equal("a wrong CSRF token is refused too", wrong, 403);
		const r = await server.api("GET", `/v1/requests/${reqId}`, tokens.admin);
		equal("the request is still pending", r.body.state, "pending");
	});

	await step("a typed comment survives the 3 s refresh", async () => {
		await go(bob, "#/inbox");
		const card = bob.page.locator(`article.request-card[data-id="${reqId}"]`);
		await card.waitFor();
		const box = card.getByLabel("Comment (needed to deny)");
		await box.fill("checked the WHERE clause <i>ok</i>");
		await sleep(3600);
		equal("the comment is still there", await card.getByLabel("Comment (needed to deny)").inputValue(),
			"checked the WHERE clause <i>ok</i>");
	});

	await step("bob approves", async () => {
		const card = bob.page.locator(`article.request-card[data-id="${reqId}"]`);
		await card.getByRole("button", { name: "Approve" }).click();
		await bob.page.locator(".toast", { hasText: `Approved ${reqId}` }).waitFor();
		ok("a toast confirms the approval");
		await card.waitFor({ state: "detached", timeout: 10000 });
		ok("the request leaves bob's inbox");
		const r = await server.api("GET", `/v1/requests/${reqId}`, tokens.admin);
		equal("the server has it approved", r.body.state, "approved");
		equal("bob's comment is recorded as given", r.body.reviews[0].comment, "checked the WHERE clause <i>ok</i>");
		grantId = r.body.grant_id;
		check("a grant was issued", /^grt_/.test(grantId || ""), JSON.stringify(r.body));
	});

	await step("alice's view turns approved by itself", async () => {
		await go(alice, "#/mine");
		const row = alice.page.locator(`.row-item[data-id="${reqId}"]`);
		await row.locator(".badge.st-approved").waitFor({ timeout: 10000 });
		ok("the state badge says approved without a reload");
		equal("the grant id is shown", await row.locator(".grant-id").textContent(), grantId);
		await shot(alice, "05-my-requests-approved");
	});

	await step("the grant countdown runs", async () => {
		await go(alice, "#/grants");
		const card = alice.page.locator(`article.grant-card[data-id="${grantId}"]`);
		await card.waitFor({ timeout: 10000 });
		const t1 = await card.locator(".countdown").textContent();
		check("the countdown shows minutes left (10m grant)", /^(9m|10m) \d\ds left$/.test(t1), t1);
		await sleep(2200);
		const t2 = await card.locator(".countdown").textContent();
		check("the countdown moved", t1 !== t2, `${t1} then ${t2}`);
		check("Done is offered to the holder", await card.getByRole("button", { name: "Done" }).isVisible());
		await shot(alice, "06-grants");
	});

	await step("the request page shows the full request and its grant", async () => {
		await go(alice, `#/request/${reqId}`);
		await alice.page.locator(`article.grant-card[data-id="${grantId}"]`).waitFor();
		const card = alice.page.locator(`article.request-card[data-id="${reqId}"]`);
		check("bob's approval is listed", /approved\s*bob/.test(await card.locator(".reviews").textContent()));
		equal("alice gets no Approve button on her own request",
			await card.getByRole("button", { name: "Approve" }).count(), 0);
		await shot(alice, "07-request-detail");
	});

	await step("alice revokes the grant", async () => {
		await go(alice, "#/grants");
		const card = alice.page.locator(`article.grant-card[data-id="${grantId}"]`);
		await card.getByRole("button", { name: "Revoke" }).click();
		await card.getByLabel("Revoke reason").fill("finished early");
		await card.getByRole("button", { name: "Confirm revoke" }).click();
		await card.waitFor({ state: "detached", timeout: 10000 });
		ok("the grant leaves the active list");
		const row = alice.page.locator(`tr[data-id="${grantId}"]`);
		await row.waitFor({ timeout: 10000 });
		check("the ended table lists it revoked with the reason",
			/revoked/.test(await row.textContent()) && /finished early/.test(await row.textContent()),
			await row.textContent());
		const r = await server.api("GET", `/v1/grants/${grantId}`, tokens.admin);
		equal("the server has the grant revoked", r.body.state, "revoked");
	});

	// An approved action that the gateway runs: from My requests to its result.
	await step("alice runs an approved action through the gateway", async () => {
		const ran = await server.api("POST", "/v1/requests", tokens.alice, {
			resource: "build-box", action: "job.run", reason: "nightly build" });
		equal("the staging job is approved at once (201)", ran.status, 201);
		const broke = await server.api("POST", "/v1/requests", tokens.alice, {
			resource: "build-box", action: "job.break", reason: "try the broken job" });
		equal("the broken job is approved at once (201)", broke.status, 201);
		await go(alice, "#/mine");
		const row = alice.page.locator(`.row-item[data-id="${ran.body.id}"]`);
		await row.locator(".run-link").click();
		const card = alice.page.locator(`article.request-card[data-id="${ran.body.id}"]`);
		await card.waitFor();
		await card.getByRole("button", { name: "Run" }).click();
		const exec = card.locator(".execution-block");
		await exec.waitFor({ timeout: 15000 });
		check("the execution succeeded", /succeeded/.test(await exec.locator("h4").textContent()),
			await exec.textContent());
		equal("its output shows as text, markup and all",
			(await exec.locator(".exec-output").textContent()), "<img src=x onerror=alert(5)> built\n");
		equal("no image was made of the output", await exec.locator("img").count(), 0);
		equal("the Run button is gone once it ran",
			await card.getByRole("button", { name: "Run" }).count(), 0);
		await shot(alice, "07b-executed");
		const again = await server.api("POST", `/v1/requests/${ran.body.id}/execute`, tokens.alice, {});
		equal("a second run is refused (409)", again.status, 409);

		await go(alice, `#/request/${broke.body.id}`);
		const bcard = alice.page.locator(`article.request-card[data-id="${broke.body.id}"]`);
		await bcard.getByRole("button", { name: "Run" }).click();
		const bexec = bcard.locator(".execution-block");
		await bexec.waitFor({ timeout: 15000 });
		const text = await bexec.textContent();
		check("the failed run shows failed, exit code 4 and the error",
			/failed/.test(text) && /Exit code\s*4/.test(text) && /status 4/.test(text), text);
		await alice.page.locator(".toast").filter({ hasText: "exit 4" }).first().waitFor();
		ok("a toast says it failed with exit 4");
		const other = await server.api("GET", `/v1/requests/${broke.body.id}`, tokens.bob);
		check("bob (not the requester) is not shown the run's output",
			other.status !== 200 || !other.body.execution || other.body.execution.output === null,
			JSON.stringify(other.body && other.body.execution));
	});

	// Two steps: dba first, then security, who uses only the keyboard.
	let twoStep = null;
	const dave = await user("dave");
	await step("a two-step request moves from dba to security", async () => {
		const r = await server.api("POST", "/v1/requests", tokens.alice, {
			resource: "prod-db", action: "sql.read", reason: "report for the auditors",
			payload: "SELECT count(*) FROM accounts WHERE frozen" });
		equal("created pending", r.body && r.body.state, "pending");
		twoStep = r.body.id;
		await signIn(dave, tokens.dave);
		await go(dave, "#/inbox");
		const other = dave.page.locator(`.row-item[data-id="${twoStep}"]`);
		await other.waitFor({ timeout: 10000 });
		equal("dave is not offered step 1 (dba)",
			await dave.page.locator(`article.request-card[data-id="${twoStep}"]`).count(), 0);
		await go(bob, "#/inbox");
		const bcard = bob.page.locator(`article.request-card[data-id="${twoStep}"]`);
		await bcard.waitFor({ timeout: 10000 });
		await bcard.getByRole("button", { name: "Approve" }).click();
		await bcard.waitFor({ state: "detached", timeout: 10000 });
		const dcard = dave.page.locator(`article.request-card[data-id="${twoStep}"]`);
		await dcard.waitFor({ timeout: 10000 });
		ok("after bob's approval, dave's inbox offers step 2");
		check("step 1 shows bob's approval", /approved by bob/.test(await dcard.locator(".steps").textContent()));
		await dave.page.setViewportSize({ width: 390, height: 844 });
		await shot(dave, "08-inbox-phone");
		// keyboard only: focus the comment, type, Tab to Approve, Enter
		await dcard.getByLabel("Comment (needed to deny)").focus();
		await dave.page.keyboard.type("fine for the audit");
		await dave.page.keyboard.press("Tab");
		const focused = await dave.page.evaluate(() => document.activeElement && document.activeElement.textContent);
		equal("Tab moves from the comment to Approve", focused, "Approve");
		await dave.page.keyboard.press("Enter");
		await dcard.waitFor({ state: "detached", timeout: 10000 });
		const s = await server.api("GET", `/v1/requests/${twoStep}`, tokens.admin);
		equal("the two-step request is approved", s.body.state, "approved");
		equal("dave's comment is recorded", s.body.reviews[1] && s.body.reviews[1].comment, "fine for the audit");
	});

	await step("a scanner finding reaches security with its details", async () => {
		const r = await server.api("POST", "/v1/requests", tokens.scanner, {
			resource: "web-staging", action: "fix.deploy", reason: "SQL injection in /search",
			payload: "deploy fix-1234",
			finding: { id: "FND-1234", type: "sqli", rule: "sql-injection", severity: "high",
				location: "GET /search?q=", recommendation: "use <b>bound</b> parameters" } });
		equal("the scanner's request is pending", r.body && r.body.state, "pending");
		const card = dave.page.locator(`article.request-card[data-id="${r.body.id}"]`);
		await card.waitFor({ timeout: 10000 });
		const f = card.locator(".finding");
		check("the finding's id, type and location are shown",
			/FND-1234/.test(await f.textContent()) && /sqli/.test(await f.textContent()) &&
			/GET \/search\?q=/.test(await f.textContent()), await f.textContent());
		equal("the severity is a badge", await f.locator(".badge").textContent(), "high");
		check("the recommendation is text", /use <b>bound<\/b> parameters/.test(await f.textContent()));
		check("the severity check is flagged", /severity/.test(await card.locator(".check-flag").allTextContents().then((a) => a.join(" "))));
		await dave.page.setViewportSize({ width: 1280, height: 900 });
		await shot(dave, "15-inbox-finding");
		await card.getByLabel("Comment (needed to deny)").fill("fix the finding first");
		await card.getByRole("button", { name: "Deny" }).click();
		await card.waitFor({ state: "detached", timeout: 10000 });
	});

	// A denial and an auto-approval make the charts more than one colour.
	await server.api("POST", "/v1/requests", tokens.alice, {
		resource: "staging-db", action: "sql.read", reason: "debug staging" });
	const toDeny = await server.api("POST", "/v1/requests", tokens.alice, {
		resource: "prod-db", action: "sql.write", reason: "drop it INC-9", ticket: "INC-9",
		payload: "DROP TABLE accounts" });
	await step("bob denies with a comment", async () => {
		await go(bob, "#/inbox");
		const card = bob.page.locator(`article.request-card[data-id="${toDeny.body.id}"]`);
		await card.waitFor({ timeout: 10000 });
		await card.getByLabel("Comment (needed to deny)").fill("no DROP on prod");
		await card.getByRole("button", { name: "Deny" }).click();
		await card.waitFor({ state: "detached", timeout: 10000 });
		const r = await server.api("GET", `/v1/requests/${toDeny.body.id}`, tokens.admin);
		equal("the request is denied", r.body.state, "denied");
	});

	// Trojan Source (CVE-2021-42574): a right-to-left override and a
	// zero-width space in the payload must show as marked <U+…>, never
	// act on the text, and the card must say so at its top.
	await step("hidden characters show as marked <U+…>", async () => {
		const payload = "UPDATE accounts SET frozen = false WHERE owner = 'alice\u202e; DROP TABLE accounts --'\u200b;";
		const r = await server.api("POST", "/v1/requests", tokens.alice, {
			resource: "prod-db", action: "sql.write", ticket: "INC-77",
			reason: "unfreeze INC-77\u200b", payload });
		equal("the request with hidden characters is created (201)", r.status, 201);
		await go(bob, "#/inbox");
		const card = bob.page.locator(`article.request-card[data-id="${r.body.id}"]`);
		await card.waitFor({ timeout: 10000 });
		const shown = await card.locator(".payload").textContent();
		equal("the payload shows each hidden character as its marker", shown,
			payload.replace("\u202e", "<U+202E>").replace("\u200b", "<U+200B>"));
		const rendered = await card.evaluate((el) => el.innerText);
		check("the rendered card text has <U+202E> and <U+200B>",
			rendered.includes("<U+202E>") && rendered.includes("<U+200B>"), rendered);
		check("no raw bidi or zero-width character is left in the card's text",
			!/[\u202a-\u202e\u2066-\u2069\u200b]/.test(await card.textContent()));
		const marks = card.locator(".payload .invisible-char");
		equal("the payload has two marked hidden characters", await marks.count(), 2);
		check("a marker's title names the character",
			/U\+202E RIGHT-TO-LEFT OVERRIDE/.test(await marks.first().getAttribute("title")),
			await marks.first().getAttribute("title"));
		const style = await marks.first().evaluate((el) => {
			const cs = getComputedStyle(el);
			return cs.borderTopStyle + " " + cs.backgroundColor;
		});
		check("a marker has its own style (a border and a background)",
			/^solid /.test(style) && !/rgba\(0, 0, 0, 0\)/.test(style), style);
		equal("the reason shows its zero-width space", await card.locator(".reason").textContent(),
			"unfreeze INC-77<U+200B>");
		const warn = card.locator(".hidden-chars-warning");
		check("the top of the card warns of hidden characters in the payload and the reason",
			/the payload/.test(await warn.textContent()) && /the reason/.test(await warn.textContent()),
			await warn.textContent());
		equal("the warning comes first in the card's body",
			await card.locator(".card-body > :first-child").getAttribute("class"),
			"alert alert-warn hidden-chars-warning");
		check("the hidden_chars screening check is flagged",
			/hidden_chars.*U\+200B ZERO WIDTH SPACE/.test(
				(await card.locator(".check-flag").allTextContents()).join(" ")),
			await card.locator(".screening").textContent());
		await shot(bob, "16-hidden-chars");
		await card.getByLabel("Comment (needed to deny)").fill("hidden characters in the payload");
		await card.getByRole("button", { name: "Deny" }).click();
		await card.waitFor({ state: "detached", timeout: 10000 });
	});

	await step("sign out", async () => {
		await bob.page.getByRole("button", { name: "Sign out" }).click();
		await bob.page.getByLabel("Token", { exact: true }).waitFor();
		ok("bob is back on the sign-in page");
		const r = await bob.page.evaluate(async () => (await fetch("/v1/requests")).status);
		equal("the old session no longer works", r, 401);
	});

	const admin = bob; // the same browser, signed in again as the admin
	await step("audit: events, search, verify", async () => {
		await signIn(admin, tokens.admin);
		await go(admin, "#/audit");
		const p = admin.page;
		await p.locator(".audit-table tbody tr").first().waitFor({ timeout: 10000 });
		const types = await p.locator(".audit-table tbody td[data-label=Type]").allTextContents();
		for (const t of ["request.created", "review.recorded", "request.approved", "grant.issued", "grant.revoked", "request.denied"])
			check(`the audit page lists ${t}`, types.includes(t), types.join(", "));
		await p.getByRole("button", { name: "Verify chain" }).click();
		const v = p.locator(".verify-out .alert");
		await v.waitFor();
		check("Verify says the chain is OK", /Chain OK/.test(await v.textContent()), await v.textContent());
		await shot(admin, "09-audit");

		await p.getByLabel("Subject", { exact: true }).fill(reqId);
		await p.getByRole("button", { name: "Search" }).click();
		await p.waitForFunction((id) => {
			const cells = [...document.querySelectorAll(".audit-table tbody td[data-label=Subject]")];
			return cells.length > 0 && cells.every((c) => (c.querySelector("a") || {}).textContent === id);
		}, reqId, { timeout: 10000 });
		const subj = await p.locator(".audit-table tbody td[data-label=Type]").allTextContents();
		check("searching by subject shows that request's events only",
			subj.includes("request.created") && subj.includes("request.approved") && !subj.includes("grant.revoked"),
			subj.join(", "));

		await p.getByLabel("Subject", { exact: true }).fill("");
		await p.getByLabel("Actor", { exact: true }).fill("alice");
		await p.getByLabel("Type", { exact: true }).selectOption("grant.revoked");
		await p.getByRole("button", { name: "Search" }).click();
		await p.waitForFunction(() => {
			const t = [...document.querySelectorAll(".audit-table tbody td[data-label=Type]")].map((c) => c.textContent);
			return t.length === 1 && t[0] === "grant.revoked";
		}, null, { timeout: 10000 });
		ok("searching by actor and type finds alice's revocation");

		const href = await p.locator("[data-action=export-ndjson]").getAttribute("href");
		check("the JSON lines link carries the filters", /actor=alice/.test(href) && /type=grant\.revoked/.test(href), href);
		const nd = await p.evaluate(async (u) => {
			const r = await fetch(u);
			return { status: r.status, type: r.headers.get("content-type"), text: await r.text() };
		}, href);
		const lines = nd.text.trim().split("\n").map((l) => JSON.parse(l));
		check("the JSON lines export has alice's revocation",
			nd.status === 200 && lines.length === 1 && lines[0].subject === grantId, JSON.stringify(nd));

		// time filter: nothing before 2000
		await p.getByLabel("Type", { exact: true }).selectOption("");
		await p.getByLabel("Actor", { exact: true }).fill("");
		await p.getByLabel("Until", { exact: true }).fill("2000-01-01T00:00");
		await p.getByRole("button", { name: "Search" }).click();
		await p.waitForFunction(() => document.querySelectorAll(".audit-table tbody tr").length === 0, null, { timeout: 10000 });
		ok("a time range before any event finds nothing");
		await p.getByLabel("Until", { exact: true }).fill("");

		// the resource filter: every event of the requests and grants on staging-db
		await p.getByLabel("Resource", { exact: true }).fill("staging-db");
		await p.getByRole("button", { name: "Search" }).click();
		await p.waitForFunction(() => {
			const t = [...document.querySelectorAll(".audit-table tbody td[data-label=Type]")].map((c) => c.textContent);
			return t.includes("grant.issued") && !t.includes("grant.revoked");
		}, null, { timeout: 10000 });
		ok("searching by resource shows the staging-db request and its grant");
		await p.getByLabel("Resource", { exact: true }).fill("");
		await p.getByRole("button", { name: "Search" }).click();

		const [dl] = await Promise.all([
			p.waitForEvent("download"),
			p.getByRole("button", { name: "Export CSV" }).click(),
		]);
		const file = path.join(artifacts, "audit.csv");
		await dl.saveAs(file);
		const csv = fs.readFileSync(file, "utf8").trim().split("\r\n");
		equal("the CSV header", csv[0], "seq,id,time,actor,type,subject,details,prev_hash,hash");
		check("the CSV has every event", csv.length - 1 >= types.length, `${csv.length - 1} rows, ${types.length} shown`);
		check("the CSV quotes the details JSON", csv.some((l) => l.includes(reqId) && /"\{""/.test(l)));
		const audit = await server.api("GET", "/v1/audit/verify", tokens.admin);
		equal("the CSV row count equals the chain length", csv.length - 1, audit.body.count);
	});

	await step("overview charts", async () => {
		await go(admin, "#/overview");
		const p = admin.page;
		await p.locator("svg.chart").nth(3).waitFor({ timeout: 10000 });
		equal("four charts are drawn", await p.locator("svg.chart").count(), 4);
		const bars = await p.locator("svg.chart").first().locator("rect.bar").count();
		check("requests per day has bars for today's outcomes", bars >= 3, `${bars} bars`);
		const hist = await p.locator("svg.chart").nth(1).locator("text.value").allTextContents();
		// those approved by people; the build-box jobs and staging reads
		// approved by policy take no one's time and are left out
		const all = (await server.api("GET", "/v1/requests?limit=200", tokens.admin)).body.items;
		const byPeople = all.filter((x) => x.state === "approved" && x.decision === "review").length;
		check("time-to-approve counts the requests approved by people",
			byPeople > 0 && byPeople < all.filter((x) => x.state === "approved").length &&
			hist.map(Number).reduce((a, b) => a + b, 0) === byPeople, `${hist.join(",")} vs ${byPeople}`);
		const top = await p.locator("svg.chart").nth(2).locator("text.ylabel").allTextContents();
		equal("the most requested resource is first", top[0], "prod-db");
		check("active grants over time is drawn", await p.locator("svg.chart").nth(3).locator("path.line").count() === 1);
		const tiles = await p.locator(".tile").allTextContents();
		check("the tiles count pending and approved", tiles.some((t) => /^1Pending now/.test(t)) &&
			tiles.some((t) => /^5Approved/.test(t)), tiles.join(" | "));
		await shot(admin, "10-overview");
		await p.setViewportSize({ width: 390, height: 844 });
		await shot(admin, "11-overview-phone");
		await p.setViewportSize({ width: 1280, height: 900 });
	});

	await step("the admin, not in dba, is not offered alice's pending read", async () => {
		const r = await server.api("POST", "/v1/requests", tokens.alice, {
			resource: "prod-db", action: "sql.read", reason: "one more read" });
		await go(admin, "#/inbox");
		await admin.page.locator(`.row-item[data-id="${r.body.id}"]`).waitFor({ timeout: 10000 });
		equal("it is listed under other pending requests without buttons",
			await admin.page.locator(`article.request-card[data-id="${r.body.id}"]`).count(), 0);
		await shot(admin, "12-inbox-admin");
	});

	await step("dark scheme and phone layouts", async () => {
		await admin.page.emulateMedia({ colorScheme: "dark" });
		await go(admin, `#/request/${reqId}`);
		await admin.page.locator("article.grant-card").waitFor();
		const bg = await admin.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
		check("the dark scheme darkens the page", bg !== "rgb(244, 246, 250)", bg);
		await shot(admin, "13-request-dark");
		await admin.page.emulateMedia({ colorScheme: "light" });
		await alice.page.setViewportSize({ width: 390, height: 844 });
		await go(alice, "#/mine");
		await alice.page.locator(".row-item").first().waitFor();
		const wide = await alice.page.evaluate(() => document.documentElement.scrollWidth);
		check("no sideways scrolling on a phone", wide <= 390, `${wide}px wide`);
		await shot(alice, "14-my-requests-phone");
		await alice.page.setViewportSize({ width: 1280, height: 900 });
	});

	await step("the page reloads into the same session", async () => {
		await alice.page.reload();
		await alice.page.locator(".who-name").waitFor({ timeout: 10000 });
		equal("alice is still signed in after a reload", await alice.page.locator(".who-name").textContent(), "alice");
		const r = await alice.page.evaluate(async () => {
			const s = await (await fetch("/v1/session")).json();
			return typeof s.csrf_token === "string" && s.csrf_token.length > 10;
		});
		check("GET /v1/session hands the reloaded page its CSRF token", r);
	});

	await step("no page errors, dialogs or CSP violations", async () => {
		browsers.clean();
	});
}

let fatal = null;
try {
	await main();
} catch (e) {
	fatal = e;
	notOk("the test run", e && e.stack ? e.stack : String(e));
} finally {
	await browsers.close();
	const res = await server.stop();
	if (res)
		check("the server stops cleanly on SIGTERM", res.code === 0, JSON.stringify(res));
	if (fatal || process.env.JG_KEEP_LOG)
		console.log(server.log().split("\n").slice(-20).map((l) => `  # server| ${l}`).join("\n"));
	server.cleanup();
}
process.exitCode = summary() ? 0 : 1;
