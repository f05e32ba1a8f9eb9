// a11y.test.mjs - contrast and automated accessibility checks (issue 16,
// point 13), in headless Chromium against a real server.
//
// axe-core (npm, pinned in package.json) runs on every page of the
// dashboard with data on it, at desktop and phone size, in the light and
// the dark scheme: no serious or critical violation. The two contrasts
// the issue measured are checked by number too: SQL comments and "pass"
// badges reach 4.5:1 (WCAG AA). Screenshots at desktop and phone size.

import { Server, run, step, check, PHONE, DESKTOP } from "./harness.mjs";

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
      source: {cidrs: [10.0.0.0/8], mode: flag}
    steps:
      - {group: dba, count: 1}
    break_glass: {group: oncall, max_duration: 15m}
  - name: prod-reads
    match: {resource: prod-db, action: sql.read}
    steps:
      - {group: dba, count: 1}
`;

const SQL = "-- unfreeze the account\nUPDATE accounts SET frozen = false WHERE id = 42;";
const server = new Server(POLICY);

// WCAG contrast of two "rgb(r, g, b)" colours.
function contrast(a, b) {
	const lum = (c) => {
		const [r, g, bl] = c.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number).map((v) => {
			v /= 255;
			return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
		});
		return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
	};
	const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
	return (x + 0.05) / (y + 0.05);
}

// The colour of el's text and the background it is drawn on.
async function colours(loc) {
	return loc.evaluate((el) => {
		let bg = "rgba(0, 0, 0, 0)";
		for (let n = el; n && /rgba\(0, 0, 0, 0\)|transparent/.test(bg); n = n.parentElement)
			bg = getComputedStyle(n).backgroundColor;
		return { fg: getComputedStyle(el).color, bg };
	});
}

await run(server, async (b) => {
	const tokens = {
		alice: await server.token("alice"),
		bob: await server.token("bob", ["dba"]),
		olga: await server.token("olga"),
	};
	const r = await server.api("POST", "/v1/requests", tokens.alice,
		{ resource: "prod-db", action: "sql.write", payload: SQL, reason: "INC-4 unfreeze 42" });
	const read = await server.api("POST", "/v1/requests", tokens.alice,
		{ resource: "prod-db", action: "sql.read", reason: "INC-5 read the orders" });
	await server.api("POST", `/v1/requests/${read.body.id}/approve`, tokens.bob, {});
	await server.api("POST", "/v1/requests", tokens.olga,
		{ resource: "prod-db", action: "sql.write", break_glass: true, reason: "INC-6 the primary is down" });

	const bob = await b.user("bob");
	const admin = await b.user("admin");
	const p = bob.page;

	await step("the two contrasts the issue measured", async () => {
		await b.signIn(bob, tokens.bob);
		const card = p.locator(`article.request-card[data-id="${r.body.id}"]`);
		await card.waitFor({ timeout: 10000 });
		const c = await colours(card.locator(".payload .tok-comment").first());
		const cr = contrast(c.fg, c.bg);
		check(`SQL comments reach 4.5:1 (${cr.toFixed(2)}:1)`, cr >= 4.5, JSON.stringify(c));
		await card.locator("details.more summary").click();
		const pass = await colours(card.locator(".badge.chk-pass").first());
		const pr = contrast(pass.fg, pass.bg);
		check(`"pass" badges reach 4.5:1 (${pr.toFixed(2)}:1)`, pr >= 4.5, JSON.stringify(pass));
	});

	const pages = async (u, routes) => {
		for (const [route, ready] of routes) {
			await b.go(u, route);
			await u.page.locator(ready).first().waitFor({ timeout: 10000 });
			for (const [size, vp] of [["desktop", DESKTOP], ["phone", PHONE]]) {
				await u.page.setViewportSize(vp);
				await b.axe(u, `${route} (${u.name}, ${size})`);
			}
			await u.page.setViewportSize(DESKTOP);
		}
	};

	await step("axe on every page, light scheme", async () => {
		await pages(bob, [["#/inbox", "article.request-card"], ["#/mine", "form.form-card"],
			["#/grants", ".page-grants"], [`#/request/${r.body.id}`, "article.request-card"],
			["#/overview", ".tile"]]);
		await b.signIn(admin, server.admin);
		await pages(admin, [["#/audit", ".audit-table tbody tr"], ["#/grants", "article.grant-card"],
			[`#/request/${read.body.id}`, ".timeline .tl-item"]]);
		await b.shots(bob, "a11y-01-inbox");
	});

	await step("axe in the dark scheme", async () => {
		await p.emulateMedia({ colorScheme: "dark" });
		await pages(bob, [["#/inbox", "article.request-card"], [`#/request/${r.body.id}`, "article.request-card"]]);
		await b.shots(bob, "a11y-02-inbox-dark");
		await p.emulateMedia({ colorScheme: "light" });
	});

	await step("axe on the sign-in page", async () => {
		const fresh = await b.user("nobody");
		await fresh.page.goto(server.url + "/");
		await fresh.page.getByLabel("Token", { exact: true }).waitFor();
		await b.axe(fresh, "the sign-in page");
	});
});
