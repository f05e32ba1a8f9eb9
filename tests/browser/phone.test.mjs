// phone.test.mjs - the dashboard on a 390 px phone (issue 16, point 5),
// in headless Chromium against a real server.
//
// bob (dba) opens a request by its link on his phone: the page fits the
// screen (the id in the heading wraps), every navigation link is on
// screen, and the payload's long line wraps under its own line number,
// so a soft wrap is not taken for a line break. Screenshots at desktop
// and phone size.

import { Server, run, step, check, equal, PHONE, PROD_WRITES_POLICY } from "./harness.mjs";

const POLICY = PROD_WRITES_POLICY;

// three real lines, the second far wider than a phone
const SQL = "UPDATE accounts\n" +
	"SET frozen = false, note = 'unfrozen by support after the customer called about INC-77 twice' WHERE id = 42\n" +
	"RETURNING id;";

const server = new Server(POLICY);

await run(server, async (b) => {
	const tokens = {
		alice: await server.token("alice"),
		bob: await server.token("bob", ["dba"]),
	};
	const made = await server.api("POST", "/v1/requests", tokens.alice, {
		resource: "prod-db", action: "sql.write", payload: SQL,
		reason: "INC-77 unfreeze account 42 for support",
	});
	const id = made.body.id;
	const bob = await b.user("bob", PHONE);
	const p = bob.page;

	await step("the request page fits a 390 px screen", async () => {
		await b.signIn(bob, tokens.bob);
		await b.go(bob, `#/request/${id}`);
		await p.locator(`article.request-card[data-id="${id}"]`).waitFor({ timeout: 10000 });
		const w = await p.evaluate(() => document.documentElement.scrollWidth);
		check("no sideways scrolling (scrollWidth <= 390)", w <= 390, `scrollWidth ${w}`);
		const h1 = await p.locator(".page-head h1").boundingBox();
		check("the heading with the id stays on screen", h1 && h1.x + h1.width <= 390, JSON.stringify(h1));
	});

	await step("every navigation link is on screen", async () => {
		const links = await p.locator("nav.nav a").evaluateAll((els) => els.map((a) => {
			const r = a.getBoundingClientRect();
			const nav = a.parentElement.getBoundingClientRect();
			return { text: a.textContent, left: r.left, right: r.right,
				clipped: r.right > nav.right + 0.5 || r.left < nav.left - 0.5 };
		}));
		check("four links", links.length === 4, JSON.stringify(links));
		for (const l of links)
			check(`"${l.text}" is within the screen`, l.left >= 0 && l.right <= 390 && !l.clipped, JSON.stringify(l));
	});

	await step("the payload numbers its real lines", async () => {
		const pre = p.locator(".payload");
		equal("the text is exactly the payload", await pre.textContent(), SQL);
		equal("one numbered block per real line", await pre.locator(".ln").count(), 3);
		const heights = await pre.locator(".ln").evaluateAll((els) => els.map((e) => e.getBoundingClientRect().height));
		check("the long line wraps under its one number", heights[1] > 1.8 * heights[0], JSON.stringify(heights));
		const gutter = await pre.locator(".ln").first().evaluate((e) => parseFloat(getComputedStyle(e).paddingLeft));
		check("each line leaves room for its number", gutter >= 20, String(gutter));
		const copied = await p.evaluate(() => {
			const sel = getSelection();
			sel.selectAllChildren(document.querySelector(".payload"));
			const t = sel.toString();
			sel.removeAllRanges();
			return t;
		});
		equal("copying it copies the payload, without the numbers", copied, SQL);
		await b.shots(bob, "phone-01-request");
	});
});
