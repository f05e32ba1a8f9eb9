/*
 * alerts.js - the Alerts page (admins and auditors; docs/alerts.md): the
 * alerts the detectors raised, newest first, with their severity, the
 * audit events behind each, and, for admins, acknowledgement with a
 * comment (required, like the server says).
 */
"use strict";

(function () {
	var JG = window.JG;
	var h = JG.h;
	var U = JG.ui;
	var emptyState = U.emptyState;
	var errorBox = U.errorBox;
	var toast = U.toast;
	var reconcile = U.reconcile;
	var pageHead = U.pageHead;
	var kv = U.kv;

	var SEVERITY_CLASS = {low: "st-cancelled", medium: "st-pending", high: "st-denied",
		critical: "st-denied"};

	function severityBadge(s) {
		return h("span", {class: "badge sev-" + s + " " + (SEVERITY_CLASS[s] || "")}, s);
	}

	/* An event behind the alert: its subject links to the request when
	 * it is one, else it is shown as it is. */
	function eventRow(e) {
		var subj = e.subject && e.subject.indexOf("req_") === 0 ? U.reqLink(e.subject)
			: h("span", {class: "mono"}, e.subject || "—");
		return h("li", {dataset: {id: e.id}}, JG.timeEl(e.time), " ",
			h("span", {class: "mono"}, e.type), " by ", e.actor, " · ", subj);
	}

	/* The events behind a, read from the trail up to the alert's time
	 * (the newest 500 before it: every window ends there). */
	function showEvents(a, box) {
		var until = new Date(Date.parse(a.time) + 1000).toISOString().replace(/\.\d+Z$/, "Z");
		var want = {};
		a.events.forEach(function (id) { want[id] = true; });
		JG.api("GET", "/v1/audit", {query: {until: until, order: "desc", limit: 500}}).then(function (res) {
			var found = (res.items || []).filter(function (e) { return want[e.id]; });
			JG.clear(box).appendChild(h("ul", {class: "alert-events"}, found.map(eventRow)));
			if (found.length < a.events.length)
				box.appendChild(h("p", {class: "muted"}, (a.events.length - found.length) +
					" more: " + a.events.filter(function (id) {
						return !found.some(function (e) { return e.id === id; });
					}).join(", ")));
		}, function (err) { JG.clear(box).appendChild(errorBox(err)); });
	}

	function ackControl(a, after) {
		var wrap = h("div", {class: "ack"});
		var comment = h("input", {type: "text", placeholder: "what was done about it",
			maxlength: "1000", required: true, dataset: {keep: "ack-comment-" + a.id}});
		var btn = h("button", {type: "button", class: "btn btn-small btn-primary",
			dataset: {action: "acknowledge"}}, "Acknowledge");
		wrap.append(JG.field("Comment", comment), h("div", {class: "btn-row"}, btn));
		btn.addEventListener("click", function () {
			if (!comment.value.trim()) {
				toast("A comment is required to acknowledge an alert", "error");
				comment.focus();
				return;
			}
			btn.disabled = true;
			JG.api("POST", "/v1/alerts/" + encodeURIComponent(a.id) + "/acknowledge",
				{body: {comment: comment.value.trim()}})
				.then(function () { toast("Acknowledged " + a.id); after(); },
					function (err) { btn.disabled = false; toast(err.message, "error"); });
		});
		return wrap;
	}

	function alertCard(a, after) {
		var events = h("div", {class: "alert-events-box"});
		var show = h("button", {type: "button", class: "btn btn-small btn-quiet",
			dataset: {action: "events"}}, "Events behind it (" + a.events.length + ")");
		show.addEventListener("click", function () {
			show.disabled = true;
			showEvents(a, events);
		});
		var ack = a.acknowledgement;
		return h("article", {class: "card alert-card", dataset: {id: a.id, state: a.state},
			"aria-label": a.kind + " alert " + a.id},
			h("div", {class: "card-head"}, severityBadge(a.severity), " ",
				h("strong", {}, a.kind), " ", h("span", {class: "badge " + (a.state === "open" ? "st-pending" : "st-cancelled")}, a.state)),
			h("p", {class: "summary"}, a.summary),
			kv([["Subject", h("span", {class: "mono"}, a.subject)], ["Raised", JG.timeEl(a.time)],
				["Alert", h("span", {class: "mono"}, a.id)],
				ack ? ["Acknowledged", [ack.by, " · ", JG.timeEl(ack.at), " · ", ack.comment]] : null]),
			h("div", {class: "btn-row"}, show), events,
			a.state === "open" && JG.hasRole("admin") ? ackControl(a, after) : null);
	}

	function alertsPage(el) {
		var state = h("select", {name: "state"},
			h("option", {value: "open"}, "open"),
			h("option", {value: "acknowledged"}, "acknowledged"),
			h("option", {value: ""}, "all"));
		var list = h("div", {class: "cards"});
		var status = h("div", {});
		el.append(pageHead("Alerts", "Unusual patterns in the audit trail (docs/alerts.md)",
			JG.field("Show", state)), status, list);

		function refresh() {
			var q = state.value ? {state: state.value} : {};
			return JG.api("GET", "/v1/alerts", {query: q}).then(function (res) {
				JG.clear(status);
				var items = res.alerts || [];
				list.querySelectorAll(".empty-state").forEach(function (e) { e.remove(); });
				reconcile(list, items, function (a) { return alertCard(a, refresh); });
				if (!items.length)
					list.appendChild(emptyState(state.value === "open" ? "No open alerts." : "No alerts."));
			}, function (err) {
				JG.clear(status).appendChild(errorBox(err));
			});
		}
		state.addEventListener("change", function () { JG.clear(list); refresh(); });
		return {refresh: refresh};
	}

	Object.assign(U, {alertsPage: alertsPage});
})();
