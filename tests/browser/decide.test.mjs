// decide.test.mjs - deciding (issue 16, point 8), in headless Chromium
// against a real server.
//
// bob (dba) has three of alice's requests in his inbox. A deny without a
// comment is not sent: the comment field says why it is needed; under a
// rule with approve_comment: true, neither is an approve without one. The
// toasts say plainly what happened ("waiting for 1 of security", "access
// granted to alice", "alice is told why"). After each decision the card
// keeps its place and height, so what is under the pointer that clicked
// is the decided card, never another request's button, even after the
// next refresh. Screenshots at desktop and phone size.

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
  prod-db:
    labels: {env: prod}
    sensitivity: high
    actions: [sql.read, sql.write]
  notes-db:
    actions: [read]
rules:
  - name: notes
    match: {resource: notes-db}
    steps:
      - {group: dba, count: 1}
    approve_comment: true
  - name: prod-writes
    match: {resource: prod-db, action: sql.write}
    steps:
      - {group: dba, count: 1}
      - {group: security, count: 1}
  - name: prod-reads
    match: {resource: prod-db, action: sql.read}
    steps:
      - {group: dba, count: 1}
`;

const server = new Server(POLICY);

const pendingList = (u) => u.pathname === "/v1/requests" && u.searchParams.get("state") === "pending";

await run(server, async (b) => {
	const tokens = {
		alice: await server.token("alice"),
		bob: await server.token("bob", ["dba"]),
	};
	const ask = async (action, reason) => (await server.api("POST", "/v1/requests", tokens.alice,
		{ resource: "prod-db", action, reason, duration: "20m" })).body.id;
	const twoStep = await ask("sql.write", "INC-6 fix the orders table");
	const toDeny = await ask("sql.read", "INC-7 read the orders");
	const oneStep = await ask("sql.read", "INC-8 read the invoices");

	const bob = await b.user("bob");
	const p = bob.page;
	const card = (id) => p.locator(`article.request-card[data-id="${id}"]`);
	const state = async (id) => (await server.api("GET", `/v1/requests/${id}`, tokens.bob)).body.state;

	// What is under the centre of el's box, as "id:what": the request
	// card (or decided card) there and whether it is a button.
	async function under(pt) {
		return p.evaluate(([x, y]) => {
			const el = document.elementFromPoint(x, y);
			const c = el && el.closest("article.request-card, .decided");
			return { card: c ? (c.dataset.id || "decided") : null, button: !!(el && el.closest("button")),
				text: el ? el.textContent.slice(0, 60) : null };
		}, pt);
	}

	await step("a deny needs a comment", async () => {
		await b.signIn(bob, tokens.bob);
		await card(toDeny).waitFor({ timeout: 10000 });
		await card(toDeny).getByRole("button", { name: "Deny" }).click();
		const box = card(toDeny).getByLabel("Comment (needed to deny)");
		equal("the comment is marked invalid", await box.getAttribute("aria-invalid"), "true");
		const why = await box.evaluate((el) => (el.getAttribute("aria-describedby") || "").split(" ")
			.map((id) => (document.getElementById(id) || {}).textContent || "").join(" "));
		check("and says why it is needed", /requester reads it/.test(why), why);
		equal("nothing was sent", await state(toDeny), "pending");
		await b.shots(bob, "decide-01-deny-needs-comment");
	});

	await step("approving step 1 of 2 says who is next, and nothing moves", async () => {
		const btn = card(twoStep).getByRole("button", { name: "Approve" });
		// the button mid-screen, clear of the sticky header, and the click
		// made at that very point: a click of Playwright's own may scroll
		// first, and the point would no longer be where the pointer is
		await btn.evaluate((el) => el.scrollIntoView({ block: "center" }));
		const bb = await btn.boundingBox();
		const pt = [bb.x + bb.width / 2, bb.y + bb.height / 2];
		await p.mouse.click(pt[0], pt[1]);
		await p.locator(".toast", { hasText: `Approved ${twoStep} — waiting for 1 of security` }).waitFor();
		check("the toast says it waits for 1 of security", true);
		check("the focus stays in place, on the decided card",
			await p.evaluate(() => document.activeElement.classList.contains("decided")));
		const now = await under(pt);
		check("under the pointer: the decided card", now.card === "decided", JSON.stringify(now));
		check("and no button of another request", !now.button, JSON.stringify(now));
		// a refresh of the list must not move the others up either
		await p.waitForResponse((res) => pendingList(new URL(res.url())), { timeout: 15000 });
		await p.waitForTimeout(200);
		const later = await under(pt);
		equal("after the next refresh, still the decided card", later.card, "decided");
		await b.shots(bob, "decide-02-settled");
	});

	await step("a full approval says access is granted", async () => {
		await card(oneStep).getByRole("button", { name: "Approve" }).click();
		await p.locator(".toast", { hasText: `Approved ${oneStep} — access granted to alice for 20m` }).waitFor();
		equal("approved on the server", await state(oneStep), "approved");
	});

	await step("a deny with a comment says the requester is told", async () => {
		await card(toDeny).getByLabel("Comment (needed to deny)").fill("use the replica");
		await card(toDeny).getByRole("button", { name: "Deny" }).click();
		await p.locator(".toast", { hasText: `Denied ${toDeny} — alice is told why` }).waitFor();
		equal("denied on the server", await state(toDeny), "denied");
		const r = await server.api("GET", `/v1/requests/${toDeny}`, tokens.alice);
		equal("with bob's comment", r.body.reviews[0].comment, "use the replica");
	});

	await step("decided cards go when dismissed", async () => {
		const n = await p.locator(".decided").count();
		equal("three decided cards", n, 3);
		await p.locator(".decided").first().getByRole("button", { name: "Dismiss" }).click();
		equal("one fewer", await p.locator(".decided").count(), 2);
	});

	await step("a rule that asks approvers for a comment: approve needs one too", async () => {
		const id = (await server.api("POST", "/v1/requests", tokens.alice,
			{ resource: "notes-db", action: "read", reason: "INC-9 read the notes", duration: "20m" })).body.id;
		await p.reload();
		await card(id).waitFor({ timeout: 10000 });
		const box = card(id).getByLabel("Comment (needed to approve and deny)");
		await card(id).getByRole("button", { name: "Approve" }).click();
		equal("the comment is marked invalid", await box.getAttribute("aria-invalid"), "true");
		const why = await box.evaluate((el) => (el.getAttribute("aria-describedby") || "").split(" ")
			.map((i) => (document.getElementById(i) || {}).textContent || "").join(" "));
		check("and says the rule asks for one", /rule asks approvers for a comment/.test(why), why);
		equal("nothing was sent", await state(id), "pending");
		await box.fill("checked the ticket");
		await card(id).getByRole("button", { name: "Approve" }).click();
		await p.locator(".toast", { hasText: `Approved ${id}` }).waitFor();
		equal("approved on the server", await state(id), "approved");
	});
});
