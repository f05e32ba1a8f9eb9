// triage.test.mjs - the inbox for deciding fast (issue 16, point 4), in
// headless Chromium against a real server.
//
// alice asks for three things: a staging read (low), a prod-db write
// (high, flagged by the source check) and a vault read (critical). bob
// (dba) sees them riskiest first, can sort by age and filter by resource
// or flags; each card's header carries sensitivity, flags and age; the
// flags show without opening anything, every check one click away; each
// step names who else can approve; the tab title counts what waits.
// Screenshots at desktop and phone size.

import { Server, run, step, check, equal } from "./harness.mjs";

const POLICY = `version: 1
defaults:
  max_duration: 1h
  request_ttl: 2h
groups:
  dba:
    members: [carol]
resources:
  staging-db:
    labels: {env: staging}
    sensitivity: low
    actions: [sql.read]
  prod-db:
    labels: {env: prod}
    sensitivity: high
    actions: [sql.write]
  vault:
    labels: {env: prod}
    sensitivity: critical
    actions: [secret.read]
rules:
  - name: prod-db-writes
    match: {resource: prod-db, action: sql.write}
    checks:
      source: {cidrs: [10.0.0.0/8], mode: flag}
    steps:
      - {group: dba, count: 1}
  - name: everything-else
    match: {resource: "*"}
    steps:
      - {group: dba, count: 1}
`;

const server = new Server(POLICY);

await run(server, async (b) => {
	const tokens = {
		alice: await server.token("alice"),
		bob: await server.token("bob", ["dba"]),
	};
	const ask = async (resource, action, reason) => {
		const r = await server.api("POST", "/v1/requests", tokens.alice, { resource, action, reason });
		if (r.status !== 201)
			throw new Error(`request ${resource}: ${r.status} ${r.text}`);
		return r.body.id;
	};
	const low = await ask("staging-db", "sql.read", "INC-1 look at the staging orders table");
	const high = await ask("prod-db", "sql.write", "INC-2 unlock account 42 for support");
	const crit = await ask("vault", "secret.read", "INC-3 rotate the payment key");

	const bob = await b.user("bob");
	const p = bob.page;
	const order = () => p.locator(".page-inbox article.request-card").evaluateAll((els) =>
		els.map((e) => e.dataset.id));

	await step("riskiest first, with the risk in each header", async () => {
		await b.signIn(bob, tokens.bob);
		await p.locator(`article.request-card[data-id="${low}"]`).waitFor({ timeout: 10000 });
		equal("critical, then high and flagged, then low", JSON.stringify(await order()),
			JSON.stringify([crit, high, low]));
		const card = p.locator(`article.request-card[data-id="${high}"]`);
		equal("the header counts the flags", (await card.locator(".card-state .flag-count").textContent()), "1 flag");
		equal("and shows the sensitivity", (await card.locator(".card-head .sens").textContent()), "high");
		check("and the age", /ago|just now/.test(await card.locator(".card-head .sub").textContent()));
		check("the flagged check shows without opening anything",
			await card.locator(".screening > div .check-flag .check-name", { hasText: "source" }).isVisible());
		check("the passed checks are one click away, folded",
			!(await card.locator("details.more").evaluate((d) => d.open)));
		const can = await card.locator(".step-can").textContent();
		equal("the step names who else can approve", can, "can approve: you, carol");
		equal("the tab title counts what waits", await p.title(), "(3) Inbox · jitgate");
		const lowBox = await p.locator(`article.request-card[data-id="${low}"]`).boundingBox();
		check("a card without payload or flags is compact (under 400 px at 1280 wide)",
			lowBox && lowBox.height < 400, JSON.stringify(lowBox));
		await b.shots(bob, "triage-01-riskiest");
	});

	await step("sort by age", async () => {
		await p.getByLabel("Sort", { exact: true }).selectOption("oldest");
		equal("oldest first", JSON.stringify(await order()), JSON.stringify([low, high, crit]));
		await p.getByLabel("Sort", { exact: true }).selectOption("newest");
		equal("newest first", JSON.stringify(await order()), JSON.stringify([crit, high, low]));
	});

	await step("filter by resource and by flags", async () => {
		await p.getByLabel("Sort", { exact: true }).selectOption("risk");
		await p.getByLabel("Resource", { exact: true }).selectOption("staging-db");
		equal("only staging-db", JSON.stringify(await order()), JSON.stringify([low]));
		await p.getByLabel("Resource", { exact: true }).selectOption("");
		await p.getByLabel("Flagged only").check();
		equal("only the flagged one", JSON.stringify(await order()), JSON.stringify([high]));
		await b.shots(bob, "triage-02-flagged-only");
		await p.getByLabel("Resource", { exact: true }).selectOption("vault");
		await p.locator(".page-inbox .empty-state", { hasText: "matches these filters" }).waitFor();
		check("no match says so", true);
		await p.getByLabel("Flagged only").uncheck();
		await p.getByLabel("Resource", { exact: true }).selectOption("");
		equal("all three again", (await order()).length, 3);
	});

	await step("the filters hold across polls and the count follows", async () => {
		await p.getByLabel("Sort", { exact: true }).selectOption("oldest");
		await server.api("POST", `/v1/requests/${low}/cancel`, tokens.alice, {});
		await p.locator(`article.request-card[data-id="${low}"]`).waitFor({ state: "detached", timeout: 15000 });
		equal("still oldest first", JSON.stringify(await order()), JSON.stringify([high, crit]));
		await p.waitForFunction(() => document.title === "(2) Inbox · jitgate", null, { timeout: 15000 });
		check("the title says 2", true);
	});
});
