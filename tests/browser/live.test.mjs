// live.test.mjs - views that never go blank, and polls that cost nothing
// while nothing changed (issue 16, point 3), in headless Chromium
// against a real server.
//
// The browser holds chosen API answers back (page.route) for as long as
// a step needs, so each check is about order, not time: the next page
// loads while the last page's poll is still held; a first visit says
// "Loading…" while its data is held; a page visited before shows at once
// while its refresh is held. Then: polls ask with If-None-Match, and the
// unchanged answers are 304s without a body. Screenshots at desktop and
// phone size.

import { Server, run, step, check, equal, PROD_WRITES_POLICY } from "./harness.mjs";

const POLICY = PROD_WRITES_POLICY;

const server = new Server(POLICY);

// Hold back the answers to the API calls that match(url) until release():
// arrived() resolves once the first such call is held.
async function hold(page, match) {
	const held = [];
	let first;
	const arrived = new Promise((r) => { first = r; });
	const handler = (route) => { held.push(route); first(); };
	const pred = (u) => match(new URL(u));
	await page.route(pred, handler);
	return {
		arrived: () => arrived,
		async release() {
			await page.unroute(pred, handler);
			for (const r of held.splice(0))
				await r.continue().catch(() => {});
		},
	};
}

const pendingList = (u) => u.pathname === "/v1/requests" && u.searchParams.get("state") === "pending";

await run(server, async (b) => {
	const tokens = {
		alice: await server.token("alice"),
		bob: await server.token("bob", ["dba"]),
	};
	const made = await server.api("POST", "/v1/requests", tokens.alice, {
		resource: "prod-db", action: "sql.write", reason: "INC-3 unlock account 42 for support",
	});
	const id = made.body.id;
	const bob = await b.user("bob");
	const card = bob.page.locator(`article.request-card[data-id="${id}"]`);

	await step("bob's inbox loads", async () => {
		await b.signIn(bob, tokens.bob);
		await card.waitFor({ timeout: 10000 });
		equal("no loading note once loaded", await bob.page.locator(".page-loading").count(), 0);
	});

	await step("a poll in flight does not hold up the next page", async () => {
		const h = await hold(bob.page, pendingList);
		await h.arrived(); // the inbox's next poll, held
		await b.go(bob, "#/grants");
		await bob.page.locator(".page-grants .empty-state").waitFor({ timeout: 10000 });
		check("the grants page loaded while the inbox poll was held", true);
		await h.release();
	});

	await step("a first visit says it is loading", async () => {
		const h = await hold(bob.page, (u) => u.pathname === "/v1/grants");
		await b.go(bob, "#/overview");
		const note = bob.page.locator(".page-overview .page-loading");
		await note.waitFor();
		equal("the loading note is a status", await note.getAttribute("role"), "status");
		equal("the page is marked busy", await bob.page.locator(".page-overview").getAttribute("aria-busy"), "true");
		await b.shots(bob, "live-01-loading");
		await h.release();
		await note.waitFor({ state: "detached", timeout: 10000 });
		check("the tiles show once loaded", await bob.page.locator(".page-overview .tile").first().isVisible());
		equal("and the page is no longer busy",
			await bob.page.locator(".page-overview").getAttribute("aria-busy"), null);
	});

	await step("a page visited before shows at once", async () => {
		const h = await hold(bob.page, (u) => u.pathname === "/v1/requests");
		await b.go(bob, "#/inbox");
		check("the request card is there while its refresh is held", await card.isVisible());
		equal("with no loading note", await bob.page.locator(".page-loading").count(), 0);
		await b.shots(bob, "live-02-back-to-inbox");
		await h.release();
	});

	await step("unchanged polls are 304s without a body", async () => {
		const seen = [];
		const on = (res) => {
			const u = new URL(res.url());
			if (pendingList(u))
				seen.push({ status: res.status(), inm: res.request().headers()["if-none-match"] || "" });
		};
		bob.page.on("response", on);
		await bob.page.waitForResponse((res) => pendingList(new URL(res.url())) && res.status() === 304,
			{ timeout: 15000 });
		bob.page.off("response", on);
		const last = seen[seen.length - 1] || {};
		check("the poll asked with If-None-Match", /^"[0-9a-f]{32}"$/.test(last.inm), JSON.stringify(seen));
		check("the card is still shown after a 304", await card.isVisible());
	});

	await step("a change comes through the next poll", async () => {
		const c = await server.api("POST", `/v1/requests/${id}/cancel`, tokens.alice, {});
		equal("alice cancels her request", c.status, 200);
		await card.waitFor({ state: "detached", timeout: 15000 });
		check("the cancelled request left bob's inbox", true);
	});
});
