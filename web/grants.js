/*
 * grants.js - the grants page: live grants with their countdowns and
 * controls (revoke, done), and the recently ended.
 */
"use strict";

(function () {
	var JG = window.JG;
	var h = JG.h;
	var U = JG.ui;
	var badge = U.badge;
	var kv = U.kv;
	var code = U.code;
	var reqLink = U.reqLink;
	var emptyState = U.emptyState;
	var errorBox = U.errorBox;
	var toast = U.toast;
	var reconcile = U.reconcile;
	var pageHead = U.pageHead;

	/* Revoke with a reason: the first click asks, the second confirms. */
	function revokeControl(g, after) {
		var wrap = h("div", {class: "revoke"});
		var btn = h("button", {type: "button", class: "btn btn-small btn-deny",
			dataset: {action: "revoke"}}, "Revoke");
		wrap.appendChild(btn);
		btn.addEventListener("click", function () {
			var reason = h("input", {type: "text", placeholder: "why (optional)",
				dataset: {keep: "revoke-reason"}, maxlength: "500"});
			var ok = h("button", {type: "button", class: "btn btn-small btn-deny",
				dataset: {action: "confirm-revoke"}}, "Confirm revoke");
			var no = h("button", {type: "button", class: "btn btn-small btn-quiet"}, "Keep");
			JG.clear(wrap).append(JG.field("Revoke reason", reason), h("div", {class: "btn-row"}, ok, no));
			reason.focus();
			no.addEventListener("click", function () {
				JG.clear(wrap).appendChild(btn);
				btn.focus();
			});
			ok.addEventListener("click", function () {
				ok.disabled = true;
				var body = reason.value.trim() ? {reason: reason.value.trim()} : {};
				JG.api("POST", "/v1/grants/" + encodeURIComponent(g.id) + "/revoke", {body: body})
					.then(function () { toast("Revoked " + g.id, "warn"); after(); },
						function (err) { ok.disabled = false; toast(err.message, "error"); });
			});
		});
		return wrap;
	}

	/*
	 * The holder, an admin, and the approvers of its request may revoke a
	 * grant. Callers who do not see everything see only their own grants
	 * and those of requests they approve, so for them every grant they
	 * see is theirs to revoke; auditors see all and revoke none. The
	 * server has the final word.
	 */
	function mayRevoke(g) {
		return g.principal === JG.me() || JG.hasRole("admin") || !JG.seesAll();
	}

	function grantCard(g, after) {
		var holder = g.principal === JG.me();
		var actions = h("div", {class: "btn-row"});
		if (g.state === "active") {
			if (mayRevoke(g))
				actions.appendChild(revokeControl(g, after));
			if (holder) {
				var done = h("button", {type: "button", class: "btn btn-small",
					dataset: {action: "done"}}, "Done");
				done.addEventListener("click", function () {
					done.disabled = true;
					JG.api("POST", "/v1/grants/" + encodeURIComponent(g.id) + "/done", {})
						.then(function () { toast("Marked " + g.id + " done"); after(); },
							function (err) { done.disabled = false; toast(err.message, "error"); });
				});
				actions.appendChild(done);
				actions.appendChild(extendControl(g, after));
			}
		}
		return h("article", {class: "card grant-card", dataset: {id: g.id}, "aria-label": "grant " + g.id},
			h("header", {class: "card-head"},
				h("div", {class: "card-title"},
					h("h3", {}, code(g.resource), " ", h("span", {class: "action"}, g.action)),
					h("div", {class: "sub"}, "held by ", h("strong", {}, g.principal), " · ",
						h("span", {class: "mono"}, g.id))),
				/* scheduled access: active, but nothing allowed before its start */
				h("div", {class: "card-state"},
					g.scheduled ? h("span", {class: "badge st-pending"}, "scheduled") : badge(g.state),
					g.state === "active" && !g.scheduled ? JG.countdown(g.expires_at, "expired") : null)),
			kv([["Starts at", g.scheduled ? JG.timeEl(g.not_before) : null],
				["Expires", JG.timeEl(g.expires_at)], ["Issued", JG.timeEl(g.created_at)],
				["Uses left", g.uses_left === null ? "unlimited" : String(g.uses_left)],
				["Request", reqLink(g.request_id)],
				["Payload hash", U.hashEl(g.payload_sha256, 16)],
				["Extensions", g.extensions ? String(g.extensions) : null]]),
			g.payload_sha256 ? payloadView(g) : null,
			actions);
	}

	/*
	 * The payload the grant binds, read from its request when opened (the
	 * grant itself carries only the hash).
	 */
	function payloadView(g) {
		var body = h("div", {}, h("p", {class: "muted small"}, "Loading…"));
		var d = h("details", {class: "more grant-payload", dataset: {keep: "payload"}},
			h("summary", {}, "Payload"), body);
		d.addEventListener("toggle", function () {
			if (!d.open || body.dataset.loaded)
				return;
			JG.api("GET", "/v1/requests/" + encodeURIComponent(g.request_id)).then(function (r) {
				body.dataset.loaded = "1";
				JG.clear(body).appendChild(r.payload ? JG.payloadBlock(r.payload, r.action)
					: h("p", {class: "muted"}, "No payload text (parameters only)."));
			}, function (err) {
				JG.clear(body).appendChild(errorBox(err));
			});
		});
		return d;
	}

	/*
	 * Ask for more time on a live grant (the holder only): the extension
	 * is a request, screened like any other; the answer says whether it
	 * was granted at once or waits for approvers.
	 */
	function extendControl(g, after) {
		var wrap = h("div", {class: "extend"});
		var btn = h("button", {type: "button", class: "btn btn-small", dataset: {action: "extend"}}, "Extend…");
		wrap.appendChild(btn);
		btn.addEventListener("click", function () {
			var duration = h("input", {type: "text", placeholder: "30m", autocomplete: "off",
				dataset: {keep: "extend-duration"}});
			var reason = h("input", {type: "text", maxlength: "1000", placeholder: "why you need more time",
				dataset: {keep: "extend-reason"}});
			var ok = h("button", {type: "button", class: "btn btn-small btn-primary",
				dataset: {action: "confirm-extend"}}, "Ask for more time");
			var no = h("button", {type: "button", class: "btn btn-small btn-quiet"}, "Cancel");
			var errors = U.fieldErrors();
			JG.clear(wrap).append(JG.field("Extra time (optional)", duration, "default: what the rule still allows"),
				JG.field("Reason", reason), h("div", {class: "btn-row"}, ok, no));
			reason.focus();
			no.addEventListener("click", function () {
				JG.clear(wrap).appendChild(btn);
				btn.focus();
			});
			ok.addEventListener("click", function () {
				errors.clear();
				if (!reason.value.trim()) {
					errors.set(reason, "Say why: the approvers read it.");
					reason.focus();
					return;
				}
				var body = {reason: reason.value.trim()};
				if (duration.value.trim())
					body.duration = duration.value.trim();
				ok.disabled = true;
				JG.api("POST", "/v1/grants/" + encodeURIComponent(g.id) + "/extend", {body: body}).then(function (res) {
					if (res.extended)
						toast("Extended " + g.id + " until " + JG.fmtTime((res.grant || {}).expires_at || ""));
					else {
						var req = res.request || res;
						toast("Extension " + req.id + " is " + req.state +
							(req.state === "pending" ? ": approvers decide" : ""), req.state === "denied" ? "error" : "ok");
					}
					after();
				}, function (err) {
					ok.disabled = false;
					errors.set(err.type === "duration-too-long" ? duration : reason, err.message);
				});
			});
		});
		return wrap;
	}

	/* Grants: active ones with countdowns, and the recently ended. */
	function grantsPage(el) {
		var list = h("div", {class: "cards grid-2"});
		var ended = h("tbody", {});
		var status = h("div", {});
		var endedWrap = h("section", {class: "hidden"}, h("h2", {}, "Recently ended"),
			h("div", {class: "table-wrap"}, h("table", {class: "table"},
				h("thead", {}, h("tr", {}, ["Grant", "Holder", "Resource", "State", "Ended", "By", "Reason"].map(function (t) {
					return h("th", {scope: "col"}, t); }))), ended)));
		el.append(pageHead("Active grants", JG.seesAll()
			? "Every active grant. Each one ends by itself at its expiry."
			: "Your active grants and those of the requests you approve. Each one ends by itself at its expiry."),
			status, list, endedWrap);

		function refresh() {
			return JG.api("GET", "/v1/grants", {query: {limit: 200}}).then(function (res) {
				JG.clear(status);
				var items = res.items || [];
				var active = items.filter(function (g) { return g.state === "active"; });
				reconcile(list, active, function (g) { return grantCard(g, refresh); });
				if (!active.length && !list.querySelector(".empty-state"))
					list.appendChild(emptyState("No active grants."));
				else if (active.length)
					list.querySelectorAll(".empty-state").forEach(function (e) { e.remove(); });
				var gone = items.filter(function (g) { return g.state !== "active"; }).slice(0, 50);
				endedWrap.classList.toggle("hidden", !gone.length);
				reconcile(ended, gone, function (g) {
					return h("tr", {dataset: {id: g.id}},
						h("td", {"data-label": "Grant"}, h("span", {class: "mono"}, g.id)),
						h("td", {"data-label": "Holder"}, g.principal),
						h("td", {"data-label": "Resource"}, code(g.resource), " ", g.action),
						h("td", {"data-label": "State"}, badge(g.state)),
						h("td", {"data-label": "Ended"}, JG.timeEl(g.ended_at)),
						h("td", {"data-label": "By"}, g.ended_by || "—"),
						h("td", {"data-label": "Reason"}, g.end_reason || "—"));
				});
			}, function (err) {
				JG.clear(status).appendChild(errorBox(err));
			});
		}
		return {refresh: refresh};
	}

	Object.assign(U, {
		revokeControl: revokeControl,
		grantCard: grantCard,
		grantsPage: grantsPage
	});
})();
