// overview.test.mjs - the overview's figures (issue 16, point 11), in
// headless Chromium against a real server.
//
// Four requests are approved automatically (staging) and one by bob; one
// is approved under break-glass and owes its review; one is flagged by
// the source check. The median time to approve counts bob's approval
// only; tiles count break-glass, flagged requests and reviews due.
// Screenshots at desktop and phone size.

import { Server, run, step, check, equal } from "./harness.mjs";

const POLICY = `version: 1
defaults:
  max_duration: 1h
  request_ttl: 2h
groups:
  dba:
    members: []
  oncall:
    members: [olga]
resources:
  prod-db:
    labels: {env: prod}
    sensitivity: high
    actions: [sql.read, sql.write]
  staging-db:
    labels: {env: staging}
    actions: [sql.read]
rules:
  - name: prod-writes
    match: {resource: prod-db, action: sql.write}
    checks:
      source: {cidrs: [10.0.0.0/8], mode: flag}
    steps:
      - {group: dba, count: 1}
    break_glass: {group: oncall, max_duration: 15m}
  - name: prod-reads
    match: {resource: prod-db, action: sql.read}
    steps:
      - {group: dba, count: 1}
  - name: staging
    match: {resource: staging-db}
    decision: auto
`;

const server = new Server(POLICY);

await run(server, async (b) => {
	const tokens = {
		alice: await server.token("alice"),
		bob: await server.token("bob", ["dba"]),
		olga: await server.token("olga"),
	};
	const ask = (tok, body) => server.api("POST", "/v1/requests", tok, { reason: "INC-1 routine work", ...body });
	for (let i = 0; i < 4; i++)
		await ask(tokens.alice, { resource: "staging-db", action: "sql.read" });
	const read = await ask(tokens.alice, { resource: "prod-db", action: "sql.read" });
	await server.api("POST", "/v1/requests/" + read.body.id + "/approve", tokens.bob, {});
	const bg = await ask(tokens.olga, { resource: "prod-db", action: "sql.write", break_glass: true });
	equal("olga's break-glass request is approved", bg.body.state, "approved");
	await ask(tokens.alice, { resource: "prod-db", action: "sql.write" }); // flagged, pending

	const admin = await b.user("admin");
	const p = admin.page;
	const tile = async (label) => {
		const t = p.locator(".tile", { hasText: label });
		return (await t.locator(".tile-value").textContent()).trim();
	};

	await step("the median leaves automatic approvals out", async () => {
		await b.signIn(admin, server.admin);
		await b.go(admin, "#/overview");
		await p.locator(".tile").first().waitFor({ timeout: 10000 });
		const hist = await p.locator("svg.chart").nth(1).locator("text.value").allTextContents();
		equal("time to approve counts bob's approval only", hist.map(Number).reduce((x, y) => x + y, 0), 1);
		check("its subtitle says what is left out",
			/automatic and break-glass approvals left out/.test(await p.locator(".chart-card").nth(1).textContent()));
		const median = await tile("Median time to approve");
		check("the median is bob's time, not the instant auto-approvals", median !== "—", median);
		equal("approved in 14 days counts them all", await tile("Approved (14 days)"), "6");
	});

	await step("tiles for break-glass, flagged requests and reviews due", async () => {
		equal("break-glass", await tile("Break-glass (14 days)"), "1");
		equal("flagged (the break-glass and the pending write, both from loopback)", await tile("Flagged (14 days)"), "2");
		equal("reviews due", await tile("Reviews due"), "1");
		await b.shots(admin, "overview-01-tiles");
	});
});
