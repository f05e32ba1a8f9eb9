/*
 * app.js - the jitgate approver dashboard's shell: sign-in, hash routing
 * and polling. The views live in ui.js (shared pieces), request_card.js,
 * requests.js, grants.js, audit.js and overview.js; lib.js has the pure
 * helpers (DOM, API, time) and charts.js the charts.
 *
 * Every piece of server data is put into the page as text (JG.h builds
 * text nodes); nothing is ever parsed as HTML.
 */
"use strict";

(function () {
	var JG = window.JG;
	var h = JG.h;
	var U = JG.ui;
	var POLL_MS = 3000;

	var root = document.getElementById("app");
	var content = null;     /* <main> of the signed-in shell */
	var page = null;        /* the mounted page: {refresh, unmount} */
	var refreshing = false;

	/* ---- shell, sign-in, routing ----------------------------------------------- */

	var ROUTES = {
		inbox: {title: "Inbox", make: U.inboxPage},
		mine: {title: "My requests", make: U.minePage},
		grants: {title: "Grants", make: U.grantsPage},
		audit: {title: "Audit", make: U.auditPage, seesAll: true},
		overview: {title: "Overview", make: U.overviewPage},
		request: {title: "Request", make: U.requestPage, hidden: true}
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
		U.setInboxBadge(null);
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
				out.appendChild(U.errorBox("Enter a token."));
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
				out.appendChild(U.errorBox(err.status === 401 ? "That token is not valid." : err));
			});
		});
		JG.clear(root).appendChild(h("div", {class: "signin-wrap"}, form));
		token.focus();
	}

	function signOut() {
		JG.api("POST", "/v1/session/close", {}).then(done, done);
		function done() {
			JG.session = null;
			U.forgetResources();
			history.replaceState(null, "", "#/signin");
			signInView("You are signed out.");
		}
	}

	var navLinks = {};

	function shell() {
		var s = JG.session;
		var inboxBadge = h("span", {class: "count hidden", "aria-label": "0 waiting"});
		U.setInboxBadge(inboxBadge);
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
		var toasts = h("div", {class: "toasts", "aria-live": "polite"});
		U.setToastRoot(toasts);
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
					U.setInboxCount((res.items || []).filter(U.canReview).length);
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
