/*
 * request_card.js - one request as an approver needs it to decide: the
 * card (reason, payload, screening, steps, reviews, execution), the
 * review form and the run control. Used by the inbox and request pages.
 */
"use strict";

(function () {
	var JG = window.JG;
	var h = JG.h;
	var U = JG.ui;
	var badge = U.badge;
	var resultBadge = U.resultBadge;
	var kv = U.kv;
	var code = U.code;
	var reqLink = U.reqLink;
	var toast = U.toast;

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

	/*
	 * What step i came to. The API says "waiting" for every step a
	 * request that ended early never reached; on a denied, cancelled or
	 * expired request that reads as if it still could be approved: the
	 * step a reviewer denied says "denied", the others "not reached".
	 */
	var ENDED = {denied: true, cancelled: true, expired: true};

	function stepStatus(r, s, i) {
		if (!ENDED[r.state] || s.status !== "waiting")
			return s.status;
		var denied = (r.reviews || []).some(function (v) {
			return v.step === i && v.verdict === "deny";
		});
		return denied ? "denied" : "not reached";
	}

	function stepsView(r) {
		if (!r.steps || !r.steps.length)
			return null;
		return h("ol", {class: "steps"}, r.steps.map(function (s, i) {
			var n = s.approvals ? s.approvals.length : 0;
			var who = (n ? "approved by " + s.approvals.join(", ")
				: "no approvals yet") + " (" + n + "/" + s.count + ")";
			var status = stepStatus(r, s, i);
			return h("li", {class: "step step-" + status.replace(" ", "-")},
				h("span", {class: "step-n", "aria-hidden": "true"}, String(i + 1)),
				h("span", {class: "step-body"},
					h("strong", {}, s.count + " of "), code(s.group),
					" · ", h("span", {class: "step-status"}, status),
					h("span", {class: "step-who"}, who),
					status === "current" || status === "waiting" ? approversLine(r, s) : null));
		}));
	}

	/*
	 * Who else may approve step s (the server's approvers: policy
	 * members and token holders of its group), less the requester and
	 * those who approved it already; "you" first when that is the caller.
	 */
	function approversLine(r, s) {
		if (!s.approvers)
			return null;
		var done = s.approvals || [];
		var names = s.approvers.filter(function (n) {
			return n !== r.requester && done.indexOf(n) < 0;
		});
		var me = names.indexOf(JG.me());
		if (me > 0)
			names.unshift(names.splice(me, 1)[0]);
		var text = names.length
			? names.map(function (n) { return n === JG.me() ? "you" : n; }).join(", ")
			: "no one else known in " + s.group;
		return h("span", {class: "step-can"}, "can approve: " + text);
	}

	/* A compact card's facts on one line: ticket, duration, rule, source. */
	function metaLine(r) {
		var ctx = r.context || {};
		var parts = [["ticket", r.ticket], ["for", r.duration], ["rule", r.rule],
			["from", ctx.source_ip]].filter(function (p) { return p[1]; });
		return h("p", {class: "meta-line"}, parts.map(function (p, i) {
			return h("span", {}, i ? " · " : "", h("span", {class: "muted"}, p[0] + " "), String(p[1]));
		}));
	}

	/* Screening checks that did not pass: what the approver must weigh. */
	function flagged(r) {
		return (r.screening || []).filter(function (c) { return c.result !== "pass"; });
	}

	/*
	 * Higher is riskier: the resource's sensitivity first, then the
	 * flags, then break-glass. For sorting the inbox.
	 */
	var SENS_RANK = {low: 1, medium: 2, high: 3, critical: 4};

	function risk(r) {
		var res = (U.resources() || []).filter(function (x) { return x.name === r.resource; })[0];
		return (res ? SENS_RANK[res.sensitivity] || 0 : 0) * 100 +
			flagged(r).length * 10 + (r.break_glass ? 5 : 0);
	}

	/*
	 * The screening of a compact card: the checks that did not pass in
	 * view, every check one click away.
	 */
	function screeningCompact(r) {
		var bad = flagged(r);
		var all = r.screening || [];
		return h("div", {class: "screening"},
			bad.length ? h("div", {}, h("h4", {}, "Flags"), h("ul", {class: "checks"}, bad.map(checkItem))) : null,
			all.length ? h("details", {class: "more"},
				h("summary", {}, bad.length ? "All " + all.length + " screening checks"
					: "Screening: all " + all.length + " checks passed"),
				screeningView(r)) : null);
	}

	function screeningView(r) {
		var checks = r.screening || [];
		if (!checks.length)
			return h("p", {class: "muted"}, "No screening checks for this rule.");
		return h("ul", {class: "checks"}, checks.map(checkItem));
	}

	function checkItem(c) {
		return h("li", {class: "check check-" + c.result},
			resultBadge(c.result), h("span", {class: "check-name"}, c.name),
			h("span", {class: "check-msg"}, c.message || ""));
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
		var r = (U.resources() || []).filter(function (x) { return x.name === name; })[0];
		if (!r || !r.sensitivity)
			return null;
		return h("span", {class: "badge sens sev-" + r.sensitivity,
			title: "resource sensitivity"}, r.sensitivity);
	}

	/*
	 * Every decision on a request (approve, deny, the review after
	 * break-glass) goes through here, so how a refused one is handled is
	 * written once. Resolves with the request as it is now; on an error,
	 * says so in a toast and rejects.
	 */
	function decide(r, verb, comment) {
		var body = comment ? {comment: comment} : {};
		return JG.api("POST", "/v1/requests/" + encodeURIComponent(r.id) + "/" + verb,
			{body: body}).catch(function (err) {
			/* a step-up is not a failure to report: the form offers it */
			if (err.type !== "step-up-required")
				toast("Could not " + verb.replace("-", " ") + " " + r.id + ": " + err.message, "error");
			throw err;
		});
	}

	/*
	 * The rule asks for a fresh (MFA) sign-in: through the provider
	 * again, back to this request, where the approval then holds.
	 */
	function stepUpOffer(r, err) {
		var next = "/#/request/" + encodeURIComponent(r.id);
		return h("div", {class: "alert alert-info step-up"},
			h("p", {}, err.message),
			h("a", {class: "btn btn-primary", dataset: {action: "step-up"},
				href: "/v1/auth/oidc/login?step_up=1&next=" + encodeURIComponent(next)},
				"Sign in again to approve"));
	}

	/*
	 * What a decision came to, plainly: "Approved req_… — waiting for 1
	 * of security", "Approved req_… — access granted to alice until
	 * 14:05", "Denied req_… — alice is told why".
	 */
	function outcome(verdict, r, res) {
		var head = (verdict === "approve" ? "Approved " : "Denied ") + r.id + " — ";
		var cur = (res.steps || [])[res.current_step];
		if (res.state === "pending" && cur)
			return head + "waiting for " + (cur.count - (cur.approvals || []).length) +
				" of " + cur.group;
		if (res.state === "approved")
			return head + "access granted to " + res.requester + " for " + (res.duration || "its duration");
		if (res.state === "denied")
			return head + res.requester + " is told why";
		return head + "now " + res.state;
	}

	/*
	 * In a list, a decided card keeps its place and its height, and says
	 * what happened: the next request's buttons do not slide under the
	 * pointer that just clicked. It goes when dismissed (or the page is
	 * left); the list's refreshes leave it be (it has no key).
	 */
	function settle(card, text, verdict, hadFocus) {
		if (!card || !card.parentNode)
			return;
		var stub = h("div", {class: "card decided decided-" + verdict, role: "status", tabindex: "-1"},
			h("p", {}, text));
		var dismiss = h("button", {type: "button", class: "btn btn-small btn-quiet"}, "Dismiss");
		dismiss.addEventListener("click", function () { stub.remove(); });
		stub.appendChild(dismiss);
		stub.style.minHeight = card.getBoundingClientRect().height + "px";
		card.replaceWith(stub);
		/* a keyboard user stays where they were, not at the page's top */
		if (hadFocus)
			stub.focus({preventScroll: true});
	}

	function reviewForm(r, after, inList) {
		var cid = "comment-" + r.id;
		/* the rule may ask approvers for a comment too (approve_comment) */
		var needed = r.approve_needs_comment ? "needed to approve and deny" : "needed to deny";
		var comment = h("textarea", {id: cid, rows: "2", maxlength: "1000",
			dataset: {keep: "comment"}, placeholder: "a note for the requester and the audit trail (" + needed + ")"});
		var approve = h("button", {type: "button", class: "btn btn-approve",
			dataset: {action: "approve"}}, "Approve");
		var deny = h("button", {type: "button", class: "btn btn-deny",
			dataset: {action: "deny"}}, "Deny");
		var errors = U.fieldErrors();
		var stepUpBox = h("div", {"aria-live": "assertive"});
		var form = h("div", {class: "review-form"},
			JG.field("Comment (" + needed + ")", comment),
			h("div", {class: "btn-row"}, approve, deny), stepUpBox);
		function send(verdict) {
			errors.clear();
			/* the requester is owed a reason for a no; the rule may ask
			 * one for a yes (the server refuses either without) */
			var must = verdict === "deny" || r.approve_needs_comment;
			if (must && !comment.value.trim()) {
				errors.set(comment, verdict === "deny" ? "Say why: the requester reads it."
					: "Say why: this rule asks approvers for a comment.");
				comment.focus();
				return;
			}
			/* before the buttons are disabled, which takes the focus away */
			var hadFocus = form.contains(document.activeElement);
			approve.disabled = deny.disabled = true;
			decide(r, verdict, comment.value.trim()).then(function (res) {
				var text = outcome(verdict, r, res);
				toast(text, verdict === "approve" ? "ok" : "warn");
				if (inList)
					settle(form.closest("article"), text, verdict, hadFocus);
				if (after)
					after(res);
			}, function (err) {
				approve.disabled = deny.disabled = false;
				if (err && err.type === "step-up-required")
					JG.clear(stepUpBox).appendChild(stepUpOffer(r, err));
			});
		}
		approve.addEventListener("click", function () { send("approve"); });
		deny.addEventListener("click", function () { send("deny"); });
		return form;
	}

	/*
	 * The review a break-glass request owes afterwards: someone else
	 * looks at what was done and records it. It changes neither the
	 * request nor its grant; revoking the grant is the remedy.
	 */
	function postReviewForm(r, after) {
		var comment = h("textarea", {id: "post-review-" + r.id, rows: "2", maxlength: "2000",
			dataset: {keep: "post-review"}, placeholder: "what you checked, for the audit trail"});
		var btn = h("button", {type: "button", class: "btn btn-primary",
			dataset: {action: "post-review"}}, "Record review");
		btn.addEventListener("click", function () {
			btn.disabled = true;
			decide(r, "post-review", comment.value.trim()).then(function () {
				toast("Recorded the review of break-glass request " + r.id);
				if (after)
					after();
			}, function () {
				btn.disabled = false;
			});
		});
		return h("section", {class: "review-form post-review-form", "aria-label": "review after break-glass"},
			h("h4", {}, "Review after break-glass"),
			h("p", {class: "muted small"}, r.requester + " approved this themselves in an emergency. " +
				"Check the reason and what was done, then record your review. " +
				"If the use was not justified, revoke the grant as well."),
			JG.field("Comment", comment),
			h("div", {class: "btn-row"}, btn));
	}

	/* What the break-glass review afterwards stands at, as a badge. */
	function postReviewBadge(r) {
		if (r.post_review === "required")
			return h("span", {class: "badge st-pending post-review-due",
				title: "a break-glass request: someone else must review it afterwards"}, "review due");
		if (r.post_review === "done")
			return h("span", {class: "badge st-approved", title: "reviewed after break-glass"}, "reviewed");
		return null;
	}

	/* What the gateway's run of the approved action came to. */
	function executionView(r) {
		var x = r.execution;
		if (!x)
			return null;
		return h("div", {class: "execution-block", "aria-label": "execution"},
			h("h4", {}, "Execution ", badge(x.state)),
			kv([["Connector", x.connector], ["Exit code", x.exit_code === null ? null : String(x.exit_code)],
				["Duration", x.finished_at ? x.duration_ms + " ms" : null],
				["Run by", x.started_by], ["Started", x.started_at ? JG.timeEl(x.started_at) : null], ["Error", x.error]]),
			x.output !== null && x.output !== undefined
				? h("pre", {class: "exec-output", tabindex: "0", "aria-label": "output"}, x.output)
				: null);
	}

	/* Whether r is the caller's, approved, bound to a connector, not yet run. */
	function canRun(r) {
		return r.can_execute === true;
	}

	/*
	 * An approved request whose grant has ended: "approved" alone would
	 * read as live access. The grant's state beside it, or null.
	 */
	function grantEndedBadge(r) {
		if (r.state !== "approved" || !r.grant_state || r.grant_state === "active")
			return null;
		return h("span", {class: "badge st-expired grant-ended",
			title: "the grant this approval issued has ended"}, "grant " + r.grant_state);
	}

	/* Run the approved action through the gateway: once, what was approved. */
	function runControl(r, after) {
		var btn = h("button", {type: "button", class: "btn btn-primary"}, "Run");
		var note = h("span", {class: "muted small"},
			"Runs once, through the gateway, exactly as approved" +
			(r.payload_sha256 ? " (sha256 " + r.payload_sha256.slice(0, 12) + "…)." : "."));
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

	/*
	 * The full card of one request: what an approver needs to decide.
	 * opts.review: offer Approve/Deny; opts.after: called after a review.
	 */
	function requestCard(r, opts) {
		opts = opts || {};
		var ctx = r.context || {};
		var nflags = flagged(r).length;
		var head = h("header", {class: "card-head"},
			h("div", {class: "card-title"},
				h("h3", {}, code(r.resource), " ", h("span", {class: "action"}, r.action),
					sensitivityBadge(r.resource)),
				h("div", {class: "sub"}, "requested by ", h("strong", {class: "requester"}, r.requester),
					ctx.service ? h("span", {class: "badge kind-service", title: "a service identity (automation)"}, "service") : null,
					" · ", h("span", {title: r.created_at}, JG.ago(r.created_at)),
					" · ", reqLink(r.id))),
			h("div", {class: "card-state"}, badge(r.state), grantEndedBadge(r),
				nflags ? h("span", {class: "badge chk-flag flag-count",
					title: "screening checks that did not pass"},
					nflags + (nflags === 1 ? " flag" : " flags")) : null,
				r.break_glass ? h("span", {class: "badge st-denied"}, "break-glass") : null,
				postReviewBadge(r),
				r.state === "pending" ? JG.attrs(JG.countdown(r.expires_at, "expired"),
					{title: "time left to decide; then the request expires"}) : null));
		var body = h("div", {class: "card-body"},
			hiddenWarning(r),
			h("div", {class: "reason-block"},
				h("h4", {}, "Reason"), h("p", {class: "reason"}, r.reason || "—")),
			opts.compact ? metaLine(r) :
			kv([["Ticket", r.ticket], ["Duration", r.duration],
				["Starts at", r.start_at ? JG.timeEl(r.start_at) : null], ["Rule", r.rule],
				["Source IP", ctx.source_ip], ["Decision", r.decision],
				["State reason", r.state !== "pending" ? r.state_reason : null],
				["Grant", r.grant_id ? h("a", {href: "#/grants", class: "mono grant-id"}, r.grant_id) : null]]),
			r.payload ? h("div", {class: "payload-block"},
				h("h4", {}, "Payload ", h("span", {class: "muted small",
					title: "SHA-256 of the payload: the grant binds to it"}, U.hashEl(r.payload_sha256))),
				JG.payloadBlock(r.payload, r.action)) : null,
			r.params ? h("div", {class: "params-block"}, h("h4", {}, "Parameters"),
				kv(Object.keys(r.params).map(function (k) { return [k, h("code", {}, String(r.params[k]))]; })))
				: null,
			executionView(r),
			findingView(ctx.finding),
			opts.compact ? screeningCompact(r)
				: h("div", {class: "screening"}, h("h4", {}, "Screening"), screeningView(r)),
			r.steps && r.steps.length ? h("div", {}, h("h4", {}, "Approvals"), stepsView(r)) : null,
			reviewsView(r));
		var foot = null;
		if (opts.review && r.can_post_review)
			foot = postReviewForm(r, opts.after);
		else if (opts.review && canReview(r))
			foot = reviewForm(r, opts.after, !!opts.compact);
		else if (opts.review && r.state === "pending" && mine(r))
			foot = h("p", {class: "muted own-note"}, "This is your own request: someone else must approve it.");
		else if (opts.run && canRun(r))
			foot = runControl(r, opts.after);
		return h("article", {class: "card request-card" + (opts.compact ? " compact" : ""), dataset: {id: r.id},
			"aria-label": "request " + r.id}, head, body, foot);
	}

	Object.assign(U, {
		mine: mine,
		canReview: canReview,
		canRun: canRun,
		risk: risk,
		postReviewBadge: postReviewBadge,
		grantEndedBadge: grantEndedBadge,
		requestCard: requestCard
	});
})();
