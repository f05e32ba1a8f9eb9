// breakglass.test.mjs - the review a break-glass request owes afterwards
// (issue 16, point 1), in headless Chromium against a real server.
//
// olga (oncall) approves her own emergency write under break-glass. bob
// (dba, an approver of the rule's step) finds it under "Reviews due" in
// his inbox, opens it, and records his review with a comment; it leaves
// the list and the request shows "reviewed". olga sees "review due" on
// her request but no form (nobody reviews their own); carol, in no
// group, never sees it. Screenshots at desktop and phone size.

import { Server, run, step, check, equal } from "./harness.mjs";

const POLICY = `version: 1
defaults:
  max_duration: 1h
  request_ttl: 2h
groups:
  dba:
    members: []
  oncall:
    members: []
resources:
  prod-db:
    labels: {env: prod}
    sensitivity: high
    actions: [sql.write]
rules:
  - name: prod-writes
    match: {resource: prod-db, action: sql.write}
    steps:
      - {group: dba, count: 1}
    break_glass: {group: oncall, max_duration: 30m}
`;

const server = new Server(POLICY);

await run(server, async (b) => {
	const tokens = {
		olga: await server.token("olga", ["oncall"]),
		bob: await server.token("bob", ["dba"]),
		carol: await server.token("carol"),
	};
	const made = await server.api("POST", "/v1/requests", tokens.olga, {
		resource: "prod-db", action: "sql.write", break_glass: true,
		reason: "INC-7 the primary is down, failing over by hand",
		payload: "SELECT pg_promote();", duration: "10m",
	});
	equal("olga's break-glass request is approved at once", made.body && made.body.state, "approved");
	const id = made.body.id;

	const bob = await b.user("bob");
	const olga = await b.user("olga");
	const carol = await b.user("carol");

	await step("bob finds the review due in his inbox", async () => {
		await b.signIn(bob, tokens.bob);
		const row = bob.page.locator(`.reviews-due .row-item[data-id="${id}"]`);
		await row.waitFor({ timeout: 10000 });
		check("the row says a review is due", (await row.locator(".post-review-due").count()) === 1);
		await b.shots(bob, "bg-01-reviews-due");
		await row.getByRole("link", { name: "Review…" }).click();
		await bob.page.locator(".page-request").waitFor();
	});

	await step("bob records his review on the request page", async () => {
		const card = bob.page.locator(`article.request-card[data-id="${id}"]`);
		await card.waitFor();
		check("the card names break-glass and the review due",
			(await card.locator(".card-state").textContent()).includes("review due"));
		const form = card.getByRole("region", { name: "review after break-glass" });
		await form.waitFor();
		check("no Approve button on an approved request", (await card.getByRole("button", { name: "Approve" }).count()) === 0);
		await b.shots(bob, "bg-02-review-form");
		await form.getByLabel("Comment", { exact: true }).fill("checked the failover, fine");
		await form.getByRole("button", { name: "Record review" }).click();
		await bob.page.locator(".toast", { hasText: "Recorded the review" }).waitFor();
		await card.locator(".card-state", { hasText: "reviewed" }).waitFor({ timeout: 10000 });
		equal("the form is gone once reviewed", await bob.page.locator(".post-review-form").count(), 0);
		const r = await server.api("GET", `/v1/requests/${id}`, tokens.bob);
		equal("the server has post_review done", r.body.post_review, "done");
		const ev = await server.api("GET", `/v1/audit?type=request.post_reviewed&subject=${id}`, server.admin);
		const e = (ev.body.items || [])[0] || {};
		check("the trail has bob's review with the comment",
			e.actor === "bob" && e.details && e.details.comment === "checked the failover, fine", JSON.stringify(e));
		await b.shots(bob, "bg-03-reviewed");
	});

	await step("the inbox no longer lists it", async () => {
		await b.go(bob, "#/inbox");
		await bob.page.waitForFunction(() => !document.querySelector(".reviews-due .row-item"));
		check("the reviews due section is hidden", await bob.page.locator(".reviews-due").isHidden());
	});

	await step("olga sees her review is due but cannot record it", async () => {
		const again = await server.api("POST", "/v1/requests", tokens.olga, {
			resource: "prod-db", action: "sql.write", break_glass: true,
			reason: "INC-8 the replica again, by hand", duration: "5m",
		});
		await b.signIn(olga, tokens.olga);
		await b.go(olga, `#/request/${again.body.id}`);
		const card = olga.page.locator(`article.request-card[data-id="${again.body.id}"]`);
		await card.locator(".post-review-due").waitFor({ timeout: 10000 });
		equal("no review form for the requester", await card.locator(".post-review-form").count(), 0);
		await b.go(olga, "#/inbox");
		await olga.page.locator(".page-inbox .empty-state").waitFor({ timeout: 10000 });
		check("her own break-glass request is not in her reviews due",
			await olga.page.locator(".reviews-due").isHidden());
		await b.signIn(carol, tokens.carol);
		await carol.page.locator(".page-inbox .empty-state").waitFor({ timeout: 10000 });
		check("carol, in no group, has no reviews due", await carol.page.locator(".reviews-due").isHidden());
	});
});
