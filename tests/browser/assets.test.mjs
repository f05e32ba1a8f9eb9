// assets.test.mjs - the dashboard's own files in the browser (issue 16,
// point 14), in headless Chromium against a real server.
//
// On the first visit every script and style arrives gzipped with an
// ETag; on the next visit the browser only asks whether they changed,
// and gets 304s without bodies. The page still works under its strict
// CSP. Screenshots at desktop and phone size.

import { Server, run, step, check, equal } from "./harness.mjs";

const POLICY = `version: 1
resources:
  db:
    labels: {env: x}
    actions: [read]
rules:
  - name: all
    match: {resource: db}
    decision: auto
`;

const server = new Server(POLICY);

await run(server, async (b) => {
	const u = await b.user("alice");
	const token = await server.token("alice");
	const seen = [];
	u.page.on("response", async (res) => {
		const url = new URL(res.url());
		if (url.pathname.startsWith("/assets/") || url.pathname === "/")
			seen.push({ path: url.pathname, status: res.status(), headers: await res.allHeaders() });
	});

	await step("the first visit: gzipped, tagged, kept", async () => {
		await b.signIn(u, token);
		const js = seen.filter((s) => /\.(js|css)$/.test(s.path));
		check("every script and style was loaded", js.length >= 9, JSON.stringify(js.map((s) => s.path)));
		for (const s of js) {
			check(`${s.path}: gzipped, tagged, no-cache`, s.status === 200 &&
				s.headers["content-encoding"] === "gzip" && /-gz"$/.test(s.headers.etag || "") &&
				s.headers["cache-control"] === "no-cache", JSON.stringify({ status: s.status, h: s.headers }));
		}
		await b.shots(u, "assets-01-first-visit");
	});

	await step("the next visit: 304s", async () => {
		seen.length = 0;
		await u.page.reload();
		await u.page.locator(".topbar .who-name").waitFor({ timeout: 10000 });
		const js = seen.filter((s) => /\.(js|css)$/.test(s.path));
		check("the files were asked for again", js.length >= 9, JSON.stringify(js.map((s) => s.path)));
		const fresh = js.filter((s) => s.status !== 304);
		equal("every one answered 304 (not modified)", fresh.length, 0);
		const who = await u.page.locator(".who-name").textContent();
		equal("and the page works from what it kept", who, "alice");
	});
});
