// report.test.mjs - the compliance evidence report (issue 15 section 2) in
// headless Chromium: an auditor downloads it from the audit page, the
// file opens on its own (file://) with no request beyond itself, shows
// every control and its three charts, and prints (print media emulated)
// with each section on a page of its own. Screenshots of both.

import fs from "node:fs";
import path from "node:path";
import { Server, run, step, check, equal, artifacts } from "./harness.mjs";

const POLICY = `version: 1
groups:
  dba: {members: [bob]}
  oncall: {members: [olga]}
resources:
  staging-db: {labels: {env: staging}, actions: [sql.read]}
  prod-db: {labels: {env: prod}, actions: [sql.read, sql.write]}
rules:
  - name: staging-auto
    match: {labels: {env: staging}}
    decision: auto
    max_duration: 1h
  - name: prod
    match: {labels: {env: prod}}
    steps: [{group: dba, count: 1}]
    max_duration: 2d
    break_glass: {group: oncall, max_duration: 30m}
`;

const CONTROLS = ["CC6.1", "CC6.2", "CC6.3", "CC7.2", "A.5.15", "A.5.18", "A.8.2", "A.8.15", "A.8.16"];
const server = new Server(POLICY);

await run(server, async (b) => {
	const tokens = {
		alice: await server.token("alice"),
		bob: await server.token("bob", ["dba"]),
		olga: await server.token("olga"),
		audra: await server.token("audra", [], ["auditor"]),
	};
	for (const reason of ["nightly report", "check a row", "INC-3 totals"])
		await server.api("POST", "/v1/requests", tokens.alice,
			{ resource: "staging-db", action: "sql.read", reason, duration: "30m" });
	const r = await server.api("POST", "/v1/requests", tokens.alice,
		{ resource: "prod-db", action: "sql.write", reason: "INC-4 <fix> & \"unfreeze\"", duration: "36h", ticket: "INC-4" });
	await server.api("POST", `/v1/requests/${r.body.id}/approve`, tokens.bob, { comment: "ok" });
	await server.api("POST", "/v1/requests", tokens.olga,
		{ resource: "prod-db", action: "sql.write", break_glass: true, reason: "INC-6 the primary is down" });

	const audra = await b.user("audra");
	const file = path.join(artifacts, "report.html");

	await step("the auditor downloads the report from the audit page", async () => {
		await b.signIn(audra, tokens.audra);
		await b.go(audra, "#/audit");
		const link = audra.page.getByRole("link", { name: "Download compliance report" });
		const [dl] = await Promise.all([audra.page.waitForEvent("download"), link.click()]);
		await dl.saveAs(file);
		const html = fs.readFileSync(file, "utf8");
		check("an HTML report", html.startsWith("<!DOCTYPE html>"), html.slice(0, 200));
		await b.shot(audra, "report-01-audit-page");
	});

	await step("it opens offline, asks for nothing, prints by section", async () => {
		const page = await audra.ctx.newPage();
		const asked = [];
		page.on("request", (q) => asked.push(q.url()));
		await page.goto("file://" + file);
		equal("no request beyond the file itself", JSON.stringify(asked), JSON.stringify(["file://" + file]));
		const text = await page.locator("body").innerText();
		for (const c of CONTROLS)
			check(`control ${c} is listed`, text.includes(c));
		equal("three charts", await page.locator("figure svg").count(), 3);
		check("the reason is shown as text, escaped", text.includes("INC-4 <fix> & \"unfreeze\""));
		check("the break-glass use is there, not reviewed", /INC-6 the primary is down[\s\S]*not reviewed/.test(text));
		equal("the grants table has the five grants", await page.locator("#grants table tbody tr").count(), 5);
		await page.setViewportSize({ width: 1280, height: 900 });
		await page.screenshot({ path: path.join(artifacts, "report-02-desktop.png"), fullPage: true });
		await page.emulateMedia({ media: "print" });
		const brk = await page.locator("#grants").evaluate((el) => getComputedStyle(el).breakBefore);
		equal("in print, a section starts a page", brk, "page");
		await page.screenshot({ path: path.join(artifacts, "report-03-print.png"), fullPage: true });
		const pdf = await page.pdf({ format: "A4" });
		check("and it prints to PDF", pdf.length > 1000);
		await page.close();
	});
});
