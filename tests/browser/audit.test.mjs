// audit.test.mjs - the audit trail and a request's timeline (issue 16,
// point 10), in headless Chromium against a real server.
//
// alice's request is approved by bob; she fetches her grant's token; bob
// revokes the grant. The admin's audit page lists the trail newest first
// (oldest first on request); a subject links to its request (a grant's
// to the request it came from). alice's request page tells the whole
// story in order, though she may not read the audit trail. Screenshots
// at desktop and phone size.

import { Server, run, step, check, equal, PROD_READS_POLICY } from "./harness.mjs";

const POLICY = PROD_READS_POLICY;

const server = new Server(POLICY);

await run(server, async (b) => {
	const tokens = {
		alice: await server.token("alice"),
		bob: await server.token("bob", ["dba"]),
	};
	const r = await server.api("POST", "/v1/requests", tokens.alice,
		{ resource: "prod-db", action: "sql.read", reason: "INC-3 read the orders" });
	const id = r.body.id;
	const a = await server.api("POST", `/v1/requests/${id}/approve`, tokens.bob, { comment: "ok" });
	const grant = a.body.grant_id;
	const t = await server.api("GET", `/v1/grants/${grant}/token`, tokens.alice);
	equal("alice fetches her grant's token", t.status, 200);
	await server.api("POST", `/v1/grants/${grant}/revoke`, tokens.bob, { reason: "done early" });

	const admin = await b.user("admin");
	const alice = await b.user("alice");
	const p = admin.page;
	const seqs = () => p.locator(".audit-table tbody td[data-label=Seq]").allTextContents()
		.then((a2) => a2.map(Number));

	await step("the audit trail, newest first", async () => {
		await b.signIn(admin, server.admin);
		await b.go(admin, "#/audit");
		await p.locator(".audit-table tbody tr").first().waitFor({ timeout: 10000 });
		const s = await seqs();
		check("descending seq", s.length > 3 && s.every((x, i) => i === 0 || s[i - 1] > x), s.join(","));
		const last = await server.api("GET", "/v1/audit?order=desc&limit=1", server.admin);
		equal("the first row is the newest event", s[0], last.body.items[0].seq);
		check("the count says so", /newest first/.test(await p.locator(".page-audit p.muted.small").first().textContent()));
		await b.shots(admin, "audit-01-newest-first");
		await p.getByLabel("Order", { exact: true }).selectOption("asc");
		await p.getByRole("button", { name: "Search" }).click();
		await p.waitForFunction(() => {
			const c = [...document.querySelectorAll(".audit-table tbody td[data-label=Seq]")].map((x) => Number(x.textContent));
			return c.length > 3 && c[0] === 1;
		}, null, { timeout: 10000 });
		check("oldest first on request", true);
	});

	await step("a subject links to its request", async () => {
		const reqLink = p.locator(".audit-table tbody td[data-label=Subject] a", { hasText: id }).first();
		equal("a request's events link to its page", await reqLink.getAttribute("href"), `#/request/${id}`);
		const grantLink = p.locator(".audit-table tbody td[data-label=Subject] a", { hasText: grant }).first();
		equal("a grant's link to the request it came from", await grantLink.getAttribute("href"), `#/request/${id}`);
		await reqLink.click();
		await p.locator(`.page-request article.request-card[data-id="${id}"]`).waitFor({ timeout: 10000 });
		check("the link opens the request", true);
	});

	await step("the request page tells the whole story, to its requester too", async () => {
		await b.signIn(alice, tokens.alice);
		await b.go(alice, `#/request/${id}`);
		const items = alice.page.locator(".timeline .tl-item");
		await items.nth(5).waitFor({ timeout: 10000 });
		const types = await items.evaluateAll((els) => els.map((e) => e.dataset.type));
		equal("created, reviewed, approved, granted, token fetched, revoked, in order", JSON.stringify(types),
			JSON.stringify(["request.created", "review.recorded", "request.approved", "grant.issued",
				"grant.token_issued", "grant.revoked"]));
		const words = await items.locator(".tl-what").allTextContents();
		equal("in words, with who", words[5], "grant revoked by bob");
		check("each with its time and zone", / UTC/.test(await items.first().locator("time").textContent()));
		const audit = await server.api("GET", "/v1/audit", tokens.alice);
		equal("though alice may not read the audit trail", audit.status, 403);
		await b.shots(alice, "audit-02-timeline");
	});
});
