// grants.test.mjs - approvers see the grants they approved (issue 16,
// point 2), in headless Chromium against a real server.
//
// alice's request is approved by bob (dba). bob's Grants page lists the
// live grant, held by alice, with Revoke; his overview counts it. carol,
// in no group, sees no grant. bob revokes it from the Grants page; it
// moves to "Recently ended". Screenshots at desktop and phone size.

import { Server, run, step, check, equal, PROD_WRITES_POLICY } from "./harness.mjs";

const POLICY = PROD_WRITES_POLICY;

const server = new Server(POLICY);

await run(server, async (b) => {
	const tokens = {
		alice: await server.token("alice"),
		bob: await server.token("bob", ["dba"]),
		carol: await server.token("carol"),
	};
	const made = await server.api("POST", "/v1/requests", tokens.alice, {
		resource: "prod-db", action: "sql.write", duration: "20m",
		reason: "INC-9 unlock account 42 for support",
	});
	const approved = await server.api("POST", `/v1/requests/${made.body.id}/approve`, tokens.bob, {});
	const grant = approved.body && approved.body.grant_id;
	check("bob's approval issued a grant", !!grant, approved.text);

	const bob = await b.user("bob");
	const carol = await b.user("carol");

	await step("bob's Grants page lists the grant he approved", async () => {
		await b.signIn(bob, tokens.bob);
		await b.go(bob, "#/grants");
		const card = bob.page.locator(`article.grant-card[data-id="${grant}"]`);
		await card.waitFor({ timeout: 10000 });
		check("it is held by alice", (await card.locator(".sub").textContent()).includes("alice"));
		check("bob may revoke it", await card.getByRole("button", { name: "Revoke" }).isVisible());
		equal("he may not mark it done (only the holder may)",
			await card.getByRole("button", { name: "Done" }).count(), 0);
		await b.shots(bob, "grants-01-approver");
	});

	await step("bob's overview counts it", async () => {
		await b.go(bob, "#/overview");
		const tile = bob.page.locator(".tile.t-active .tile-value");
		await tile.waitFor({ timeout: 10000 });
		equal("one active grant", await tile.textContent(), "1");
		await b.shots(bob, "grants-02-overview");
	});

	await step("carol, in no group, sees no grant", async () => {
		await b.signIn(carol, tokens.carol);
		await b.go(carol, "#/grants");
		await carol.page.locator(".page-grants .empty-state").waitFor({ timeout: 10000 });
		equal("no grant card", await carol.page.locator("article.grant-card").count(), 0);
	});

	await step("bob revokes it from the Grants page", async () => {
		await b.go(bob, "#/grants");
		const card = bob.page.locator(`article.grant-card[data-id="${grant}"]`);
		await card.getByRole("button", { name: "Revoke" }).click();
		await card.getByLabel("Revoke reason").fill("work is over");
		await card.getByRole("button", { name: "Confirm revoke" }).click();
		await bob.page.locator(`tr[data-id="${grant}"]`).waitFor({ timeout: 10000 });
		equal("it left the active grants", await card.count(), 0);
		const g = await server.api("GET", `/v1/grants/${grant}`, tokens.alice);
		check("the server has it revoked by bob", g.body.state === "revoked" && g.body.ended_by === "bob",
			g.text);
		await b.shots(bob, "grants-03-revoked");
	});
});
