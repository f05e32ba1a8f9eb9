// form.test.mjs - the request form (issue 16, point 6), in headless
// Chromium against a real server.
//
// alice's request is denied by screening (a ticket that does not match):
// everything she typed stays, and the refusal stands at the Ticket field
// (aria-invalid, described by the message). A duration past the rule's
// maximum is refused at the Duration field. Fixed, the request goes
// through and the form empties. The break-glass box is not offered to
// alice; olga (oncall) gets it only for the action whose rule allows it,
// and must confirm the emergency before it is sent. Screenshots at
// desktop and phone size.

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
rules:
  - name: prod-writes
    match: {resource: prod-db, action: sql.write}
    checks:
      ticket: {pattern: "INC-[0-9]+"}
    steps:
      - {group: dba, count: 1}
    max_duration: 30m
    break_glass: {group: oncall, max_duration: 15m}
  - name: prod-reads
    match: {resource: prod-db, action: sql.read}
    steps:
      - {group: dba, count: 1}
`;

const SQL = "UPDATE accounts SET frozen = false WHERE id = 42;";
const REASON = "unfreeze account 42 for support";

const server = new Server(POLICY);

await run(server, async (b) => {
	const tokens = {
		alice: await server.token("alice"),
		olga: await server.token("olga"),
	};
	const alice = await b.user("alice");
	const p = alice.page;
	const field = (label) => p.getByLabel(label, { exact: true });

	async function fill(ticket, duration) {
		await field("Resource").selectOption("prod-db");
		await field("Action").selectOption("sql.write");
		await field("Payload (optional)").fill(SQL);
		await field("Reason").fill(REASON);
		await field("Ticket (optional)").fill(ticket);
		await field("Duration (optional)").fill(duration);
	}

	await step("no break-glass box for alice", async () => {
		await b.signIn(alice, tokens.alice);
		await b.go(alice, "#/mine");
		await p.locator("select[name=resource] option[value=prod-db]").waitFor({ state: "attached" });
		await field("Resource").selectOption("prod-db");
		await field("Action").selectOption("sql.write");
		equal("the box is not shown", await p.getByLabel(/Break-glass/).isVisible(), false);
	});

	await step("a denial keeps what was typed and points at the field", async () => {
		await fill("nope", "10m");
		await p.getByRole("button", { name: "Submit request" }).click();
		await p.locator(".form-result .alert-error").waitFor();
		check("the form says denied", /is denied/.test(await p.locator(".form-result").textContent()));
		equal("the payload is kept", await field("Payload (optional)").inputValue(), SQL);
		equal("the reason is kept", await field("Reason").inputValue(), REASON);
		equal("the ticket is kept", await field("Ticket (optional)").inputValue(), "nope");
		const t = field("Ticket (optional)");
		equal("the ticket field is marked invalid", await t.getAttribute("aria-invalid"), "true");
		const described = await t.evaluate((el) => (el.getAttribute("aria-describedby") || "").split(" ")
			.map((id) => (document.getElementById(id) || {}).textContent || "").join(" "));
		check("and described by the refusal", /ticket 'nope'/.test(described), described);
		await b.shots(alice, "form-01-denied");
	});

	await step("a duration past the maximum is refused at its field", async () => {
		await field("Ticket (optional)").fill("INC-9");
		await field("Duration (optional)").fill("2h");
		await p.getByRole("button", { name: "Submit request" }).click();
		const d = field("Duration (optional)");
		await p.locator(`#${await d.getAttribute("id")}-error`).waitFor();
		equal("the duration field is marked invalid", await d.getAttribute("aria-invalid"), "true");
		equal("the ticket's old error is gone", await field("Ticket (optional)").getAttribute("aria-invalid"), null);
		equal("everything is still there", await field("Reason").inputValue(), REASON);
		// the 400 the browser logs for it is the point of this step
		alice.errors = alice.errors.filter((e) => !/status of 400/.test(e));
	});

	await step("fixed, it goes through and the form empties", async () => {
		await field("Duration (optional)").fill("20m");
		await p.getByRole("button", { name: "Submit request" }).click();
		await p.locator(".form-result .alert-ok").waitFor();
		check("pending", /pending: waiting for 1 of dba/.test(await p.locator(".form-result").textContent()));
		equal("the reason is cleared", await field("Reason").inputValue(), "");
		equal("no field is marked invalid", await p.locator("[aria-invalid=true]").count(), 0);
	});

	await step("olga gets break-glass only where it applies, with a confirmation", async () => {
		const olga = await b.user("olga");
		const q = olga.page;
		await b.signIn(olga, tokens.olga);
		await b.go(olga, "#/mine");
		await q.locator("select[name=resource] option[value=prod-db]").waitFor({ state: "attached" });
		await q.getByLabel("Resource", { exact: true }).selectOption("prod-db");
		await q.getByLabel("Action", { exact: true }).selectOption("sql.read");
		equal("no box for sql.read (its rule has no break-glass)", await q.getByLabel(/Break-glass/).isVisible(), false);
		await q.getByLabel("Action", { exact: true }).selectOption("sql.write");
		await q.getByLabel(/Break-glass/).check();
		const sure = q.getByLabel("I confirm this is an emergency");
		check("checking it asks for a confirmation", await sure.isVisible());
		await q.getByLabel("Reason", { exact: true }).fill("INC-5 the primary is down");
		await q.getByLabel("Ticket (optional)").fill("INC-5");
		await q.getByRole("button", { name: "Submit break-glass request" }).click();
		equal("not sent without it: the confirmation is marked", await sure.getAttribute("aria-invalid"), "true");
		const n = await server.api("GET", "/v1/requests?requester=olga", tokens.olga);
		equal("nothing was sent", (n.body.items || []).length, 0);
		await b.shots(olga, "form-02-break-glass-confirm");
		await sure.check();
		await q.getByRole("button", { name: "Submit break-glass request" }).click();
		await q.locator(".form-result .alert-ok").waitFor();
		check("approved at once", /is approved/.test(await q.locator(".form-result").textContent()));
	});
});
