// insights.test.mjs - the Insights page (issue 15, section 3), in
// headless Chromium against a real server: a rule bob approves every
// time shows as "Always approved" with its policy change and its replay;
// the unused resource is named; an auditor sees the page, a plain user
// neither the page nor its nav entry. Screenshots at desktop and phone
// size.

import { Server, run, step, check, equal } from "./harness.mjs";

const POLICY = `version: 1
groups:
  dba:
    members: []
resources:
  prod-db:
    actions: [sql.read]
  old-db:
    actions: [sql.read]
rules:
  - name: prod-reads
    match: {resource: prod-db}
    steps:
      - {group: dba, count: 1}
    max_duration: 8h
`;

const server = new Server(POLICY);

await run(server, async (b) => {
	const tokens = {
		alice: await server.token("alice"),
		bob: await server.token("bob", ["dba"]),
		audrey: await server.token("audrey", [], ["auditor"]),
	};
	for (let i = 0; i < 10; i++) {
		const r = await server.api("POST", "/v1/requests", tokens.alice,
			{ resource: "prod-db", action: "sql.read", reason: "INC-" + i + " read the orders" });
		await server.api("POST", "/v1/requests/" + r.body.id + "/approve", tokens.bob, {});
	}

	const auditor = await b.user("audrey");
	const p = auditor.page;

	await step("the auditor sees the always-approved rule with its change and replay", async () => {
		await b.signIn(auditor, tokens.audrey);
		await b.go(auditor, "#/insights");
		const card = p.locator(".suggestion[data-kind=auto_approve]");
		await card.waitFor({ timeout: 15000 });
		check("it names the rule", /prod-reads/.test(await card.locator("h2").textContent()));
		const diff = await card.locator("pre.diff").textContent();
		check("the diff takes the steps out", /-    steps:/.test(diff), diff);
		check("and puts decision: auto in", /\+    decision: auto/.test(diff), diff);
		equal("the replay", (await card.locator(".replay").textContent()).trim(),
			"Replayed from the period's start to now: 10 of 10 past requests would have been decided differently.");
		const unused = p.locator(".suggestion[data-kind=unused_resource]");
		check("the unused resource is named", /old-db/.test(await unused.textContent()));
		equal("two suggestions", await p.locator(".suggestion").count(), 2);
		await b.shots(auditor, "insights-01-advice");
		await b.axe(auditor, "the insights page");
	});

	await step("a period without history shows nothing to suggest", async () => {
		await p.fill("input[name=since]", "2001-01-01");
		await p.fill("input[name=until]", "2001-02-01");
		await p.click("form[aria-label='insights period'] button[type=submit]");
		await p.locator(".empty-state").waitFor({ timeout: 10000 });
		equal("no suggestion", await p.locator(".suggestion").count(), 0);
	});

	await step("a plain user has no Insights entry", async () => {
		const alice = await b.user("alice");
		await b.signIn(alice, tokens.alice);
		equal("no nav link", await alice.page.locator("nav a[data-route=insights]").count(), 0);
	});
});
