// extend.test.mjs - grants (issue 16, point 12), in headless Chromium
// against a real server.
//
// alice holds a grant for a bound SQL statement. Her grant card shows the
// payload when opened and the payload's full SHA-256 on demand; she asks
// for more time with Extend: the rule's first extension is approved at
// once and the expiry moves; a second one waits for the approvers; one
// past the rule's maximum is refused at the duration field. Screenshots
// at desktop and phone size.

import { Server, run, step, check, equal } from "./harness.mjs";

const POLICY = `version: 1
defaults:
  max_duration: 2h
  request_ttl: 2h
groups:
  dba:
    members: []
resources:
  prod-db:
    labels: {env: prod}
    actions: [sql.write]
rules:
  - name: prod-writes
    match: {resource: prod-db}
    steps:
      - {group: dba, count: 1}
    max_duration: 2h
    extensions: {auto: 1}
`;

const SQL = "UPDATE accounts SET frozen = false WHERE id = 42;";
const server = new Server(POLICY);

await run(server, async (b) => {
	const tokens = {
		alice: await server.token("alice"),
		bob: await server.token("bob", ["dba"]),
	};
	const r = await server.api("POST", "/v1/requests", tokens.alice,
		{ resource: "prod-db", action: "sql.write", payload: SQL, duration: "30m", reason: "INC-5 unfreeze 42" });
	const a = await server.api("POST", `/v1/requests/${r.body.id}/approve`, tokens.bob, {});
	const grant = a.body.grant_id;
	const g0 = (await server.api("GET", `/v1/grants/${grant}`, tokens.alice)).body;

	const alice = await b.user("alice");
	const p = alice.page;
	const card = p.locator(`article.grant-card[data-id="${grant}"]`);

	await step("the payload and its full hash, on demand", async () => {
		await b.signIn(alice, tokens.alice);
		await b.go(alice, "#/grants");
		await card.waitFor({ timeout: 10000 });
		const hash = card.locator("details.hash");
		equal("the hash is short at first", (await hash.locator("summary").textContent()).trim(),
			`sha256 ${g0.payload_sha256.slice(0, 16)}…`);
		await hash.locator("summary").click();
		equal("the whole hash on demand", await hash.locator(".hash-full").textContent(), g0.payload_sha256);
		await card.locator("details.grant-payload summary").click();
		await card.locator(".grant-payload .payload").waitFor({ timeout: 10000 });
		equal("the payload is shown", await card.locator(".grant-payload .payload").textContent(), SQL);
		await b.shots(alice, "extend-01-payload-hash");
	});

	await step("the first extension is approved at once", async () => {
		await card.getByRole("button", { name: "Extend…" }).click();
		await card.getByLabel("Extra time (optional)").fill("15m");
		await card.getByLabel("Reason", { exact: true }).fill("the migration runs longer");
		await b.shots(alice, "extend-02-form");
		await card.getByRole("button", { name: "Ask for more time" }).click();
		await p.locator(".toast", { hasText: `Extended ${grant} until` }).waitFor({ timeout: 10000 });
		const g1 = (await server.api("GET", `/v1/grants/${grant}`, tokens.alice)).body;
		equal("the expiry moved by 15 minutes", Date.parse(g1.expires_at) - Date.parse(g0.expires_at), 15 * 60e3);
		equal("one extension", g1.extensions, 1);
	});

	await step("past the maximum, refused at the duration field", async () => {
		await card.getByRole("button", { name: "Extend…" }).click();
		await card.getByLabel("Extra time (optional)").fill("3h");
		await card.getByLabel("Reason", { exact: true }).fill("all day");
		await card.getByRole("button", { name: "Ask for more time" }).click();
		const d = card.getByLabel("Extra time (optional)");
		await p.waitForFunction((el) => el.getAttribute("aria-invalid") === "true", await d.elementHandle());
		const why = await d.evaluate((el) => (el.getAttribute("aria-describedby") || "").split(" ")
			.map((id) => (document.getElementById(id) || {}).textContent || "").join(" "));
		check("the refusal names the maximum", /maximum 2h/.test(why), why);
		alice.errors = alice.errors.filter((e) => !/status of 400/.test(e));
	});

	await step("a second extension waits for the approvers", async () => {
		await card.getByLabel("Extra time (optional)").fill("10m");
		await card.getByLabel("Reason", { exact: true }).fill("one more check");
		await card.getByRole("button", { name: "Ask for more time" }).click();
		await p.locator(".toast", { hasText: "is pending: approvers decide" }).waitFor({ timeout: 10000 });
		const list = await server.api("GET", "/v1/requests?state=pending", tokens.bob);
		check("bob has the extension to decide", list.body.items.some((x) => x.extends === grant), list.text);
	});
});
