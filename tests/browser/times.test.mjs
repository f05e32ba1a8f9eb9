// times.test.mjs - every time says its zone (issue 16, point 9), in
// headless Chromium against a real server.
//
// The admin's browser runs in Europe/Berlin (UTC+01:00 in winter, +02:00
// in summer), bob's in UTC. The same grant's expiry reads as each one's
// local time with its zone; the audit filters say they take local times
// in that zone, and a "since" typed in Berlin time filters by the right
// instant. Screenshots at desktop and phone size.

import { Server, run, step, check, equal, PROD_READS_POLICY } from "./harness.mjs";

const POLICY = PROD_READS_POLICY;

const server = new Server(POLICY);

// "UTC+01:00" for Berlin at instant t (summer time counts).
function berlinZone(t) {
	const parts = new Intl.DateTimeFormat("en-US", { timeZone: "Europe/Berlin", timeZoneName: "longOffset" })
		.formatToParts(new Date(t));
	const z = parts.find((p) => p.type === "timeZoneName").value; // "GMT+01:00"
	return z.replace("GMT", "UTC");
}

// The datetime-local value of instant t in Berlin: "2026-12-01T18:05:00".
function berlinLocal(t) {
	const f = new Intl.DateTimeFormat("sv-SE", { timeZone: "Europe/Berlin", year: "numeric", month: "2-digit",
		day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
	return f.format(new Date(t)).replace(" ", "T");
}

await run(server, async (b) => {
	const tokens = {
		alice: await server.token("alice"),
		bob: await server.token("bob", ["dba"]),
	};
	const r = await server.api("POST", "/v1/requests", tokens.alice,
		{ resource: "prod-db", action: "sql.read", reason: "INC-3 read the orders" });
	const a = await server.api("POST", `/v1/requests/${r.body.id}/approve`, tokens.bob, {});
	const grant = a.body.grant_id;
	const g = (await server.api("GET", `/v1/grants/${grant}`, tokens.alice)).body;
	const exp = Date.parse(g.expires_at);

	const admin = await b.user("admin", undefined, { timezoneId: "Europe/Berlin" });
	const bob = await b.user("bob");

	await step("the same expiry, each in its own zone, saying so", async () => {
		await b.signIn(admin, server.admin);
		await b.go(admin, "#/grants");
		const card = admin.page.locator(`article.grant-card[data-id="${grant}"]`);
		await card.waitFor({ timeout: 10000 });
		const berlin = await card.locator("time").first().textContent();
		const want = `${berlinLocal(exp).replace("T", " ")} ${berlinZone(exp)}`;
		equal("Berlin: local time and UTC offset", berlin, want);
		await b.shots(admin, "times-01-grant-berlin");
		await b.signIn(bob, tokens.bob);
		await b.go(bob, "#/grants");
		const bcard = bob.page.locator(`article.grant-card[data-id="${grant}"]`);
		await bcard.waitFor({ timeout: 10000 });
		const utc = await bcard.locator("time").first().textContent();
		equal("UTC: says UTC", utc, g.expires_at.replace("T", " ").replace("Z", " UTC"));
		check("the exact instant is in the title", (await bcard.locator("time").first().getAttribute("title")).startsWith(g.expires_at));
	});

	await step("the audit filters say which zone they take", async () => {
		await b.go(admin, "#/audit");
		const since = admin.page.getByLabel("Since", { exact: true });
		const hint = await since.evaluate((el) => document.getElementById(el.getAttribute("aria-describedby")).textContent);
		check("the hint names the zone", hint.includes(berlinZone(Date.now())) && hint.includes("Europe/Berlin"), hint);
		check("and that the server gets UTC", /UTC\.$/.test(hint), hint);
		const rows = admin.page.locator(".page-audit tbody tr");
		await rows.first().waitFor({ timeout: 10000 });
		// a "since" an hour from now, in Berlin time: nothing yet
		await admin.page.getByLabel("Since", { exact: true }).fill(berlinLocal(Date.now() + 3600e3));
		await admin.page.getByRole("button", { name: "Search" }).click();
		await admin.page.waitForFunction(() => document.querySelectorAll(".page-audit tbody tr").length === 0,
			null, { timeout: 10000 });
		check("a since an hour ahead (Berlin time) finds nothing", true);
		// ten minutes ago, Berlin time: the events of this test
		await admin.page.getByLabel("Since", { exact: true }).fill(berlinLocal(Date.now() - 600e3));
		await admin.page.getByRole("button", { name: "Search" }).click();
		await rows.first().waitFor({ timeout: 10000 });
		check("ten minutes ago (Berlin time) finds them", (await rows.count()) > 0);
		await b.shots(admin, "times-02-audit-filters");
	});
});
