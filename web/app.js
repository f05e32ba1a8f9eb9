/*
 * app.js - the jitgate approver dashboard: sign-in, hash routing, the
 * pages (inbox, my requests, grants, audit, overview, one request), and
 * polling. Uses lib.js (DOM, API, time) and charts.js.
 *
 * Every piece of server data is put into the page as text (JG.h builds
 * text nodes); nothing is ever parsed as HTML.
 */
"use strict";

(function () {
	var JG = window.JG;
	var h = JG.h;
	var POLL_MS = 3000;

	var root = document.getElementById("app");
	var content = null;     /* <main> of the signed-in shell */
	var page = null;        /* the mounted page: {refresh, unmount} */
	var refreshing = false;
	var inboxBadge = null;
	var resourcesCache = null;

	/* ---- small views ------------------------------------------------- */

	var STATE_CLASS = {
		pending: "st-pending", approved: "st-approved", denied: "st-denied",
		cancelled: "st-cancelled", expired: "st-expired", active: "st-active",
		revoked: "st-denied", consumed: "st-cancelled", completed: "st-cancelled",
		started: "st-pending", succeeded: "st-approved", failed: "st-denied",
		unknown: "st-expired"
	};

	function badge(state) {
		return h("span", {class: "badge " + (STATE_CLASS[state] || "")}, state);
	}

	var RESULT_LABEL = {pass: "pass", flag: "flag", fail: "fail"};

	function resultBadge(result) {
		return h("span", {class: "badge chk-" + (RESULT_LABEL[result] || "flag")},
			RESULT_LABEL[result] || String(result));
	}

	function kv(pairs) {
		return h("dl", {class: "kv"}, pairs.filter(function (p) {
			return p && p[1] !== null && p[1] !== undefined && p[1] !== "";
		}).map(function (p) {
			return h("div", {}, h("dt", {}, p[0]), h("dd", {}, p[1]));
		}));
	}

	function code(s) {
		return h("code", {}, s);
	}

	function reqLink(id) {
		return h("a", {href: "#/request/" + encodeURIComponent(id), class: "mono"}, id);
	}

	function emptyState(text) {
		return h("p", {class: "empty-state"}, text);
	}

	function errorBox(err) {
		return h("div", {class: "alert alert-error", role: "alert"},
			err && err.message ? err.message : String(err));
	}

	/* ---- toasts ------------------------------------------------------- */

	var toasts = null;

	function toast(msg, kind) {
		if (!toasts)
			return;
		var close = h("button", {type: "button", class: "toast-close",
			"aria-label": "dismiss"}, "×");
		var t = h("div", {class: "toast toast-" + (kind || "ok"),
			role: kind === "error" ? "alert" : "status"}, h("span", {}, msg), close);
		close.addEventListener("click", function () { t.remove(); });
		toasts.appendChild(t);
		setTimeout(function () { t.remove(); }, kind === "error" ? 10000 : 5000);
	}

	/* ---- keyed lists that survive polling -------------------------------
	 *
	 * Items are rendered once and replaced only when their data changed,
	 * so focus, typed comments and scroll position survive a refresh.
	 */
	function reconcile(list, items, render) {
		var old = {};
		Array.prototype.forEach.call(list.children, function (el) {
			if (el.dataset.key)
				old[el.dataset.key] = el;
		});
		var prev = null;
		items.forEach(function (it) {
			var key = it.id;
			var ver = JSON.stringify(it);
			var el = old[key];
			if (el && el.dataset.ver === ver) {
				delete old[key];
			} else {
				var neu = render(it);
				neu.dataset.key = key;
				neu.dataset.ver = ver;
				if (el) {
					carryOver(el, neu);
					delete old[key];
					el.replaceWith(neu);
				}
				el = neu;
			}
			var want = prev ? prev.nextSibling : list.firstChild;
			if (want !== el)
				list.insertBefore(el, want);
			prev = el;
		});
		Object.keys(old).forEach(function (k) { old[k].remove(); });
	}

	/* Keep what the user typed ([data-keep]) and the focus across a re-render. */
	function carryOver(from, to) {
		var active = document.activeElement;
		from.querySelectorAll("[data-keep]").forEach(function (src) {
			var dst = to.querySelector("[data-keep=\"" + src.dataset.keep + "\"]");
			if (!dst)
				return;
			dst.value = src.value;
			if (src === active) {
				setTimeout(function () {
					dst.focus();
					try {
						dst.setSelectionRange(src.selectionStart, src.selectionEnd);
					} catch (e) { /* not a text control */ }
				}, 0);
			}
		});
		if (from.querySelector("details[open]"))
			to.querySelectorAll("details").forEach(function (d, i) {
				var o = from.querySelectorAll("details")[i];
				if (o && o.open)
					d.open = true;
			});
	}

	/* ---- requests ------------------------------------------------------ */

	function mine(r) {
		return r.requester === JG.me();
	}

	/*
	 * May I approve or deny r now? The server says so in can_review
	 * (it knows every group I am in, from my token and the policy), and
	 * has the final word when I click anyway.
	 */
	function canReview(r) {
		return r.can_review === true;
	}

	function stepsView(r) {
		if (!r.steps || !r.steps.length)
			return null;
		return h("ol", {class: "steps"}, r.steps.map(function (s, i) {
			var n = s.approvals ? s.approvals.length : 0;
			var who = (n ? "approved by " + s.approvals.join(", ")
				: "no approvals yet") + " (" + n + "/" + s.count + ")";
			return h("li", {class: "step step-" + s.status},
				h("span", {class: "step-n", "aria-hidden": "true"}, String(i + 1)),
				h("span", {class: "step-body"},
					h("strong", {}, s.count + " of "), code(s.group),
					" · ", h("span", {class: "step-status"}, s.status),
					h("span", {class: "step-who"}, who)));
		}));
	}

	function screeningView(r) {
		var checks = r.screening || [];
		if (!checks.length)
			return h("p", {class: "muted"}, "No screening checks for this rule.");
		return h("ul", {class: "checks"}, checks.map(function (c) {
			return h("li", {class: "check check-" + c.result},
				resultBadge(c.result), h("span", {class: "check-name"}, c.name),
				h("span", {class: "check-msg"}, c.message || ""));
		}));
	}

	function findingView(f) {
		if (!f || typeof f !== "object" || !Object.keys(f).length)
			return null;
		return h("div", {class: "finding"},
			h("h4", {}, "Scanner finding ",
				f.severity ? h("span", {class: "badge sev-" + f.severity}, f.severity) : null),
			kv([["ID", f.id], ["Type", f.type], ["Rule", f.rule],
				["Location", f.location], ["Recommendation", f.recommendation]]));
	}

	function reviewsView(r) {
		var rv = r.reviews || [];
		if (!rv.length)
			return null;
		return h("div", {}, h("h4", {}, "Reviews"), h("ul", {class: "reviews"}, rv.map(function (v) {
			return h("li", {},
				h("span", {class: "badge " + (v.verdict === "approve" ? "st-approved" : "st-denied")},
					v.verdict === "approve" ? "approved" : "denied"),
				" ", h("strong", {}, v.reviewer), " · step " + (v.step + 1) + " · ",
				JG.timeEl(v.at),
				v.comment ? h("q", {class: "comment"}, v.comment) : null);
		})));
	}

	/* The resource's sensitivity, once the resource list is loaded. */
	function sensitivityBadge(name) {
		var r = (resourcesCache || []).filter(function (x) { return x.name === name; })[0];
		if (!r || !r.sensitivity)
			return null;
		return h("span", {class: "badge sens sev-" + r.sensitivity,
			title: "resource sensitivity"}, r.sensitivity);
	}

	function reviewForm(r, after) {
		var cid = "comment-" + r.id;
		var comment = h("textarea", {id: cid, rows: "2", maxlength: "1000",
			dataset: {keep: "comment"}, placeholder: "a note for the requester and the audit trail"});
		var approve = h("button", {type: "button", class: "btn btn-approve",
			dataset: {action: "approve"}}, "Approve");
		var deny = h("button", {type: "button", class: "btn btn-deny",
			dataset: {action: "deny"}}, "Deny");
		function send(verdict) {
			approve.disabled = deny.disabled = true;
			var body = comment.value.trim() ? {comment: comment.value.trim()} : {};
			JG.api("POST", "/v1/requests/" + encodeURIComponent(r.id) + "/" + verdict,
				{body: body}).then(function (res) {
				toast((verdict === "approve" ? "Approved " : "Denied ") + r.id +
					" — now " + res.state, verdict === "approve" ? "ok" : "warn");
				if (after)
					after(res);
			}, function (err) {
				approve.disabled = deny.disabled = false;
				if (err.type === "step-up-required")
					return stepUp(r, err);
				toast("Could not " + verdict + " " + r.id + ": " + err.message, "error");
			});
		}
		/* The rule asks for a fresh (MFA) sign-in: through the provider
		 * again, back to this request, where the approval then holds. */
		var stepUpBox = h("div", {"aria-live": "assertive"});
		function stepUp(req, err) {
			var next = "/#/request/" + encodeURIComponent(req.id);
			JG.clear(stepUpBox).appendChild(h("div", {class: "alert alert-info step-up"},
				h("p", {}, err.message),
				h("a", {class: "btn btn-primary", dataset: {action: "step-up"},
					href: "/v1/auth/oidc/login?step_up=1&next=" + encodeURIComponent(next)},
					"Sign in again to approve")));
		}
		approve.addEventListener("click", function () { send("approve"); });
		deny.addEventListener("click", function () { send("deny"); });
		return h("div", {class: "review-form"},
			JG.field("Comment (optional)", comment),
			h("div", {class: "btn-row"}, approve, deny), stepUpBox);
	}

	/*
	 * The full card of one request: what an approver needs to decide.
	 * opts.review: offer Approve/Deny; opts.after: called after a review.
	 */
	/* What the gateway's run of the approved action came to. */
	function executionView(r) {
		var x = r.execution;
		if (!x)
			return null;
		return h("div", {class: "execution-block", "aria-label": "execution"},
			h("h4", {}, "Execution ", badge(x.state)),
			kv([["Connector", x.connector], ["Exit code", x.exit_code === null ? null : String(x.exit_code)],
				["Duration", x.finished_at ? x.duration_ms + " ms" : null],
				["Run by", x.started_by], ["Started", x.started_at], ["Error", x.error]]),
			x.output !== null && x.output !== undefined
				? h("pre", {class: "exec-output", tabindex: "0", "aria-label": "output"}, x.output)
				: null);
	}

	/* Whether r is the caller's, approved, bound to a connector, not yet run. */
	function canRun(r) {
		return mine(r) && r.state === "approved" && !!r.payload_sha256 && !r.execution;
	}

	/* Run the approved action through the gateway: once, what was approved. */
	function runControl(r, after) {
		var btn = h("button", {type: "button", class: "btn btn-primary"}, "Run");
		var note = h("span", {class: "muted small"},
			"Runs once, through the gateway, exactly as approved (sha256 " +
			r.payload_sha256.slice(0, 12) + "…).");
		btn.addEventListener("click", function () {
			btn.disabled = true;
			btn.textContent = "Running…";
			JG.api("POST", "/v1/requests/" + encodeURIComponent(r.id) + "/execute",
				{body: {payload_sha256: r.payload_sha256}}).then(function (res) {
				var x = res.execution || {};
				toast("Execution " + (x.state || "recorded") + (x.exit_code !== null &&
					x.exit_code !== undefined ? " (exit " + x.exit_code + ")" : ""),
					x.state === "succeeded" ? "ok" : "error");
				after();
			}, function (err) {
				btn.disabled = false;
				btn.textContent = "Run";
				toast(err.message, "error");
				after();
			});
		});
		return h("div", {class: "btn-row run-row"}, btn, note);
	}

	/*
	 * Where r carries hidden characters (bidi controls, zero-width or
	 * control characters): they are shown as <U+…> markers wherever the
	 * text appears, and this names the places, so the approver knows the
	 * text that runs is not what a plain view of it would show.
	 */
	var HIDDEN_PLACES = [["payload", "the payload"], ["params", "the parameters"],
		["reason", "the reason"], ["ticket", "the ticket"],
		["requester", "the requester's name"], ["state_reason", "the state reason"]];

	function hiddenWarning(r) {
		var where = HIDDEN_PLACES.filter(function (p) {
			return JG.hasHidden(r[p[0]]);
		}).map(function (p) { return p[1]; });
		if ((r.reviews || []).some(function (v) { return JG.hasHidden(v.comment); }))
			where.push("a review comment");
		if (!where.length)
			return null;
		return h("div", {class: "alert alert-warn hidden-chars-warning", role: "note"},
			h("strong", {}, "Hidden characters. "),
			"This request contains characters that do not show on screen, in " +
			where.join(", ") + ". Each is shown as a marked ",
			JG.hiddenMark(0x202E, "RIGHT-TO-LEFT OVERRIDE"),
			" in its place. Bidi controls can make text read differently from what runs: " +
			"read it with the markers before you approve.");
	}

	function requestCard(r, opts) {
		opts = opts || {};
		var ctx = r.context || {};
		var head = h("header", {class: "card-head"},
			h("div", {class: "card-title"},
				h("h3", {}, code(r.resource), " ", h("span", {class: "action"}, r.action),
					sensitivityBadge(r.resource)),
				h("div", {class: "sub"}, "requested by ", h("strong", {class: "requester"}, r.requester),
					ctx.service ? h("span", {class: "badge kind-service", title: "a service identity (automation)"}, "service") : null,
					" · ", h("span", {title: r.created_at}, JG.ago(r.created_at)),
					" · ", reqLink(r.id))),
			h("div", {class: "card-state"}, badge(r.state),
				r.break_glass ? h("span", {class: "badge st-denied"}, "break-glass") : null,
				r.state === "pending" ? JG.attrs(JG.countdown(r.expires_at, "expired"),
					{title: "time left to decide; then the request expires"}) : null));
		var body = h("div", {class: "card-body"},
			hiddenWarning(r),
			h("div", {class: "reason-block"},
				h("h4", {}, "Reason"), h("p", {class: "reason"}, r.reason || "—")),
			kv([["Ticket", r.ticket], ["Duration", r.duration],
				["Starts at", r.start_at ? JG.timeEl(r.start_at) : null], ["Rule", r.rule],
				["Source IP", ctx.source_ip], ["Decision", r.decision],
				["State reason", r.state !== "pending" ? r.state_reason : null],
				["Grant", r.grant_id ? h("a", {href: "#/grants", class: "mono grant-id"}, r.grant_id) : null]]),
			r.payload ? h("div", {class: "payload-block"},
				h("h4", {}, "Payload ", h("span", {class: "muted mono small",
					title: "SHA-256 of the payload: the grant binds to it"},
					r.payload_sha256 ? "sha256 " + r.payload_sha256.slice(0, 12) + "…" : "")),
				JG.payloadBlock(r.payload, r.action)) : null,
			r.params ? h("div", {class: "params-block"}, h("h4", {}, "Parameters"),
				kv(Object.keys(r.params).map(function (k) { return [k, h("code", {}, String(r.params[k]))]; })))
				: null,
			executionView(r),
			findingView(ctx.finding),
			h("div", {class: "screening"}, h("h4", {}, "Screening"), screeningView(r)),
			r.steps && r.steps.length ? h("div", {}, h("h4", {}, "Approvals"), stepsView(r)) : null,
			reviewsView(r));
		var foot = null;
		if (opts.review && canReview(r))
			foot = reviewForm(r, opts.after);
		else if (opts.review && r.state === "pending" && mine(r))
			foot = h("p", {class: "muted own-note"}, "This is your own request: someone else must approve it.");
		else if (opts.run && canRun(r))
			foot = runControl(r, opts.after);
		return h("article", {class: "card request-card", dataset: {id: r.id},
			"aria-label": "request " + r.id}, head, body, foot);
	}

	/* ---- pages --------------------------------------------------------- */

	function pageHead(title, sub, extra) {
		return h("div", {class: "page-head"},
			h("div", {}, h("h1", {tabindex: "-1"}, title),
				sub ? h("p", {class: "muted"}, sub) : null),
			extra || null);
	}

	/* Inbox: pending requests waiting for me. */
	function inboxPage(el) {
		var list = h("div", {class: "cards", "aria-live": "polite"});
		var others = h("div", {class: "compact-list"});
		var othersWrap = h("section", {class: "hidden"},
			h("h2", {}, "Other pending requests you can see"),
			h("p", {class: "muted"}, "Not your turn: an earlier step is still open, you already reviewed it, or you are not in the current step's group."),
			others);
		var status = h("div", {});
		el.append(pageHead("Inbox", "Pending requests waiting for your approval. Updates every few seconds."),
			status, list, othersWrap);

		function refresh() {
			return loadResources().catch(function () { return []; }).then(function () {
				return JG.api("GET", "/v1/requests", {query: {state: "pending", limit: 200}});
			}).then(function (res) {
					JG.clear(status);
					var items = (res.items || []).filter(function (r) { return !mine(r); });
					var todo = items.filter(canReview);
					var rest = items.filter(function (r) { return !canReview(r); });
					setInboxCount(todo.length);
					reconcile(list, todo, function (r) {
						return requestCard(r, {review: true, after: function () { refresh(); }});
					});
					if (!todo.length && !list.querySelector(".empty-state"))
						list.appendChild(emptyState("Nothing is waiting for you. New requests appear here within a few seconds."));
					else if (todo.length)
						list.querySelectorAll(".empty-state").forEach(function (e) { e.remove(); });
					othersWrap.classList.toggle("hidden", !rest.length);
					reconcile(others, rest, compactRequest);
				}, function (err) {
					JG.clear(status).appendChild(errorBox(err));
				});
		}
		return {refresh: refresh};
	}

	function setInboxCount(n) {
		if (!inboxBadge)
			return;
		inboxBadge.textContent = n ? String(n) : "";
		inboxBadge.classList.toggle("hidden", !n);
		inboxBadge.setAttribute("aria-label", n + " waiting");
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
			badge(r.state),
			h("div", {class: "row-main"},
				h("div", {}, code(r.resource), " ", h("span", {class: "action"}, r.action),
					" · ", h("span", {class: "muted"}, "by " + r.requester)),
				h("div", {class: "row-reason"}, r.reason)),
			h("div", {class: "row-side"}, extra,
				h("div", {class: "small muted"}, h("span", {title: r.created_at}, JG.ago(r.created_at)), " · ", reqLink(r.id))));
	}

	function loadResources() {
		if (resourcesCache)
			return Promise.resolve(resourcesCache);
		return JG.api("GET", "/v1/resources").then(function (r) {
			resourcesCache = r.items || [];
			return resourcesCache;
		});
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
		/* scheduled access: a local date and time, sent as UTC */
		var start = h("input", {name: "start_at", type: "datetime-local", step: "60"});
		var zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "local time";
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
				JG.field("Start (optional, " + zone + ")", start,
					"Scheduled access: the grant allows nothing before this time; empty: on approval"),
				h("div", {class: "field checkbox-field"},
					h("label", {}, bg, " Break-glass (emergency self-approval; reviewed afterwards)"))),
			h("div", {class: "btn-row"}, submit), result);

		var list = h("div", {class: "compact-list"});
		var status = h("div", {});
		el.append(pageHead("My requests", "Ask for one privileged action; follow its approval live."),
			form, h("section", {}, h("h2", {}, "My requests"), status, list));

		function fillActions() {
			var r = (resourcesCache || []).filter(function (x) { return x.name === resSel.value; })[0];
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
			if (start.value) {
				var at = new Date(start.value);
				if (isNaN(at.getTime())) {
					result.appendChild(errorBox("The start is not a date and time."));
					start.focus();
					return;
				}
				body.start_at = at.toISOString().replace(/\.\d+Z$/, "Z");
			}
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
				payload.value = reason.value = ticket.value = duration.value = start.value = "";
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

	function grantCard(g, after) {
		var holder = g.principal === JG.me();
		var actions = h("div", {class: "btn-row"});
		if (g.state === "active") {
			if (holder || JG.hasRole("admin"))
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
				["Payload", g.payload_sha256 ? h("span", {class: "mono"}, "sha256 " + g.payload_sha256.slice(0, 16) + "…") : null],
				["Extensions", g.extensions ? String(g.extensions) : null]]),
			actions);
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
			: "Your active grants. Each one ends by itself at its expiry."),
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
					reconcile(grantBox, [g], function (x) {
						var c = grantCard(x, refresh);
						/* approvers of the request may revoke it too */
						if (x.state === "active" && x.principal !== JG.me() && !JG.hasRole("admin") &&
						    !JG.hasRole("auditor"))
							c.lastChild.appendChild(revokeControl(x, refresh));
						return c;
					});
				}, function () { JG.clear(grantSlot); });
			}, function (err) {
				JG.clear(slot).appendChild(errorBox(err));
			});
		}
		return {refresh: refresh};
	}

	/* ---- audit ----------------------------------------------------------- */

	/* every type the server records (tests/e2e/test_api_doc.sh) */
	var EVENT_TYPES = ["request.created", "review.recorded", "request.approved",
		"request.denied", "request.cancelled", "request.expired",
		"request.post_reviewed", "grant.issued", "grant.revoked",
		"grant.completed", "grant.expired", "grant.extended",
		"grant.consumed", "grant.used", "grant.token_issued", "ssh_cert.issued",
		"execution.started", "execution.succeeded", "execution.failed",
		"execution.unknown", "keys.rotated", "alert.break_glass",
		"session.opened", "session.closed", "session.ended", "signin.refused",
		"policy.reloaded",
		"policy.reload_refused", "token.created", "token.revoked",
		"server.started", "workload.authenticated", "workload.refused",
		"credentials.issued", "credentials.revoked"];

	function detailsSummary(d) {
		if (!d || typeof d !== "object")
			return "";
		var keys = ["resource", "action", "principal", "verdict", "comment",
			"reason", "request_id", "expires_at", "ticket", "decision"];
		return keys.filter(function (k) {
			return d[k] !== undefined && d[k] !== null && typeof d[k] !== "object";
		}).map(function (k) { return k + "=" + d[k]; }).join("  ");
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
				JG.field("Since", since), JG.field("Until", until)),
			h("div", {class: "btn-row"}, search, verify, exportLink, csvBtn));
		el.append(pageHead("Audit trail", "Every state change, hash-chained. Verify the chain, search and export evidence."),
			form, verifyOut, status, count,
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
			var subj = e.subject ? h("button", {type: "button", class: "link mono",
				title: "show only this subject"}, e.subject) : "—";
			if (e.subject)
				subj.addEventListener("click", function () {
					subject.value = e.subject;
					updateExport();
					load(true);
				});
			var full = JSON.stringify(e.details || {}, null, 2);
			return h("tr", {dataset: {seq: e.seq}},
				h("td", {"data-label": "Seq", class: "num"}, String(e.seq)),
				h("td", {"data-label": "Time"}, JG.timeEl(e.time)),
				h("td", {"data-label": "Actor"}, e.actor),
				h("td", {"data-label": "Type"}, h("span", {class: "evt evt-" + e.type.split(".")[0]}, e.type)),
				h("td", {"data-label": "Subject"}, subj),
				h("td", {"data-label": "Details", class: "details-cell"},
					h("details", {}, h("summary", {}, detailsSummary(e.details) || "details"),
						h("pre", {class: "json"}, full))));
		}

		function render() {
			var shown = byResource(events, applied.resource);
			reconcile(tbody, shown.map(function (e) { return Object.assign({id: String(e.seq)}, e); }), row);
			count.textContent = shown.length + " event" + (shown.length === 1 ? "" : "s") +
				", oldest first" + (cursor ? " (more below: Load more)" : "");
			more.classList.toggle("hidden", !cursor);
		}

		function load(reset) {
			if (reset || !applied) {
				pages = 1;
				applied = filters();
				applied.resource = resource.value.trim();
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

	/* ---- overview ---------------------------------------------------------- */

	function dayKey(t) {
		var d = new Date(t);
		return d.getFullYear() + "-" + (d.getMonth() + 1) + "-" + d.getDate();
	}

	function overviewPage(el) {
		var tiles = h("div", {class: "tiles"});
		var grid = h("div", {class: "chart-grid"});
		var status = h("div", {});
		el.append(pageHead("Overview", JG.seesAll() ? "All requests and grants." :
			"The requests and grants you can see."), status, tiles, grid);
		var last = "";

		function tile(label, value, cls) {
			return h("div", {class: "tile " + (cls || "")}, h("div", {class: "tile-value"}, value),
				h("div", {class: "tile-label"}, label));
		}

		function panel(title, sub, chart) {
			return h("section", {class: "card chart-card"}, h("h2", {}, title),
				sub ? h("p", {class: "muted small"}, sub) : null, chart);
		}

		function draw(reqs, grants) {
			var now = JG.now();
			/* requests per day by outcome, last 14 days */
			var days = [], labels = [], idx = {};
			for (var i = 13; i >= 0; i--) {
				var d = new Date(now - i * 86400000);
				idx[dayKey(d.getTime())] = days.length;
				days.push(d);
				labels.push((d.getMonth() + 1) + "/" + d.getDate());
			}
			var outcomes = ["approved", "denied", "expired", "cancelled", "pending"];
			var series = outcomes.map(function (o) {
				return {name: o, cls: "s-" + o, values: days.map(function () { return 0; })};
			});
			reqs.forEach(function (r) {
				var t = JG.parseTime(r.created_at);
				var k = t === null ? null : idx[dayKey(t)];
				var s = outcomes.indexOf(r.state);
				if (k !== undefined && k !== null && s >= 0)
					series[s].values[k]++;
			});
			/* time to approve */
			var waits = reqs.filter(function (r) {
				return r.state === "approved" && r.decided_at && r.created_at;
			}).map(function (r) { return JG.parseTime(r.decided_at) - JG.parseTime(r.created_at); });
			var buckets = [["< 1 min", 60e3], ["1–5 min", 300e3], ["5–15 min", 900e3],
				["15–60 min", 3600e3], ["1–4 h", 4 * 3600e3], ["4–24 h", 86400e3], ["> 1 day", Infinity]];
			var hist = buckets.map(function (b) { return {label: b[0], value: 0}; });
			waits.forEach(function (w) {
				for (var i = 0; i < buckets.length; i++)
					if (w < buckets[i][1]) {
						hist[i].value++;
						break;
					}
			});
			var sorted = waits.slice().sort(function (a, b) { return a - b; });
			var median = sorted.length ? sorted[Math.floor(sorted.length / 2)] : null;
			/* top resources */
			var counts = {};
			reqs.forEach(function (r) {
				var k = r.resource;
				counts[k] = (counts[k] || 0) + 1;
			});
			var top = Object.keys(counts).map(function (k) { return {label: k, value: counts[k]}; })
				.sort(function (a, b) { return b.value - a.value || (a.label < b.label ? -1 : 1); }).slice(0, 8);
			/* active grants over time: an exact step function */
			var spans = grants.map(function (g) {
				var s = JG.parseTime(g.not_before) || JG.parseTime(g.created_at);
				var e = g.state === "active" ? Math.min(JG.parseTime(g.expires_at), Infinity)
					: (JG.parseTime(g.ended_at) || JG.parseTime(g.expires_at));
				return [s, e];
			}).filter(function (p) { return p[0] !== null && p[1] !== null; });
			var earliest = spans.reduce(function (a, p) { return Math.min(a, p[0]); }, now);
			var span = Math.min(7 * 86400e3, Math.max(15 * 60e3, (now - earliest) * 1.1));
			var t0 = now - span;
			var evs = [];
			var level = 0;
			spans.forEach(function (p) {
				if (p[0] <= t0 && p[1] > t0)
					level++;
				if (p[0] > t0 && p[0] <= now)
					evs.push([p[0], 1]);
				if (p[1] > t0 && p[1] <= now)
					evs.push([p[1], -1]);
			});
			evs.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; });
			var pts = [{t: t0, v: level}];
			evs.forEach(function (e) {
				level += e[1];
				pts.push({t: e[0], v: level});
			});
			pts.push({t: now, v: level});
			var fmtX = span > 2 * 86400e3
				? function (t) { var d = new Date(t); return (d.getMonth() + 1) + "/" + d.getDate(); }
				: function (t) { var d = new Date(t); return (d.getHours() < 10 ? "0" : "") + d.getHours() + ":" + (d.getMinutes() < 10 ? "0" : "") + d.getMinutes(); };

			var activeNow = grants.filter(function (g) { return g.state === "active"; }).length;
			var recent = reqs.filter(function (r) { return JG.parseTime(r.created_at) > now - 14 * 86400e3; });
			JG.clear(tiles).append(
				tile("Pending now", String(reqs.filter(function (r) { return r.state === "pending"; }).length), "t-pending"),
				tile("Approved (14 days)", String(recent.filter(function (r) { return r.state === "approved"; }).length), "t-approved"),
				tile("Denied (14 days)", String(recent.filter(function (r) { return r.state === "denied"; }).length), "t-denied"),
				tile("Active grants", String(activeNow), "t-active"),
				tile("Median time to approve", median === null ? "—" : JG.fmtDuration(median), "t-time"));
			JG.clear(grid).append(
				panel("Requests per day", "By outcome, last 14 days", JG.chart.stacked("Requests per day by outcome", labels, series)),
				panel("Time to approve", waits.length + " approved request" + (waits.length === 1 ? "" : "s") + ", from creation to decision",
					JG.chart.bars("Time-to-approve distribution", hist, "requests", "s-approved")),
				panel("Top requested resources", "All time, top 8", JG.chart.hbars("Top requested resources", top, "s-resource")),
				panel("Active grants over time", "Since " + JG.fmtTime(new Date(t0).toISOString()),
					JG.chart.area("Active grants over time", pts, "s-active", fmtX)));
		}

		function refresh() {
			return Promise.all([
				JG.apiAll("/v1/requests", {}, 5000),
				JG.apiAll("/v1/grants", {}, 5000)
			]).then(function (res) {
				JG.clear(status);
				/* redraw only when the data (or the minute) changed */
				var sig = JSON.stringify(res) + Math.floor(JG.now() / 60000);
				if (sig === last)
					return;
				last = sig;
				draw(res[0], res[1]);
			}, function (err) {
				JG.clear(status).appendChild(errorBox(err));
			});
		}
		/* up to 10 pages of history: refresh less often than the lists */
		return {refresh: refresh, every: 15000};
	}

	/* ---- shell, sign-in, routing ----------------------------------------------- */

	var ROUTES = {
		inbox: {title: "Inbox", make: inboxPage},
		mine: {title: "My requests", make: minePage},
		grants: {title: "Grants", make: grantsPage},
		audit: {title: "Audit", make: auditPage, seesAll: true},
		overview: {title: "Overview", make: overviewPage},
		request: {title: "Request", make: requestPage, hidden: true}
	};

	function parseHash() {
		var parts = (location.hash || "").replace(/^#\/?/, "").split("/");
		var name = parts[0] || "inbox";
		if (!ROUTES[name])
			name = "inbox";
		return {name: name, arg: parts[1] ? decodeURIComponent(parts[1]) : null};
	}

	function signInView(message) {
		page = null;
		content = null;
		inboxBadge = null;
		document.title = "Sign in · jitgate";
		var token = h("input", {type: "password", name: "token", autocomplete: "off",
			spellcheck: "false", required: true, placeholder: "jg_…", class: "mono"});
		var btn = h("button", {type: "submit", class: "btn btn-primary btn-block"}, "Sign in");
		var out = h("div", {"aria-live": "assertive"});
		if (message)
			out.appendChild(h("div", {class: "alert alert-info"}, message));
		var form = h("form", {class: "card signin-card", "aria-label": "sign in"},
			h("div", {class: "brand brand-lg"}, h("img", {src: "/assets/logo.svg", alt: "", width: "36", height: "36"}),
				h("span", {}, "jitgate")),
			h("h1", {}, "Sign in"),
			h("p", {class: "muted"}, "Paste your jitgate token. It is exchanged for a session cookie; the page does not keep it."),
			JG.field("Token", token), btn, out);
		form.addEventListener("submit", function (ev) {
			ev.preventDefault();
			JG.clear(out);
			var v = token.value.trim();
			if (!v) {
				out.appendChild(errorBox("Enter a token."));
				token.focus();
				return;
			}
			btn.disabled = true;
			JG.api("POST", "/v1/session", {body: {token: v}, quiet401: true}).then(function (s) {
				token.value = "";
				JG.session = s;
				if (!location.hash || location.hash === "#/signin")
					history.replaceState(null, "", "#/inbox");
				shell();
			}, function (err) {
				btn.disabled = false;
				token.select();
				out.appendChild(errorBox(err.status === 401 ? "That token is not valid." : err));
			});
		});
		JG.clear(root).appendChild(h("div", {class: "signin-wrap"}, form));
		token.focus();
		/* Sign-in through the company's identity provider, when set up;
		 * the token form stays unless the policy turned it off. */
		JG.api("GET", "/v1/auth/config", {quiet401: true}).then(function (c) {
			if (!c || !c.provider)
				return;
			var host = (c.issuer || "").replace(/^https?:\/\//, "").replace(/\/.*$/, "");
			var next = location.hash && location.hash !== "#/signin" ? "/" + location.hash : "/#/inbox";
			var sso = h("a", {class: "btn btn-primary btn-block", dataset: {action: "signin-provider"},
				href: "/v1/auth/oidc/login?next=" + encodeURIComponent(next)},
				"Sign in with " + (host || "your identity provider"));
			form.insertBefore(sso, form.querySelector("p"));
			if (!c.token) {
				Array.prototype.forEach.call(form.querySelectorAll(".field, button[type=submit], p.muted"),
					function (el) { el.remove(); });
				return;
			}
			sso.after(h("p", {class: "muted signin-or"}, "or with a jitgate token:"));
		}, function () {});
	}

	function signOut() {
		JG.api("POST", "/v1/session/close", {}).then(done, done);
		function done() {
			JG.session = null;
			resourcesCache = null;
			history.replaceState(null, "", "#/signin");
			signInView("You are signed out.");
		}
	}

	var navLinks = {};

	function shell() {
		var s = JG.session;
		inboxBadge = h("span", {class: "count hidden", "aria-label": "0 waiting"});
		var nav = h("nav", {class: "nav", "aria-label": "main"});
		navLinks = {};
		Object.keys(ROUTES).forEach(function (k) {
			var r = ROUTES[k];
			if (r.hidden || (r.seesAll && !JG.seesAll()))
				return;
			var a = h("a", {href: "#/" + k, dataset: {route: k}}, r.title, k === "inbox" ? inboxBadge : null);
			navLinks[k] = a;
			nav.appendChild(a);
		});
		var out = h("button", {type: "button", class: "btn btn-quiet btn-small", dataset: {action: "signout"}}, "Sign out");
		out.addEventListener("click", signOut);
		var who = h("div", {class: "who"},
			h("span", {class: "who-name", title: "signed in as"}, s.principal),
			h("span", {class: "who-groups"}, (s.roles || []).concat(s.groups || []).join(" · ")),
			out);
		content = h("main", {id: "content", tabindex: "-1"});
		toasts = h("div", {class: "toasts", "aria-live": "polite"});
		JG.clear(root).append(
			h("a", {href: "#content", class: "skip"}, "Skip to content"),
			h("header", {class: "topbar"},
				h("a", {href: "#/inbox", class: "brand"}, h("img", {src: "/assets/logo.svg", alt: "", width: "28", height: "28"}),
					h("span", {}, "jitgate")),
				nav, who),
			content, toasts);
		route();
	}

	function route() {
		if (!JG.session) {
			signInView();
			return;
		}
		if (!content) {
			shell();
			return;
		}
		var r = parseHash();
		if (ROUTES[r.name].seesAll && !JG.seesAll())
			r.name = "inbox";
		Object.keys(navLinks).forEach(function (k) {
			if (k === r.name)
				navLinks[k].setAttribute("aria-current", "page");
			else
				navLinks[k].removeAttribute("aria-current");
		});
		document.title = ROUTES[r.name].title + " · jitgate";
		JG.clear(content);
		var el = h("div", {class: "page page-" + r.name});
		content.appendChild(el);
		page = ROUTES[r.name].make(el, r.arg);
		page.name = r.name;
		var h1 = el.querySelector("h1");
		if (h1)
			h1.focus({preventScroll: true});
		poll();
	}

	/* Refresh the page, and the inbox count from any page. */
	function poll() {
		if (!JG.session || !page || refreshing)
			return;
		refreshing = true;
		var p = page;
		var work = [];
		if (!p.every || !p.last || Date.now() - p.last >= p.every) {
			p.last = Date.now();
			work.push(p.refresh());
		}
		if (p.name !== "inbox")
			work.push(JG.api("GET", "/v1/requests", {query: {state: "pending", limit: 200}})
				.then(function (res) {
					setInboxCount((res.items || []).filter(canReview).length);
				}, function () {}));
		Promise.all(work).then(function () { refreshing = false; }, function () { refreshing = false; });
	}

	JG.onUnauthorized = function () {
		if (!JG.session)
			return;
		JG.session = null;
		signInView("Your session has ended. Sign in again.");
	};

	window.addEventListener("hashchange", route);
	setInterval(function () {
		if (!document.hidden)
			poll();
	}, POLL_MS);
	setInterval(JG.tick, 1000);
	document.addEventListener("visibilitychange", function () {
		if (!document.hidden)
			poll();
	});

	/* A reload keeps the cookie: ask the server who we are. */
	JG.api("GET", "/v1/session", {quiet401: true}).then(function (s) {
		if (!s || !s.csrf_token) {
			signInView();
			return;
		}
		JG.session = s;
		shell();
	}, function (err) {
		signInView(err.status === 401 || err.status === 403 ? null : err.message);
	});
})();
