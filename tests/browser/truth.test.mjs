// truth.test.mjs - state shown truthfully (issue 16, point 7), in
// headless Chromium against a real server.
//
// alice has three approved requests: one on build-box (a connector runs
// it), one on plain-db with a payload but no connector, and one more on
// build-box whose grant bob revokes. Only the first offers "Run…"; only
// it stays green; the revoked one says "grant revoked". A request bob
// denies at its first of two steps shows that step "denied" and the next
// "not reached", never "waiting". Screenshots at desktop and phone size.

import { Server, run, step, check, equal } from "./harness.mjs";

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
  build-box:
    labels: {env: ops}
    actions: [job.run]
  plain-db:
    labels: {env: ops}
    actions: [sql.read]
  prod-db:
    labels: {env: prod}
    sensitivity: high
    actions: [sql.write]
rules:
  - name: prod-writes
    match: {resource: prod-db}
    steps:
      - {group: dba, count: 1}
      - {group: security, count: 1}
  - name: ops
    match: {labels: {env: ops}}
    steps:
      - {group: dba, count: 1}
`;

const CONNECTORS = `version: 1
resources:
  build-box:
    type: command
    program: /bin/true
    args: ['{action}']
`;

const server = new Server(POLICY, CONNECTORS);

await run(server, async (b) => {
	const tokens = {
		alice: await server.token("alice"),
		bob: await server.token("bob", ["dba"]),
	};
	async function approved(resource, action, payload) {
		const r = await server.api("POST", "/v1/requests", tokens.alice,
			{ resource, action, payload, reason: "INC-4 routine maintenance" });
		const a = await server.api("POST", `/v1/requests/${r.body.id}/approve`, tokens.bob, {});
		if (a.status !== 200)
			throw new Error(`approve ${r.body.id}: ${a.status} ${a.text}`);
		return a.body;
	}
	const runnable = await approved("build-box", "job.run");
	const plain = await approved("plain-db", "sql.read", "SELECT count(*) FROM t;");
	const revoked = await approved("build-box", "job.run");
	const rv = await server.api("POST", `/v1/grants/${revoked.grant_id}/revoke`, tokens.bob, { reason: "not today" });
	equal("bob revokes the third one's grant", rv.status, 200);
	const two = await server.api("POST", "/v1/requests", tokens.alice,
		{ resource: "prod-db", action: "sql.write", reason: "INC-4 fix the orders" });
	const denied = await server.api("POST", `/v1/requests/${two.body.id}/deny`, tokens.bob, { comment: "not like this" });
	equal("bob denies the two-step request", denied.body && denied.body.state, "denied");

	const alice = await b.user("alice");
	const p = alice.page;
	const row = (id) => p.locator(`.row-item[data-id="${id}"]`);

	await step("Run… only where it can run", async () => {
		await b.signIn(alice, tokens.alice);
		await b.go(alice, "#/mine");
		await row(runnable.id).waitFor({ timeout: 10000 });
		equal("the connector's request offers Run…", await row(runnable.id).locator(".run-link").count(), 1);
		equal("no Run… without a connector", await row(plain.id).locator(".run-link").count(), 0);
		equal("no Run… on a revoked grant", await row(revoked.id).locator(".run-link").count(), 0);
	});

	await step("green only while the grant is live", async () => {
		check("the live one is green", await row(runnable.id).evaluate((e) => e.classList.contains("row-approved")));
		check("the revoked one is not", !(await row(revoked.id).evaluate((e) => e.classList.contains("row-approved"))));
		equal("and says its grant is revoked", await row(revoked.id).locator(".grant-ended").textContent(), "grant revoked");
		await b.shots(alice, "truth-01-my-requests");
		await b.go(alice, `#/request/${revoked.id}`);
		const card = p.locator(`article.request-card[data-id="${revoked.id}"]`);
		await card.waitFor({ timeout: 10000 });
		equal("its card says so too", await card.locator(".card-state .grant-ended").textContent(), "grant revoked");
		equal("and offers no Run", await card.getByRole("button", { name: "Run" }).count(), 0);
	});

	await step("a denied request's steps are not waiting", async () => {
		await b.go(alice, `#/request/${two.body.id}`);
		const card = p.locator(`article.request-card[data-id="${two.body.id}"]`);
		await card.waitFor({ timeout: 10000 });
		const st = await card.locator(".steps .step-status").allTextContents();
		equal("step 1 denied, step 2 not reached", JSON.stringify(st), JSON.stringify(["denied", "not reached"]));
		equal("no one is named to approve an ended request", await card.locator(".step-can").count(), 0);
		await b.shots(alice, "truth-02-denied-steps");
	});

	await step("the runnable one runs", async () => {
		await b.go(alice, `#/request/${runnable.id}`);
		const card = p.locator(`article.request-card[data-id="${runnable.id}"]`);
		await card.getByRole("button", { name: "Run" }).click();
		await card.locator(".execution-block").waitFor({ timeout: 15000 });
		equal("and then offers Run no more", await card.getByRole("button", { name: "Run" }).count(), 0);
	});
});
