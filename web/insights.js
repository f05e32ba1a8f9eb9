/*
 * insights.js - the Insights page (admins and auditors): the tuning advice
 * of GET /v1/insights for a period, each suggestion with its evidence,
 * its policy change as a diff and the replay of that change. The advice
 * replays policies on the server, so the page asks only when the period
 * is chosen (and once on opening), never on the dashboard's poll.
 */
"use strict";

(function () {
	var JG = window.JG;
	var h = JG.h;
	var U = JG.ui;

	var KINDS = {
		auto_approve: "Always approved",
		shorter_max_duration: "Shorter maximum",
		slow_approver: "Slow approver",
		slow_step: "Slow step",
		expired_undecided: "Expired undecided",
		denial_reason: "Frequent denial",
		unused_rule: "Unused rule",
		unused_resource: "Unused resource"
	};

	function evidence(ev) {
		var keys = Object.keys(ev || {});
		if (!keys.length)
			return null;
		return h("dl", {class: "evidence"}, keys.map(function (k) {
			var v = ev[k];
			var shown = /_s$/.test(k) ? JG.fmtDuration(v * 1000) : String(v);
			return h("div", {}, h("dt", {}, k.replace(/_s$/, "").replace(/_/g, " ")), h("dd", {}, shown));
		}));
	}

	function change(s) {
		if (!s.change)
			return s.change_note ? h("p", {class: "muted small"}, "No change: " + s.change_note) : null;
		var r = s.replay || {};
		var replay = r.error ? "Replay failed: " + r.error :
			"Replayed from the period's start to now: " + r.changed + " of " + r.total +
			" past requests would have been decided differently" +
			(r.skipped ? " (" + r.skipped + " skipped)" : "") +
			(r.changed_in_period !== undefined && r.changed_in_period !== r.changed ?
				", " + r.changed_in_period + " of them in the period" : "") + ".";
		return h("div", {class: "change"},
			h("p", {class: "small"}, "Policy change: rule " + s.change.rule + ", " + s.change.key + ": " +
				(s.change.old || "(default)") + " → " + s.change.new),
			h("pre", {class: "json diff", "aria-label": "policy change"}, (s.change.diff || []).join("\n")),
			h("p", {class: "small replay"}, replay));
	}

	function card(s) {
		return h("section", {class: "card suggestion", dataset: {kind: s.kind}},
			h("h2", {}, (KINDS[s.kind] || s.kind) + ": ", h("span", {class: "mono"}, s.subject)),
			h("p", {}, s.summary), evidence(s.evidence), change(s));
	}

	function insightsPage(el) {
		if (!JG.seesAll()) {
			el.append(U.pageHead("Insights"),
				h("div", {class: "alert alert-info"}, "Insights are for admins and auditors."));
			return {refresh: function () { return Promise.resolve(); }};
		}
		var since = h("input", {type: "date", name: "since"});
		var until = h("input", {type: "date", name: "until"});
		var go = h("button", {type: "submit", class: "btn btn-primary"}, "Show");
		var status = h("p", {class: "muted small", "aria-live": "polite"});
		var list = h("div", {class: "suggestions"});
		var form = h("form", {class: "card filters", "aria-label": "insights period"},
			h("div", {class: "form-grid cols-3"},
				JG.field("Since (UTC date)", since, "Empty: 30 days before until."),
				JG.field("Until (UTC date, excluded)", until, "Empty: now."),
				h("div", {class: "field"}, go)));
		el.append(U.pageHead("Insights", "Tuning advice from the period's history; each policy change is replayed."),
			form, status, list);

		function load() {
			go.disabled = true;
			status.textContent = "Working out the advice…";
			JG.clear(list);
			var q = {};
			if (since.value)
				q.since = since.value;
			if (until.value)
				q.until = until.value;
			return JG.api("GET", "/v1/insights", {query: q}).then(function (d) {
				go.disabled = false;
				status.textContent = d.requests + " request" + (d.requests === 1 ? "" : "s") + " from " +
					d.since + " to " + d.until + "; " + d.suggestions.length + " suggestion" +
					(d.suggestions.length === 1 ? "" : "s") + ".";
				if (!d.suggestions.length)
					list.appendChild(U.emptyState("Nothing to suggest for this period."));
				d.suggestions.forEach(function (s) { list.appendChild(card(s)); });
			}, function (err) {
				go.disabled = false;
				status.textContent = "";
				list.appendChild(U.errorBox(err));
			});
		}
		form.addEventListener("submit", function (ev) {
			ev.preventDefault();
			load();
		});
		load();
		return {refresh: function () { return Promise.resolve(); }};
	}

	Object.assign(U, {
		insightsPage: insightsPage
	});
})();
