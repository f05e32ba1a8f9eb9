/*
 * mine.js - my requests: the form to ask for one privileged action, and
 * the live state of what I asked for.
 */
"use strict";

(function () {
	var JG = window.JG;
	var h = JG.h;
	var U = JG.ui;
	var badge = U.badge;
	var reqLink = U.reqLink;
	var emptyState = U.emptyState;
	var errorBox = U.errorBox;
	var toast = U.toast;
	var reconcile = U.reconcile;
	var pageHead = U.pageHead;
	var loadResources = U.loadResources;
	var canRun = U.canRun;
	var compactRequest = U.compactRequest;

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
		var bgSure = h("input", {name: "break_glass_confirm", type: "checkbox"});
		var bgConfirm = h("div", {class: "field checkbox-field bg-confirm hidden"},
			h("div", {class: "alert alert-warn", role: "note"},
				"Break-glass approves this request yourself, at once. It raises an alert, " +
				"and someone else must review it afterwards."),
			h("label", {}, bgSure, " I confirm this is an emergency"));
		var bgField = h("div", {class: "field checkbox-field hidden"},
			h("label", {}, bg, " Break-glass (emergency self-approval; reviewed afterwards)"));
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
				bgField, bgConfirm),
			h("div", {class: "btn-row"}, submit), result);

		/* Break-glass only where the caller may use it (the resource's
		 * break_glass actions), and only with a second, explicit yes. */
		function showBreakGlass() {
			var r = (U.resources() || []).filter(function (x) { return x.name === resSel.value; })[0];
			var may = !!r && (r.break_glass || []).indexOf(actSel.value) >= 0;
			if (!may)
				bg.checked = false;
			bgField.classList.toggle("hidden", !may);
			bgConfirm.classList.toggle("hidden", !bg.checked);
			if (!bg.checked)
				bgSure.checked = false;
			submit.textContent = bg.checked ? "Submit break-glass request" : "Submit request";
		}
		bg.addEventListener("change", showBreakGlass);
		actSel.addEventListener("change", showBreakGlass);

		var errors = U.fieldErrors();
		/* which field a server message is about, by the words it uses */
		var FIELD_WORDS = [["duration", duration], ["justification", reason], ["reason", reason],
			["ticket", ticket], ["start_at", start], ["start", start], ["payload", payload], ["params", payload], ["break-glass", bg],
			["break_glass", bg], ["action", actSel], ["resource", resSel]];

		function fieldFor(text) {
			var hit = FIELD_WORDS.filter(function (w) {
				return new RegExp("\\b" + w[0] + "\\b", "i").test(text || "");
			})[0];
			return hit ? hit[1] : null;
		}

		/* A denial by screening: each failed check at its field. */
		function showDenial(r) {
			(r.screening || []).filter(function (c) { return c.result === "fail"; }).forEach(function (c) {
				var f = fieldFor(c.name) || fieldFor(c.message);
				if (f)
					errors.set(f, c.message);
			});
		}

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
		resSel.addEventListener("change", function () {
			fillActions();
			showBreakGlass();
		});
		loadResources().then(function (items) {
			items.forEach(function (r) {
				resSel.appendChild(h("option", {value: r.name}, r.name));
			});
			fillActions();
			showBreakGlass();
		}, function (err) {
			result.appendChild(errorBox(err));
		});

		form.addEventListener("submit", function (ev) {
			ev.preventDefault();
			JG.clear(result);
			errors.clear();
			if (!reason.value.trim()) {
				errors.set(reason, "A reason is required.");
				reason.focus();
				return;
			}
			if (bg.checked && !bgSure.checked) {
				errors.set(bgSure, "Confirm the emergency, or untick break-glass.");
				bgSure.focus();
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
					errors.set(start, "The start is not a date and time.");
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
				if (r.state === "denied") {
					/* keep what was typed: fix it and send again */
					showDenial(r);
				} else {
					payload.value = reason.value = ticket.value = duration.value = start.value = "";
					bg.checked = false;
					showBreakGlass();
				}
				refresh();
			}, function (err) {
				submit.disabled = false;
				var f = err.type === "duration-too-long" ? duration : fieldFor(err.message);
				if (f) {
					errors.set(f, err.message);
					f.focus();
				} else {
					result.appendChild(errorBox(err));
				}
			});
		});

		function refresh() {
			return JG.api("GET", "/v1/requests", {query: {requester: JG.me(), limit: 100}})
				.then(function (res) {
					JG.clear(status);
					var items = res.items || [];
					reconcile(list, items, function (r) {
						var row = compactRequest(r);
						/* green only while its access is live */
						if (r.state === "approved" && r.grant_state === "active")
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

	Object.assign(U, {
		minePage: minePage
	});
})();
