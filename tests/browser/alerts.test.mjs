// alerts.test.mjs - the dashboard's Alerts view (issue 15, section 1), in
// headless Chromium against a real server.
//
// alice asks three times in a row under a policy whose burst_principal
// detector fires at three: one alert. The admin's Alerts page shows it
// with its severity; "Events behind it" lists the three request.created
// events, each linked to its request. Acknowledging needs a comment:
// without one nothing is sent; with one it leaves the open alerts and is
// listed as acknowledged with the comment. An auditor sees the alerts but
// no Acknowledge. No serious accessibility violation (axe). Screenshots
// at desktop and phone size.

import { Server, run, step, check, equal } from "./harness.mjs";

const POLICY = `version: 1
resources:
  lab: {actions: [read]}
rules:
  - name: lab
    match: {resource: lab}
    decision: auto
    max_duration: 10m
alerts:
  burst_principal: {threshold: 3, window: 1h, severity: high}
`;

const server = new Server(POLICY);

await run(server, async (b) => {
	const tokens = {
		alice: await server.token("alice"),
		audrey: await server.token("audrey", [], ["auditor"]),
	};
	for (let i = 0; i < 3; i++)
		await server.api("POST", "/v1/requests", tokens.alice,
			{ resource: "lab", action: "read", reason: "lab work, run " + i });
	// the server feeds the detectors on a thread of its own: wait for it
	let list;
	for (let i = 0; i < 100; i++) {
		list = await server.api("GET", "/v1/alerts", server.admin);
		if (list.body.alerts.length)
			break;
		await new Promise((r) => setTimeout(r, 100));
	}
	equal("one alert raised", list.body.alerts.length, 1);
	const id = list.body.alerts[0].id;

	const admin = await b.user("admin");
	const audrey = await b.user("audrey");
	const card = (u) => u.page.locator(`article.alert-card[data-id="${id}"]`);

	await step("the admin's Alerts page shows the alert with its severity", async () => {
		await b.signIn(admin, server.admin);
		await b.go(admin, "#/alerts");
		await card(admin).waitFor({ timeout: 10000 });
		check("severity high", (await card(admin).locator(".sev-high").count()) === 1);
		check("its kind and subject", (await card(admin).textContent()).includes("burst_principal")
			&& (await card(admin).textContent()).includes("alice"));
		await b.shots(admin, "alerts-01-open");
	});

	await step("the events behind it are listed and linked", async () => {
		await card(admin).getByRole("button", { name: /Events behind it/ }).click();
		const items = card(admin).locator(".alert-events li");
		await items.first().waitFor({ timeout: 10000 });
		equal("three events", await items.count(), 3);
		equal("each links to its request", await card(admin).locator(".alert-events a[href^='#/request/req_']").count(), 3);
		await b.shots(admin, "alerts-02-events");
		await b.axe(admin, "the Alerts page");
	});

	await step("acknowledging needs a comment", async () => {
		await card(admin).getByRole("button", { name: "Acknowledge" }).click();
		const still = await server.api("GET", "/v1/alerts?state=open", server.admin);
		equal("still open without a comment", still.body.alerts.length, 1);
		await card(admin).getByLabel("Comment").fill("lab load test, expected");
		await card(admin).getByRole("button", { name: "Acknowledge" }).click();
		await admin.page.locator(".page-alerts .empty-state").waitFor({ timeout: 10000 });
		const acked = await server.api("GET", "/v1/alerts?state=acknowledged", server.admin);
		equal("the server has it acknowledged", acked.body.alerts.length, 1);
		equal("with the comment", acked.body.alerts[0].acknowledgement.comment, "lab load test, expected");
		await admin.page.getByLabel("Show").selectOption("acknowledged");
		await card(admin).waitFor({ timeout: 10000 });
		check("listed with its comment", (await card(admin).textContent()).includes("lab load test, expected"));
		await b.shots(admin, "alerts-03-acknowledged");
	});

	await step("an auditor sees alerts but cannot acknowledge", async () => {
		await b.signIn(audrey, tokens.audrey);
		await b.go(audrey, "#/alerts");
		await audrey.page.getByLabel("Show").selectOption("");
		await card(audrey).waitFor({ timeout: 10000 });
		equal("no Acknowledge button", await card(audrey).getByRole("button", { name: "Acknowledge" }).count(), 0);
	});
});
