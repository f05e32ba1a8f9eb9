/*
 * app.js - the jitgate approver dashboard's shell: sign-in, hash routing
 * and polling. The views live in ui.js (shared pieces), request_card.js,
 * requests.js, grants.js, audit.js, overview.js and insights.js; lib.js has the pure
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
	var page = null;        /* the mounted page: {refresh, el, key, busy} */
	var countBusy = false;  /* the inbox count's poll is in flight */
	/*
	 * The pages visited lately, by route and argument, most recent last:
	 * going back to one shows it at once as it was, and it refreshes in
	 * place. Emptied at sign-in and sign-out.
	 */
	var PAGES_KEPT = 8;
	var visited = new Map();

	/* ---- shell, sign-in, routing ----------------------------------------------- */

	var ROUTES = {
		inbox: {title: "Inbox", make: U.inboxPage},
		mine: {title: "My requests", make: U.minePage},
		grants: {title: "Grants", make: U.grantsPage},
		audit: {title: "Audit", make: U.auditPage, seesAll: true},
		insights: {title: "Insights", make: U.insightsPage, seesAll: true},
		alerts: {title: "Alerts", make: U.alertsPage, seesAll: true},
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
			U.forgetResources();
			history.replaceState(null, "", "#/signin");
			signInView("You are signed out.");
		}
	}

	var navLinks = {};

	function shell() {
		var s = JG.session;
		/* a new session: nothing of the last one's pages or answers */
		visited.clear();
		JG.forgetAnswers();
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
		U.setTitle(ROUTES[r.name].title + " · jitgate");
		page = mount(r);
		JG.clear(content).appendChild(page.el);
		var h1 = page.el.querySelector("h1");
		if (h1)
			h1.focus({preventScroll: true});
		poll();
	}

	/*
	 * The page for route r: the one kept from an earlier visit, or a new
	 * one that says it is loading until its first refresh is done.
	 */
	function mount(r) {
		var key = r.name + "/" + (r.arg || "");
		var p = visited.get(key);
		visited.delete(key);
		if (!p) {
			var el = h("div", {class: "page page-" + r.name, "aria-busy": "true"});
			p = ROUTES[r.name].make(el, r.arg);
			p.el = el;
			p.name = r.name;
			p.loading = h("p", {class: "page-loading", role: "status"}, "Loading…");
			var head = el.querySelector(".page-head");
			el.insertBefore(p.loading, head ? head.nextSibling : el.firstChild);
		}
		p.last = 0; /* shown as it was; refreshed at once */
		visited.set(key, p);
		if (visited.size > PAGES_KEPT)
			visited.delete(visited.keys().next().value);
		return p;
	}

	/* The first refresh of p is done: it shows what the server has. */
	function loaded(p) {
		if (!p.loading)
			return;
		p.loading.remove();
		p.loading = null;
		p.el.removeAttribute("aria-busy");
	}

	/*
	 * Refresh the page, and the inbox count from any page. Each page has
	 * its own refresh in flight or not: a poll of the page left behind
	 * never holds up the first load of the page arrived at.
	 */
	function poll() {
		if (!JG.session || !page)
			return;
		var p = page;
		if (!p.busy && (!p.every || !p.last || Date.now() - p.last >= p.every)) {
			p.busy = true;
			p.last = Date.now();
			Promise.resolve(p.refresh()).then(function () {
				p.busy = false;
				loaded(p);
			}, function () {
				p.busy = false;
				loaded(p);
			});
		}
		if (p.name !== "inbox" && !countBusy) {
			countBusy = true;
			JG.api("GET", "/v1/requests", {query: {state: "pending", limit: 200}})
				.then(function (res) {
					countBusy = false;
					U.setInboxCount((res.items || []).filter(U.canReview).length);
				}, function () { countBusy = false; });
		}
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
