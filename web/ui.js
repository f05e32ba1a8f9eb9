/*
 * ui.js - what every dashboard view shares: small views (badges, key/value
 * lists, links), toasts, keyed lists that survive polling, the page head,
 * the inbox count and the resource list. Loaded after lib.js, before the
 * views; exports on JG.ui.
 *
 * Every piece of server data is put into the page as text (JG.h builds
 * text nodes); nothing is ever parsed as HTML.
 */
"use strict";

(function () {
	var JG = window.JG;
	var h = JG.h;
	var inboxBadge = null;    /* the count in the nav, while signed in */
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
			/* unkeyed children (a decided card, a note) keep their place */
			while (want && want !== el && !(want.dataset && want.dataset.key))
				want = want.nextSibling;
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


	function pageHead(title, sub, extra) {
		return h("div", {class: "page-head"},
			h("div", {}, h("h1", {tabindex: "-1"}, title),
				sub ? h("p", {class: "muted"}, sub) : null),
			extra || null);
	}

	/* The tab's title: the page's, after the count waiting for me, so a
	 * background tab shows that something waits. */
	var baseTitle = "jitgate";
	var waiting = 0;

	function showTitle() {
		document.title = (waiting ? "(" + waiting + ") " : "") + baseTitle;
	}

	function setTitle(t) {
		baseTitle = t;
		showTitle();
	}

	function setInboxCount(n) {
		if (!inboxBadge)
			return;
		waiting = n;
		showTitle();
		inboxBadge.textContent = n ? String(n) : "";
		inboxBadge.classList.toggle("hidden", !n);
		inboxBadge.setAttribute("aria-label", n + " waiting");
	}


	function loadResources() {
		if (resourcesCache)
			return Promise.resolve(resourcesCache);
		return JG.api("GET", "/v1/resources").then(function (r) {
			resourcesCache = r.items || [];
			return resourcesCache;
		});
	}

	/*
	 * Errors tied to their field: set(control, text) shows text under the
	 * control, marks it aria-invalid and adds the text to what a screen
	 * reader announces for it; clear() takes every one away.
	 */
	function fieldErrors() {
		var shown = [];
		return {
			set: function (control, text) {
				var id = control.id + "-error";
				var old = document.getElementById(id);
				if (old)
					old.remove();
				var msg = h("span", {class: "field-error", id: id}, text);
				var field = control.closest(".field") || control.parentNode;
				field.appendChild(msg);
				var was = control.getAttribute("aria-describedby") || "";
				control.setAttribute("aria-invalid", "true");
				if (!old) {
					control.setAttribute("aria-describedby", (was ? was + " " : "") + id);
					shown.push({control: control, msg: msg, was: was});
				} else {
					shown.forEach(function (s) {
						if (s.control === control)
							s.msg = msg;
					});
				}
			},
			clear: function () {
				shown.forEach(function (s) {
					s.msg.remove();
					s.control.removeAttribute("aria-invalid");
					if (s.was)
						s.control.setAttribute("aria-describedby", s.was);
					else
						s.control.removeAttribute("aria-describedby");
				});
				shown = [];
			}
		};
	}

	/* The key facts of an audit event's details, on one line. */
	function detailsSummary(d) {
		if (!d || typeof d !== "object")
			return "";
		var keys = ["resource", "action", "principal", "verdict", "comment",
			"reason", "request_id", "expires_at", "ticket", "decision"];
		return keys.filter(function (k) {
			return d[k] !== undefined && d[k] !== null && typeof d[k] !== "object";
		}).map(function (k) { return k + "=" + d[k]; }).join("  ");
	}

	/*
	 * An audit event's subject as a link to what it is about: a request
	 * to its page; a grant to its request's page when the details name
	 * it, else to the grants; anything else as text.
	 */
	function subjectLink(e) {
		var s = e.subject;
		var d = e.details || {};
		if (/^req_/.test(s))
			return h("a", {href: "#/request/" + encodeURIComponent(s), class: "mono"}, s);
		if (/^grt_/.test(s))
			return h("a", {href: d.request_id ? "#/request/" + encodeURIComponent(d.request_id) : "#/grants",
				class: "mono"}, s);
		return h("span", {class: "mono"}, s);
	}

	/*
	 * A SHA-256, short ("sha256 1a2b3c4d5e6f…"), the whole of it one
	 * click away, to compare with what another tool shows.
	 */
	function hashEl(sha, n) {
		if (!sha)
			return null;
		return h("details", {class: "hash"},
			h("summary", {class: "mono", title: "show the whole SHA-256"}, "sha256 " + sha.slice(0, n || 12) + "…"),
			h("code", {class: "mono hash-full"}, sha));
	}

	function setToastRoot(el) {
		toasts = el;
	}

	function setInboxBadge(el) {
		inboxBadge = el;
		waiting = 0;
	}

	/* The resources once loaded (null before); forgotten at sign-out. */
	function resources() {
		return resourcesCache;
	}

	function forgetResources() {
		resourcesCache = null;
	}

	JG.ui = {
		badge: badge, resultBadge: resultBadge, kv: kv, code: code,
		reqLink: reqLink, emptyState: emptyState, errorBox: errorBox,
		toast: toast, setToastRoot: setToastRoot, reconcile: reconcile,
		fieldErrors: fieldErrors, detailsSummary: detailsSummary, subjectLink: subjectLink,
		hashEl: hashEl,
		pageHead: pageHead, setInboxBadge: setInboxBadge, setTitle: setTitle,
		setInboxCount: setInboxCount, loadResources: loadResources,
		resources: resources, forgetResources: forgetResources
	};
})();
