/*
 * requests.js - the request pages: the inbox (what waits for me) and
 * one request (my requests and the request form are in mine.js).
 */
"use strict";

(function () {
	var JG = window.JG;
	var h = JG.h;
	var U = JG.ui;
	var badge = U.badge;
	var code = U.code;
	var reqLink = U.reqLink;
	var emptyState = U.emptyState;
	var errorBox = U.errorBox;
	var reconcile = U.reconcile;
	var pageHead = U.pageHead;
	var setInboxCount = U.setInboxCount;
	var loadResources = U.loadResources;
	var mine = U.mine;
	var canReview = U.canReview;
	var requestCard = U.requestCard;
	var grantCard = U.grantCard;

	/* Inbox: pending requests waiting for me. */
	function inboxPage(el) {
		var list = h("div", {class: "cards", "aria-live": "polite"});
		var others = h("div", {class: "compact-list"});
		var othersWrap = h("section", {class: "hidden"},
			h("h2", {}, "Other pending requests you can see"),
			h("p", {class: "muted"}, "Not your turn: an earlier step is still open, you already reviewed it, or you are not in the current step's group."),
			others);
		var due = h("div", {class: "compact-list"});
		var dueWrap = h("section", {class: "hidden reviews-due", "aria-labelledby": "reviews-due-h"},
			h("h2", {id: "reviews-due-h"}, "Reviews due"),
			h("p", {class: "muted"}, "Break-glass requests their requester approved in an emergency. " +
				"Each needs someone else's review afterwards."),
			due);
		var status = h("div", {});
		var order = h("select", {name: "sort"},
			h("option", {value: "risk"}, "Riskiest first"),
			h("option", {value: "oldest"}, "Oldest first"),
			h("option", {value: "newest"}, "Newest first"));
		var resSel = h("select", {name: "resource"}, h("option", {value: ""}, "All resources"));
		var onlyFlagged = h("input", {type: "checkbox", name: "flagged"});
		var tools = h("form", {class: "triage", "aria-label": "sort and filter"},
			JG.field("Sort", order), JG.field("Resource", resSel),
			h("div", {class: "field checkbox-field"}, h("label", {}, onlyFlagged, " Flagged only")));
		tools.addEventListener("submit", function (ev) { ev.preventDefault(); });
		var last = null;
		[order, resSel, onlyFlagged].forEach(function (c) {
			c.addEventListener("change", function () { draw(last); });
		});
		el.append(pageHead("Inbox", "Pending requests waiting for your approval. Updates every few seconds."),
			status, dueWrap, tools, list, othersWrap);

		/* The requests waiting for me, filtered and in the chosen order. */
		function triage(todo) {
			var shown = todo.filter(function (r) {
				return (!resSel.value || r.resource === resSel.value) &&
					(!onlyFlagged.checked || (r.screening || []).some(function (c) { return c.result !== "pass"; }));
			});
			/* times have whole seconds: the server's order (newest
			 * first) breaks the ties */
			var older = function (a, b) {
				return (JG.parseTime(a.created_at) || 0) - (JG.parseTime(b.created_at) || 0) ||
					todo.indexOf(b) - todo.indexOf(a);
			};
			var by = {
				risk: function (a, b) { return U.risk(b) - U.risk(a) || older(a, b); },
				oldest: older,
				newest: function (a, b) { return older(b, a); }
			}[order.value];
			return shown.sort(by);
		}

		/* The resources of the requests waiting, as filter options. */
		function fillResources(todo) {
			var names = todo.map(function (r) { return r.resource; })
				.filter(function (n, i, a) { return a.indexOf(n) === i; }).sort();
			if (resSel.value && names.indexOf(resSel.value) < 0)
				names.push(resSel.value);
			var want = [""].concat(names).join("\n");
			var have = Array.prototype.map.call(resSel.options, function (o) { return o.value; }).join("\n");
			if (want === have)
				return;
			var keep = resSel.value;
			JG.clear(resSel).appendChild(h("option", {value: ""}, "All resources"));
			names.forEach(function (n) { resSel.appendChild(h("option", {value: n}, n)); });
			resSel.value = keep;
		}

		function draw(todo) {
			if (!todo)
				return;
			var shown = triage(todo);
			reconcile(list, shown, function (r) {
				return requestCard(r, {review: true, compact: true, after: function () { refresh(); }});
			});
			var note = !todo.length ? "Nothing is waiting for you. New requests appear here within a few seconds."
				: !shown.length ? "No request waiting for you matches these filters." : null;
			list.querySelectorAll(".empty-state").forEach(function (e) {
				if (e.textContent !== note)
					e.remove();
			});
			if (note && !list.querySelector(".empty-state"))
				list.appendChild(emptyState(note));
		}

		function refresh() {
			return loadResources().catch(function () { return []; }).then(function () {
				return Promise.all([
					JG.api("GET", "/v1/requests", {query: {state: "pending", limit: 200}}),
					JG.api("GET", "/v1/requests", {query: {post_review: "required", limit: 200}})
				]);
			}).then(function (both) {
					var res = both[0];
					JG.clear(status);
					var owed = (both[1].items || []).filter(function (r) { return r.can_post_review; });
					dueWrap.classList.toggle("hidden", !owed.length);
					reconcile(due, owed, reviewDueRow);
					var items = (res.items || []).filter(function (r) { return !mine(r); });
					var todo = items.filter(canReview);
					var rest = items.filter(function (r) { return !canReview(r); });
					setInboxCount(todo.length);
					fillResources(todo);
					last = todo;
					draw(todo);
					othersWrap.classList.toggle("hidden", !rest.length);
					reconcile(others, rest, compactRequest);
				}, function (err) {
					JG.clear(status).appendChild(errorBox(err));
				});
		}
		return {refresh: refresh};
	}

	/* A break-glass request owing its review, with the way to it. */
	function reviewDueRow(r) {
		var row = compactRequest(r);
		row.querySelector(".row-side").appendChild(h("a", {href: "#/request/" +
			encodeURIComponent(r.id), class: "btn btn-small btn-primary"}, "Review…"));
		return row;
	}

	/* One line per request: state, what, who, when, steps. */
	function compactRequest(r) {
		var cur = (r.steps || [])[r.current_step];
		var extra = null;
		if (r.state === "pending" && cur)
			extra = h("span", {class: "muted"}, "waiting for " +
				(cur.count - (cur.approvals || []).length) + " of " + cur.group + " · ",
				JG.countdown(r.expires_at, "expired"));
		else if (r.state === "approved" && r.grant_id)
			extra = h("span", {}, "grant ", h("a", {href: "#/grants", class: "mono grant-id"}, r.grant_id),
				r.grant_state && r.grant_state !== "active" ? " (" + r.grant_state + ")" : null);
		else if (r.state_reason)
			extra = h("span", {class: "muted"}, r.state_reason);
		return h("div", {class: "row-item", dataset: {id: r.id}},
			h("span", {class: "row-state"}, badge(r.state), U.grantEndedBadge(r), U.postReviewBadge(r)),
			h("div", {class: "row-main"},
				h("div", {}, code(r.resource), " ", h("span", {class: "action"}, r.action),
					" · ", h("span", {class: "muted"}, "by " + r.requester)),
				h("div", {class: "row-reason"}, r.reason)),
			h("div", {class: "row-side"}, extra,
				h("div", {class: "small muted"}, h("span", {title: r.created_at}, JG.ago(r.created_at)), " · ", reqLink(r.id))));
	}

	/* One request, in full. */
	function requestPage(el, id) {
		var slot = h("div", {});
		var grantSlot = h("div", {});
		var grantBox = h("div", {class: "cards"});
		var back = h("a", {href: "#/inbox", class: "btn btn-quiet btn-small"}, "← Back");
		back.addEventListener("click", function (ev) {
			if (history.length > 1) {
				ev.preventDefault();
				history.back();
			}
		});
		var timeline = h("ol", {class: "timeline"});
		var timelineWrap = h("section", {class: "hidden timeline-wrap", "aria-labelledby": "timeline-h"},
			h("h2", {id: "timeline-h"}, "Timeline"),
			h("p", {class: "muted small"}, "Everything recorded about this request and its grant, oldest first."),
			timeline);
		el.append(pageHead("Request", null, back),
			slot, grantSlot, timelineWrap);
		JG.append(JG.clear(el.querySelector("h1")), "Request " + id);
		function loadTimeline() {
			return JG.api("GET", "/v1/requests/" + encodeURIComponent(id) + "/events").then(function (res) {
				var items = (res.items || []).map(function (e) { return Object.assign({id: String(e.seq)}, e); });
				timelineWrap.classList.toggle("hidden", !items.length);
				reconcile(timeline, items, timelineItem);
			}, function () { /* the request itself says what went wrong */ });
		}

		function refresh() {
			loadTimeline();
			return JG.api("GET", "/v1/requests/" + encodeURIComponent(id)).then(function (r) {
				reconcile(slot, [r], function (x) {
					return requestCard(x, {review: true, run: true, after: refresh});
				});
				if (!r.grant_id) {
					JG.clear(grantSlot);
					return null;
				}
				return JG.api("GET", "/v1/grants/" + encodeURIComponent(r.grant_id)).then(function (g) {
					if (!grantBox.parentNode)
						grantSlot.append(h("h2", {}, "Grant"), grantBox);
					reconcile(grantBox, [g], function (x) { return grantCard(x, refresh); });
				}, function () { JG.clear(grantSlot); });
			}, function (err) {
				JG.clear(slot).appendChild(errorBox(err));
			});
		}
		return {refresh: refresh};
	}

	/* What each event type means, in words, for a request's timeline. */
	var EVENT_WORDS = {
		"request.created": "asked", "review.recorded": "reviewed", "request.approved": "approved",
		"request.denied": "denied", "request.cancelled": "cancelled", "request.expired": "expired",
		"request.post_reviewed": "reviewed after break-glass", "alert.break_glass": "break-glass alert",
		"grant.issued": "grant issued", "grant.token_issued": "token fetched", "grant.used": "checked and used",
		"grant.consumed": "used up", "grant.extended": "extended", "grant.revoked": "grant revoked",
		"grant.completed": "marked done", "grant.expired": "grant expired",
		"execution.started": "run started", "execution.succeeded": "run succeeded",
		"execution.failed": "run failed", "execution.unknown": "run outcome unknown"
	};

	function timelineItem(e) {
		return h("li", {class: "tl-item tl-" + e.type.split(".")[0], dataset: {type: e.type}},
			JG.timeEl(e.time),
			h("span", {class: "tl-what"}, h("strong", {}, EVENT_WORDS[e.type] || e.type),
				" by ", e.actor),
			h("span", {class: "tl-details muted small"}, U.detailsSummary(e.details)));
	}

	Object.assign(U, {
		compactRequest: compactRequest,
		inboxPage: inboxPage,
		requestPage: requestPage
	});
})();
