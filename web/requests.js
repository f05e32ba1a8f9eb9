/*
 * requests.js - the request pages: the inbox (what waits for me), my
 * requests (the create form and their live state) and one request.
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
	var toast = U.toast;
	var reconcile = U.reconcile;
	var pageHead = U.pageHead;
	var setInboxCount = U.setInboxCount;
	var loadResources = U.loadResources;
	var mine = U.mine;
	var canReview = U.canReview;
	var canRun = U.canRun;
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
			extra = h("span", {}, "grant ", h("a", {href: "#/grants", class: "mono grant-id"}, r.grant_id));
		else if (r.state_reason)
			extra = h("span", {class: "muted"}, r.state_reason);
		return h("div", {class: "row-item", dataset: {id: r.id}},
			h("span", {class: "row-state"}, badge(r.state), U.postReviewBadge(r)),
			h("div", {class: "row-main"},
				h("div", {}, code(r.resource), " ", h("span", {class: "action"}, r.action),
					" · ", h("span", {class: "muted"}, "by " + r.requester)),
				h("div", {class: "row-reason"}, r.reason)),
			h("div", {class: "row-side"}, extra,
				h("div", {class: "small muted"}, h("span", {title: r.created_at}, JG.ago(r.created_at)), " · ", reqLink(r.id))));
	}

	/* My requests: the create form and my requests' live state. */
	function minePage(el) {
		var resSel = h("select", {name: "resource", required: true});
		var actSel = h("select", {name: "action", required: true});
		var payload = h("textarea", {name: "payload", rows: "4", class: "mono",
			placeholder: "UPDATE accounts SET frozen = false WHERE id = 42",
			spellcheck: "false"});
		var reason = h("textarea", {name: "reason", rows: "2", required: true,
			maxlength: "1000", placeholder: "INC-42: unfreeze customer 42"});
		var ticket = h("input", {name: "ticket", type: "text", placeholder: "INC-42",
			autocomplete: "off"});
		var duration = h("input", {name: "duration", type: "text", placeholder: "30m",
			pattern: "^([0-9]+[smhd])+$", autocomplete: "off"});
		var bg = h("input", {name: "break_glass", type: "checkbox"});
		var submit = h("button", {type: "submit", class: "btn btn-primary"}, "Submit request");
		var result = h("div", {class: "form-result", "aria-live": "polite"});
		var sens = h("span", {class: "muted small"});
		var form = h("form", {class: "card form-card", "aria-label": "new request", novalidate: true},
			h("h2", {}, "New request"),
			h("div", {class: "form-grid"},
				JG.field("Resource", resSel),
				JG.field("Action", actSel),
				h("div", {class: "field sens-field"}, h("span", {class: "label-like"}, "Sensitivity"), sens),
				h("div", {class: "field span-all"}, JG.field("Payload (optional)", payload,
					"The exact SQL or arguments. The approval binds to this text: what runs is what was approved.")),
				h("div", {class: "field span-all"}, JG.field("Reason", reason,
					"Why you need it now; approvers read this first.")),
				JG.field("Ticket (optional)", ticket),
				JG.field("Duration (optional)", duration, "e.g. 15m, 1h; default: the rule's maximum"),
				h("div", {class: "field checkbox-field"},
					h("label", {}, bg, " Break-glass (emergency self-approval; reviewed afterwards)"))),
			h("div", {class: "btn-row"}, submit), result);

		var list = h("div", {class: "compact-list"});
		var status = h("div", {});
		el.append(pageHead("My requests", "Ask for one privileged action; follow its approval live."),
			form, h("section", {}, h("h2", {}, "My requests"), status, list));

		function fillActions() {
			var r = (U.resources() || []).filter(function (x) { return x.name === resSel.value; })[0];
			JG.clear(actSel);
			(r ? r.actions : []).forEach(function (a) {
				actSel.appendChild(h("option", {value: a}, a));
			});
			JG.append(JG.clear(sens), r ? r.sensitivity + (r.labels && Object.keys(r.labels).length
				? " · " + Object.keys(r.labels).map(function (k) {
					return k + "=" + r.labels[k]; }).join(", ") : "") : "");
			sens.className = "small badge sev-" + (r ? r.sensitivity : "");
		}
		resSel.addEventListener("change", fillActions);
		loadResources().then(function (items) {
			items.forEach(function (r) {
				resSel.appendChild(h("option", {value: r.name}, r.name));
			});
			fillActions();
		}, function (err) {
			result.appendChild(errorBox(err));
		});

		form.addEventListener("submit", function (ev) {
			ev.preventDefault();
			JG.clear(result);
			if (!reason.value.trim()) {
				result.appendChild(errorBox("A reason is required."));
				reason.focus();
				return;
			}
			var body = {resource: resSel.value, action: actSel.value,
				reason: reason.value.trim()};
			if (payload.value.trim())
				body.payload = payload.value;
			if (ticket.value.trim())
				body.ticket = ticket.value.trim();
			if (duration.value.trim())
				body.duration = duration.value.trim();
			if (bg.checked)
				body.break_glass = true;
			submit.disabled = true;
			JG.api("POST", "/v1/requests", {body: body}).then(function (r) {
				submit.disabled = false;
				var cur = (r.steps || [])[r.current_step];
				var what = r.state === "pending" && cur
					? "pending: waiting for " + cur.count + " of " + cur.group
					: r.state + (r.state_reason ? ": " + r.state_reason : "");
				result.appendChild(h("div", {class: "alert alert-" +
					(r.state === "denied" ? "error" : "ok"), role: "status"},
					"Request ", reqLink(r.id), " is " + what + "."));
				payload.value = reason.value = ticket.value = duration.value = "";
				bg.checked = false;
				refresh();
			}, function (err) {
				submit.disabled = false;
				result.appendChild(errorBox(err));
			});
		});

		function refresh() {
			return JG.api("GET", "/v1/requests", {query: {requester: JG.me(), limit: 100}})
				.then(function (res) {
					JG.clear(status);
					var items = res.items || [];
					reconcile(list, items, function (r) {
						var row = compactRequest(r);
						if (r.state === "approved" && r.grant_id)
							row.classList.add("row-approved");
						if (r.state === "pending") {
							var cancel = h("button", {type: "button", class: "btn btn-small btn-quiet"}, "Cancel");
							cancel.addEventListener("click", function () {
								cancel.disabled = true;
								JG.api("POST", "/v1/requests/" + encodeURIComponent(r.id) + "/cancel", {})
									.then(function () { toast("Cancelled " + r.id, "warn"); refresh(); },
										function (err) { cancel.disabled = false; toast(err.message, "error"); });
							});
							row.querySelector(".row-side").appendChild(cancel);
						}
						if (canRun(r))
							row.querySelector(".row-side").appendChild(h("a", {href: "#/request/" +
								encodeURIComponent(r.id), class: "btn btn-small btn-primary run-link"}, "Run…"));
						else if (r.execution)
							row.querySelector(".row-side").appendChild(h("span", {class: "small"},
								"execution ", badge(r.execution.state)));
						return row;
					});
					if (!items.length && !list.querySelector(".empty-state"))
						list.appendChild(emptyState("You have not asked for anything yet."));
					else if (items.length)
						list.querySelectorAll(".empty-state").forEach(function (e) { e.remove(); });
				}, function (err) {
					JG.clear(status).appendChild(errorBox(err));
				});
		}
		return {refresh: refresh};
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
		el.append(pageHead("Request", null, back),
			slot, grantSlot);
		JG.append(JG.clear(el.querySelector("h1")), "Request " + id);
		function refresh() {
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

	Object.assign(U, {
		inboxPage: inboxPage,
		minePage: minePage,
		requestPage: requestPage
	});
})();
