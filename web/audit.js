/*
 * audit.js - the audit page (admins and auditors): the trail with its
 * filters, chain verification and CSV export, and the compliance
 * report for a period (GET /v1/report, downloaded as a file).
 */
"use strict";

(function () {
	var JG = window.JG;
	var h = JG.h;
	var U = JG.ui;
	var errorBox = U.errorBox;
	var toast = U.toast;
	var reconcile = U.reconcile;
	var pageHead = U.pageHead;

	/* every type the server records (tests/e2e/test_api_doc.sh) */
	var EVENT_TYPES = ["request.created", "review.recorded", "request.approved",
		"request.denied", "request.cancelled", "request.expired",
		"request.post_reviewed", "grant.issued", "grant.revoked",
		"grant.completed", "grant.expired", "grant.extended",
		"grant.consumed", "grant.used", "grant.token_issued", "ssh_cert.issued",
		"execution.started", "execution.succeeded", "execution.failed",
		"execution.unknown", "keys.rotated", "alert.break_glass",
		"alert.raised", "alert.acknowledged",
		"session.opened", "session.closed", "session.ended", "signin.refused",
		"policy.reloaded",
		"policy.reload_refused", "token.created", "token.revoked",
		"token.reactivated", "audit.checkpoint_failed", "audit.verify_failed",
		"server.started", "workload.authenticated", "workload.refused",
		"credentials.issued", "credentials.revoked"];

	/* The filters take local times: say which zone they are in. */
	function zoneHint() {
		var now = new Date();
		var name = JG.zoneName();
		return "Your local time, " + JG.zoneOf(now) + (name && name !== "UTC" ? " (" + name + ")" : "") +
			"; sent to the server in UTC.";
	}

	/* yyyy-mm-dd of d in UTC, as the report takes its period */
	function utcDay(d) {
		return d.toISOString().slice(0, 10);
	}

	/* The compliance report for a period: dates in UTC (the whole days),
	 * the format, and a link the browser downloads with the session. */
	function reportCard() {
		var now = new Date();
		var q0 = new Date(Date.UTC(now.getUTCFullYear(), Math.floor(now.getUTCMonth() / 3) * 3, 1));
		var since = h("input", {type: "date", name: "report-since", value: utcDay(q0)});
		var until = h("input", {type: "date", name: "report-until", value: utcDay(now)});
		var format = h("select", {name: "report-format"},
			h("option", {value: "html"}, "HTML (printable)"), h("option", {value: "json"}, "JSON"),
			h("option", {value: "csv"}, "CSV (grants)"));
		var link = h("a", {class: "btn", dataset: {action: "report"}}, "Download compliance report");
		function update() {
			link.setAttribute("href", "/v1/report" + JG.query({since: since.value, until: until.value,
				format: format.value}));
			link.setAttribute("download", "jitgate-report-" + since.value + "-" + until.value + "." + format.value);
		}
		var card = h("form", {class: "card filters", "aria-label": "compliance report"},
			h("div", {class: "form-grid cols-3"},
				JG.field("Report from", since, "UTC day, included"),
				JG.field("Report to", until, "UTC day, included"),
				JG.field("Format", format)),
			h("div", {class: "btn-row"}, link));
		card.addEventListener("input", update);
		card.addEventListener("change", update);
		card.addEventListener("submit", function (ev) { ev.preventDefault(); });
		update();
		return card;
	}

	function auditPage(el) {
		if (!JG.seesAll()) {
			el.append(pageHead("Audit trail"),
				h("div", {class: "alert alert-info"}, "The audit trail is for admins and auditors."));
			return {refresh: function () { return Promise.resolve(); }};
		}
		var actor = h("input", {type: "text", name: "actor", autocomplete: "off", placeholder: "alice"});
		var type = h("select", {name: "type"}, h("option", {value: ""}, "any type"),
			EVENT_TYPES.map(function (t) { return h("option", {value: t}, t); }));
		var subject = h("input", {type: "text", name: "subject", autocomplete: "off",
			placeholder: "req_… or grt_…", class: "mono"});
		var resource = h("input", {type: "text", name: "resource", autocomplete: "off",
			placeholder: "prod-db"});
		var order = h("select", {name: "order"},
			h("option", {value: "desc"}, "Newest first"), h("option", {value: "asc"}, "Oldest first"));
		var since = h("input", {type: "datetime-local", name: "since", step: "1"});
		var until = h("input", {type: "datetime-local", name: "until", step: "1"});
		var search = h("button", {type: "submit", class: "btn btn-primary"}, "Search");
		var verify = h("button", {type: "button", class: "btn", dataset: {action: "verify"}}, "Verify chain");
		var exportLink = h("a", {class: "btn", href: "/v1/audit/export",
			download: "jitgate-audit.ndjson", dataset: {action: "export-ndjson"}}, "Export JSON lines");
		var csvBtn = h("button", {type: "button", class: "btn", dataset: {action: "export-csv"}}, "Export CSV");
		var verifyOut = h("div", {class: "verify-out", "aria-live": "polite"});
		var tbody = h("tbody", {});
		var status = h("div", {});
		var more = h("button", {type: "button", class: "btn btn-quiet hidden"}, "Load more");
		var count = h("p", {class: "muted small", "aria-live": "polite"});
		var form = h("form", {class: "card filters", "aria-label": "audit search"},
			h("div", {class: "form-grid cols-3"},
				JG.field("Actor", actor), JG.field("Type", type),
				JG.field("Subject", subject, "a request, grant or token id"),
				JG.field("Resource", resource, "events of requests and grants on it"),
				JG.field("Since", since, zoneHint()), JG.field("Until", until, zoneHint()),
				JG.field("Order", order)),
			h("div", {class: "btn-row"}, search, verify, exportLink, csvBtn));
		el.append(pageHead("Audit trail", "Every state change, hash-chained. Verify the chain, search and export evidence."),
			form, reportCard(), verifyOut, status, count,
			h("div", {class: "table-wrap"}, h("table", {class: "table audit-table"},
				h("thead", {}, h("tr", {}, ["Seq", "Time", "Actor", "Type", "Subject", "Details"].map(function (t) {
					return h("th", {scope: "col"}, t); }))), tbody)), more);

		var events = [];    /* loaded, server-filtered */
		var cursor = null;
		var pages = 1;
		var applied = null; /* the filters of the last search */

		function filters() {
			return {actor: actor.value.trim(), type: type.value, subject: subject.value.trim(),
				since: JG.localToUtc(since.value), until: JG.localToUtc(until.value)};
		}

		function updateExport() {
			exportLink.setAttribute("href", "/v1/audit/export" + JG.query(filters()));
		}
		form.addEventListener("input", updateExport);
		form.addEventListener("change", updateExport);

		/* The resource filter: subjects whose events name the resource. */
		function byResource(list, want) {
			if (!want)
				return list;
			var subjects = {};
			list.forEach(function (e) {
				var d = e.details || {};
				if (d.resource === want) {
					subjects[e.subject] = true;
					if (d.request_id)
						subjects[d.request_id] = true;
				}
			});
			return list.filter(function (e) { return subjects[e.subject]; });
		}

		function row(e) {
			var subj = "—";
			if (e.subject) {
				var only = h("button", {type: "button", class: "btn btn-small btn-quiet filter-subject",
					title: "show only this subject", "aria-label": "filter: only " + e.subject}, "filter");
				only.addEventListener("click", function () {
					subject.value = e.subject;
					updateExport();
					load(true);
				});
				subj = h("span", {class: "subject-cell"}, U.subjectLink(e), " ", only);
			}
			var full = JSON.stringify(e.details || {}, null, 2);
			return h("tr", {dataset: {seq: e.seq}},
				h("td", {"data-label": "Seq", class: "num"}, String(e.seq)),
				h("td", {"data-label": "Time"}, JG.timeEl(e.time)),
				h("td", {"data-label": "Actor"}, e.actor),
				h("td", {"data-label": "Type"}, h("span", {class: "evt evt-" + e.type.split(".")[0]}, e.type)),
				h("td", {"data-label": "Subject"}, subj),
				h("td", {"data-label": "Details", class: "details-cell"},
					h("details", {}, h("summary", {}, U.detailsSummary(e.details) || "details"),
						h("pre", {class: "json"}, full))));
		}

		function render() {
			var shown = byResource(events, applied.resource);
			reconcile(tbody, shown.map(function (e) { return Object.assign({id: String(e.seq)}, e); }), row);
			count.textContent = shown.length + " event" + (shown.length === 1 ? "" : "s") +
				(applied.order === "asc" ? ", oldest first" : ", newest first") +
				(cursor ? " (more below: Load more)" : "");
			more.classList.toggle("hidden", !cursor);
		}

		function load(reset) {
			if (reset || !applied) {
				pages = 1;
				applied = filters();
				applied.resource = resource.value.trim();
				applied.order = order.value;
			}
			var q = Object.assign({}, applied, {resource: null, limit: 200 * pages});
			return JG.api("GET", "/v1/audit", {query: q}).then(function (res) {
				JG.clear(status);
				events = res.items || [];
				cursor = res.next_cursor;
				render();
			}, function (err) {
				JG.clear(status).appendChild(errorBox(err));
			});
		}

		more.addEventListener("click", function () {
			if (!cursor)
				return;
			more.disabled = true;
			JG.api("GET", "/v1/audit", {query: Object.assign({}, applied, {resource: null, limit: 200, cursor: cursor})})
				.then(function (res) {
					more.disabled = false;
					pages++;
					events = events.concat(res.items || []);
					cursor = res.next_cursor;
					render();
				}, function (err) { more.disabled = false; toast(err.message, "error"); });
		});

		form.addEventListener("submit", function (ev) {
			ev.preventDefault();
			load(true);
		});

		verify.addEventListener("click", function () {
			verify.disabled = true;
			JG.clear(verifyOut);
			JG.api("GET", "/v1/audit/verify").then(function (r) {
				verify.disabled = false;
				verifyOut.appendChild(r.ok
					? h("div", {class: "alert alert-ok verify-ok", role: "status"},
						h("strong", {}, "Chain OK"), " — " + r.count + " events verified, every hash links to the one before.")
					: h("div", {class: "alert alert-error verify-broken", role: "alert"},
						h("strong", {}, "Chain broken at seq " + r.broken_seq), " — " + (r.reason || "") +
						" (" + r.count + " events checked)"));
			}, function (err) {
				verify.disabled = false;
				verifyOut.appendChild(errorBox(err));
			});
		});

		csvBtn.addEventListener("click", function () {
			csvBtn.disabled = true;
			var f = filters();
			JG.apiAll("/v1/audit", f, 100000).then(function (all) {
				csvBtn.disabled = false;
				var cols = ["seq", "id", "time", "actor", "type", "subject", "details", "prev_hash", "hash"];
				var lines = [cols.join(",")];
				byResource(all, resource.value.trim()).forEach(function (e) {
					lines.push(cols.map(function (c) { return JG.csvCell(e[c]); }).join(","));
				});
				JG.download("jitgate-audit.csv", "text/csv;charset=utf-8", lines.join("\r\n") + "\r\n");
				toast("Exported " + (lines.length - 1) + " events as CSV");
			}, function (err) { csvBtn.disabled = false; toast(err.message, "error"); });
		});

		updateExport();
		return {refresh: function () { return load(false); }};
	}

	Object.assign(U, {
		auditPage: auditPage
	});
})();
