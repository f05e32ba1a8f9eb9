/*
 * lib.js - helpers shared by the dashboard pages: DOM building (text only,
 * never HTML parsing of data), the API client (cookie session + CSRF
 * header), time formatting against the server's clock, and the SQL
 * highlighter.
 *
 * Rule: data reaches the page only through textContent / text nodes /
 * setAttribute of non-event attributes. Nothing here touches innerHTML.
 * Text goes through JG.visible, so hidden characters (bidi controls,
 * zero-width and control characters) show as marked "<U+202E>".
 */
"use strict";

var JG = window.JG || {};
window.JG = JG;

/* ---- DOM ------------------------------------------------------------ */

/*
 * h("div", {class: "x", on: {click: fn}, dataset: {id: 1}}, child, ...)
 * Children: strings/numbers become text nodes, null/false are skipped,
 * arrays are flattened. Attributes starting with "on" are refused: events
 * go through the `on` object only.
 */
JG.h = function (tag, attrs) {
	var el = document.createElement(tag);
	JG.attrs(el, attrs);
	for (var i = 2; i < arguments.length; i++)
		JG.append(el, arguments[i]);
	return el;
};

JG.attrs = function (el, attrs) {
	if (!attrs)
		return el;
	Object.keys(attrs).forEach(function (k) {
		var v = attrs[k];
		if (v === null || v === undefined || v === false)
			return;
		if (k === "on") {
			Object.keys(v).forEach(function (ev) {
				el.addEventListener(ev, v[ev]);
			});
		} else if (k === "dataset") {
			Object.keys(v).forEach(function (d) {
				el.dataset[d] = String(v[d]);
			});
		} else if (k === "class") {
			el.className = Array.isArray(v) ? v.filter(Boolean).join(" ") : v;
		} else if (k === "value") {
			el.value = v;
		} else if (k === "checked" || k === "disabled" || k === "selected") {
			el[k] = !!v;
		} else if (/^on/i.test(k)) {
			throw new Error("event attributes are not allowed: " + k);
		} else {
			el.setAttribute(k, v === true ? "" : String(v));
		}
	});
	return el;
};

/* Strings are appended through JG.visible: hidden characters show. */
JG.append = function (el, c) {
	if (c === null || c === undefined || c === false)
		return;
	if (Array.isArray(c)) {
		c.forEach(function (x) { JG.append(el, x); });
		return;
	}
	if (typeof c === "string" || typeof c === "number")
		c = JG.visible(String(c));
	el.appendChild(c);
};

/* ---- hidden characters ------------------------------------------------ */

/*
 * What the approver sees must be what runs. A bidi control (Trojan
 * Source, CVE-2021-42574) reorders the text around it, and a zero-width
 * or control character is not seen at all, so every one of them is shown
 * as a marked "<U+202E>" in its place. The set is the same as the table
 * in src/util/visible.c (the CLI and screening use that one): keep the
 * two equal. Sorted, disjoint [first, last, name]; newline and tab are
 * not in it.
 */
var HIDDEN_RANGES = [
	[0x0000, 0x0008, "CONTROL"],
	[0x000B, 0x000C, "CONTROL"],
	[0x000D, 0x000D, "CARRIAGE RETURN"],
	[0x000E, 0x001A, "CONTROL"],
	[0x001B, 0x001B, "ESCAPE"],
	[0x001C, 0x001F, "CONTROL"],
	[0x007F, 0x007F, "DELETE"],
	[0x0080, 0x009F, "C1 CONTROL"],
	[0x00AD, 0x00AD, "SOFT HYPHEN"],
	[0x034F, 0x034F, "COMBINING GRAPHEME JOINER"],
	[0x0600, 0x0605, "ARABIC FORMAT CHARACTER"],
	[0x061C, 0x061C, "ARABIC LETTER MARK"],
	[0x06DD, 0x06DD, "ARABIC END OF AYAH"],
	[0x070F, 0x070F, "SYRIAC ABBREVIATION MARK"],
	[0x115F, 0x1160, "HANGUL FILLER"],
	[0x17B4, 0x17B5, "KHMER INVISIBLE VOWEL"],
	[0x180B, 0x180D, "MONGOLIAN FREE VARIATION SELECTOR"],
	[0x180E, 0x180E, "MONGOLIAN VOWEL SEPARATOR"],
	[0x180F, 0x180F, "MONGOLIAN FREE VARIATION SELECTOR"],
	[0x200B, 0x200B, "ZERO WIDTH SPACE"],
	[0x200C, 0x200C, "ZERO WIDTH NON-JOINER"],
	[0x200D, 0x200D, "ZERO WIDTH JOINER"],
	[0x200E, 0x200E, "LEFT-TO-RIGHT MARK"],
	[0x200F, 0x200F, "RIGHT-TO-LEFT MARK"],
	[0x2028, 0x2028, "LINE SEPARATOR"],
	[0x2029, 0x2029, "PARAGRAPH SEPARATOR"],
	[0x202A, 0x202A, "LEFT-TO-RIGHT EMBEDDING"],
	[0x202B, 0x202B, "RIGHT-TO-LEFT EMBEDDING"],
	[0x202C, 0x202C, "POP DIRECTIONAL FORMATTING"],
	[0x202D, 0x202D, "LEFT-TO-RIGHT OVERRIDE"],
	[0x202E, 0x202E, "RIGHT-TO-LEFT OVERRIDE"],
	[0x2060, 0x2060, "WORD JOINER"],
	[0x2061, 0x2061, "FUNCTION APPLICATION"],
	[0x2062, 0x2062, "INVISIBLE TIMES"],
	[0x2063, 0x2063, "INVISIBLE SEPARATOR"],
	[0x2064, 0x2064, "INVISIBLE PLUS"],
	[0x2065, 0x2065, "INVISIBLE FORMAT CHARACTER"],
	[0x2066, 0x2066, "LEFT-TO-RIGHT ISOLATE"],
	[0x2067, 0x2067, "RIGHT-TO-LEFT ISOLATE"],
	[0x2068, 0x2068, "FIRST STRONG ISOLATE"],
	[0x2069, 0x2069, "POP DIRECTIONAL ISOLATE"],
	[0x206A, 0x206F, "DEPRECATED FORMAT CHARACTER"],
	[0x3164, 0x3164, "HANGUL FILLER"],
	[0xFE00, 0xFE0F, "VARIATION SELECTOR"],
	[0xFEFF, 0xFEFF, "ZERO WIDTH NO-BREAK SPACE"],
	[0xFFA0, 0xFFA0, "HALFWIDTH HANGUL FILLER"],
	[0xFFF9, 0xFFFB, "INTERLINEAR ANNOTATION"],
	[0x1D173, 0x1D17A, "MUSICAL FORMAT CHARACTER"],
	[0xE0000, 0xE007F, "TAG"],
	[0xE0100, 0xE01EF, "VARIATION SELECTOR"]
];

/* The name of hidden code point cp, or null. A lone surrogate (text that
 * was not well-formed) is hidden too. */
JG.hiddenName = function (cp) {
	var lo = 0, hi = HIDDEN_RANGES.length;
	if (cp >= 0xD800 && cp <= 0xDFFF)
		return "LONE SURROGATE (ill-formed text)";
	while (lo < hi) {
		var mid = (lo + hi) >> 1, r = HIDDEN_RANGES[mid];
		if (cp < r[0])
			hi = mid;
		else if (cp > r[1])
			lo = mid + 1;
		else
			return r[2];
	}
	return null;
};

function hexCp(cp) {
	var x = cp.toString(16).toUpperCase();
	return "U+" + ("0000" + x).slice(-Math.max(4, x.length));
}

/* s split into text runs and hidden characters: [{text}|{cp, name}]. */
JG.splitHidden = function (s) {
	var out = [], run = "";
	s = String(s);
	for (var i = 0; i < s.length;) {
		var cp = s.codePointAt(i);
		var len = cp > 0xFFFF ? 2 : 1;
		var name = JG.hiddenName(cp);
		if (name) {
			if (run)
				out.push({text: run});
			run = "";
			out.push({cp: cp, name: name});
		} else {
			run += s.slice(i, i + len);
		}
		i += len;
	}
	if (run)
		out.push({text: run});
	return out;
};

/* 1 when s (a string, or an object's keys and values) has any hidden
 * character. */
JG.hasHidden = function (s) {
	if (s === null || s === undefined)
		return false;
	if (typeof s === "object")
		return Object.keys(s).some(function (k) {
			return JG.hasHidden(k) || JG.hasHidden(s[k]);
		});
	return JG.splitHidden(s).some(function (p) { return p.name; });
};

/* "<U+202E>" in a marked span, titled with the character's name. */
JG.hiddenMark = function (cp, name) {
	var code = hexCp(cp);
	var el = document.createElement("span");
	el.className = "invisible-char";
	el.title = code + " " + name + ": a hidden character, shown here in its place";
	el.dataset.cp = code;
	el.appendChild(document.createTextNode("<" + code + ">"));
	return el;
};

/* A fragment of text nodes with each hidden character of s marked. */
JG.visible = function (s) {
	var parts = JG.splitHidden(s);
	if (parts.length === 1 && parts[0].text !== undefined)
		return document.createTextNode(parts[0].text);
	var frag = document.createDocumentFragment();
	parts.forEach(function (p) {
		frag.appendChild(p.name ? JG.hiddenMark(p.cp, p.name)
			: document.createTextNode(p.text));
	});
	return frag;
};

JG.clear = function (el) {
	while (el.firstChild)
		el.removeChild(el.firstChild);
	return el;
};

JG.svg = function (tag, attrs) {
	var el = document.createElementNS("http://www.w3.org/2000/svg", tag);
	Object.keys(attrs || {}).forEach(function (k) {
		if (/^on/i.test(k))
			throw new Error("event attributes are not allowed: " + k);
		if (attrs[k] !== null && attrs[k] !== undefined)
			el.setAttribute(k, String(attrs[k]));
	});
	for (var i = 2; i < arguments.length; i++) {
		var c = arguments[i];
		if (c === null || c === undefined)
			continue;
		if (typeof c === "string" || typeof c === "number")
			c = document.createTextNode(String(c));
		el.appendChild(c);
	}
	return el;
};

/* Unique ids for label/for pairs. */
var idSeq = 0;
JG.uid = function (prefix) {
	idSeq++;
	return (prefix || "f") + "-" + idSeq;
};

/* A labelled form control: returns {wrap, input}. */
JG.field = function (label, control, hint) {
	var id = control.id || JG.uid("fld");
	control.id = id;
	var hintEl = null;
	if (hint) {
		hintEl = JG.h("span", {class: "hint", id: id + "-hint"}, hint);
		control.setAttribute("aria-describedby", id + "-hint");
	}
	return JG.h("div", {class: "field"},
		JG.h("label", {for: id}, label), control, hintEl);
};

/* ---- clock and formatting -------------------------------------------- */

/* Server time minus local time, in ms, learnt from Date headers. */
JG.skew = 0;

JG.now = function () {
	return Date.now() + JG.skew;
};

JG.parseTime = function (s) {
	if (!s)
		return null;
	var t = Date.parse(s);
	return isNaN(t) ? null : t;
};

function pad(n) {
	return n < 10 ? "0" + n : String(n);
}

/* "2026-11-23 10:04:05" in local time; the full UTC time is in a title. */
/*
 * The zone a local time is in, as its offset: "UTC" or "UTC+01:00" (of
 * that moment: summer time counts). Every time shown says it, so a time
 * read over the phone at 3 a.m. cannot be taken for another zone's.
 */
JG.zoneOf = function (d) {
	var off = -d.getTimezoneOffset();
	if (!off)
		return "UTC";
	var a = Math.abs(off);
	return "UTC" + (off > 0 ? "+" : "-") + pad(Math.floor(a / 60)) + ":" + pad(a % 60);
};

/* The browser's zone by name ("Europe/Berlin"), or "" when unknown. */
JG.zoneName = function () {
	try {
		return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
	} catch (e) {
		return "";
	}
};

/* "2026-11-23 05:49:47 UTC+01:00": local time, with its zone. */
JG.fmtTime = function (s) {
	var t = JG.parseTime(s);
	if (t === null)
		return "—";
	var d = new Date(t);
	return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" +
		pad(d.getDate()) + " " + pad(d.getHours()) + ":" +
		pad(d.getMinutes()) + ":" + pad(d.getSeconds()) + " " + JG.zoneOf(d);
};

JG.timeEl = function (s) {
	return JG.h("time", {datetime: s || "", title: s ? s + " (UTC)" : ""}, JG.fmtTime(s));
};

/* 3725 s -> "1h 2m 5s"; 59 -> "59s". */
JG.fmtDuration = function (ms) {
	var s = Math.max(0, Math.floor(ms / 1000));
	var d = Math.floor(s / 86400);
	var h = Math.floor((s % 86400) / 3600);
	var m = Math.floor((s % 3600) / 60);
	var sec = s % 60;
	if (d)
		return d + "d " + h + "h";
	if (h)
		return h + "h " + pad(m) + "m";
	if (m)
		return m + "m " + pad(sec) + "s";
	return sec + "s";
};

JG.ago = function (s) {
	var t = JG.parseTime(s);
	if (t === null)
		return "";
	var d = JG.now() - t;
	if (d < 45000)
		return "just now";
	return JG.fmtDuration(d) + " ago";
};

/*
 * A countdown to an RFC 3339 time: a <span data-until> that tick()
 * refreshes every second. `label` is what to say once it has passed.
 */
JG.countdown = function (until, label) {
	var el = JG.h("span", {class: "countdown", dataset: {until: until || "",
		over: label || "expired"}, role: "timer", "aria-live": "off"});
	JG.tickOne(el);
	return el;
};

JG.tickOne = function (el) {
	var t = JG.parseTime(el.dataset.until);
	if (t === null) {
		el.textContent = "—";
		return;
	}
	var left = t - JG.now();
	el.classList.toggle("over", left <= 0);
	el.classList.toggle("soon", left > 0 && left < 5 * 60000);
	el.textContent = left > 0 ? JG.fmtDuration(left) + " left"
		: el.dataset.over;
};

JG.tick = function () {
	var els = document.querySelectorAll("[data-until]");
	for (var i = 0; i < els.length; i++)
		JG.tickOne(els[i]);
};

/* RFC 3339 UTC from a <input type=datetime-local> value (local time). */
JG.localToUtc = function (v) {
	if (!v)
		return "";
	var t = new Date(v);
	if (isNaN(t.getTime()))
		return "";
	return t.toISOString().replace(/\.\d{3}Z$/, "Z");
};

/* ---- API --------------------------------------------------------------- */

JG.session = null; /* {principal, kind, groups, roles, csrf_token} */

JG.ApiError = function (status, problem) {
	this.status = status;
	this.problem = problem || {};
	this.type = (this.problem.type || "").replace("urn:jitgate:problem:", "");
	this.message = this.problem.detail || this.problem.title ||
		("HTTP " + status);
};
JG.ApiError.prototype = Object.create(Error.prototype);

/* Called on any 401 once signed in (set by app.js). */
JG.onUnauthorized = null;

function learnSkew(res) {
	var d = res.headers.get("Date");
	var t = d ? Date.parse(d) : NaN;
	/* Date has 1 s resolution: only correct skews larger than that */
	if (!isNaN(t)) {
		var s = t - Date.now();
		JG.skew = Math.abs(s) > 1500 ? s : 0;
	}
}

/*
 * What the last GET of each URL answered, with its ETag: the API is
 * no-store, so the page keeps it, asks "changed?" with If-None-Match, and
 * a 304 resolves with the very same object (callers can skip work when
 * res === last). Bounded: the oldest entry goes first. Cleared at
 * sign-out (JG.forgetAnswers).
 */
var ANSWERS_MAX = 100;
var answers = new Map(); /* url -> {etag, data} */

function rememberAnswer(url, etag, data) {
	answers.delete(url);
	answers.set(url, {etag: etag, data: data});
	if (answers.size > ANSWERS_MAX)
		answers.delete(answers.keys().next().value);
}

JG.forgetAnswers = function () {
	answers.clear();
};

/*
 * JG.api("GET", "/v1/requests", {query: {state: "pending"}})
 * JG.api("POST", "/v1/requests/ID/approve", {body: {...}})
 * Resolves with the parsed JSON (or text for non-JSON); rejects with an
 * ApiError carrying the problem+json. GETs are conditional (see answers).
 */
JG.api = function (method, path, opts) {
	opts = opts || {};
	var url = path + JG.query(opts.query);
	var headers = {"Accept": "application/json"};
	var init = {method: method, headers: headers, credentials: "same-origin",
		cache: "no-store"};
	var known = method === "GET" ? answers.get(url) : null;
	if (known)
		headers["If-None-Match"] = known.etag;
	/* every call carries it: a GET may change something too (a grant
	 * token minted is audited), and the server asks for it there */
	if (JG.session && JG.session.csrf_token)
		headers["X-CSRF-Token"] = JG.session.csrf_token;
	if (method !== "GET") {
		headers["Content-Type"] = "application/json";
		init.body = JSON.stringify(opts.body || {});
	}
	return fetch(url, init).then(function (res) {
		learnSkew(res);
		if (res.status === 304 && known)
			return known.data;
		var ct = res.headers.get("Content-Type") || "";
		var body = ct.indexOf("json") >= 0 && ct.indexOf("ndjson") < 0
			? res.json().catch(function () { return null; })
			: res.text();
		return body.then(function (data) {
			if (!res.ok) {
				var err = new JG.ApiError(res.status,
					data && typeof data === "object" ? data : null);
				if (res.status === 401 && !opts.quiet401 &&
				    JG.onUnauthorized)
					JG.onUnauthorized(err);
				throw err;
			}
			var etag = method === "GET" ? res.headers.get("ETag") : null;
			if (etag)
				rememberAnswer(url, etag, data);
			return data;
		});
	}, function (e) {
		throw new JG.ApiError(0, {detail: "the server cannot be reached (" +
			(e && e.message ? e.message : "network error") + ")"});
	});
};

JG.query = function (q) {
	if (!q)
		return "";
	var parts = [];
	Object.keys(q).forEach(function (k) {
		if (q[k] !== undefined && q[k] !== null && q[k] !== "")
			parts.push(encodeURIComponent(k) + "=" +
				encodeURIComponent(q[k]));
	});
	return parts.length ? "?" + parts.join("&") : "";
};

/* Follow next_cursor up to `max` items. */
JG.apiAll = function (path, query, max) {
	var items = [];
	function page(cursor) {
		var q = Object.assign({}, query || {}, {limit: 500, cursor: cursor});
		return JG.api("GET", path, {query: q}).then(function (r) {
			items = items.concat(r.items || []);
			if (r.next_cursor && items.length < max)
				return page(r.next_cursor);
			return items;
		});
	}
	return page(null);
};

/* ---- who am I ----------------------------------------------------------- */

JG.me = function () {
	return JG.session ? JG.session.principal : "";
};

JG.hasRole = function (r) {
	return !!(JG.session && (JG.session.roles || []).indexOf(r) >= 0);
};

JG.seesAll = function () {
	return JG.hasRole("admin") || JG.hasRole("auditor");
};

JG.inGroup = function (g) {
	return !!(JG.session && (JG.session.groups || []).indexOf(g) >= 0);
};

/* ---- SQL highlighting ---------------------------------------------------- */

var SQL_KEYWORDS = ("select from where and or not insert into values update " +
	"set delete create alter drop table index view grant revoke truncate " +
	"join inner left right outer full cross on using group by order having " +
	"limit offset union all distinct as is null in between like ilike " +
	"exists case when then else end begin commit rollback returning with " +
	"primary key foreign references default constraint unique check " +
	"cascade asc desc true false vacuum analyze explain copy to database " +
	"schema column add rename if replace function trigger procedure " +
	"execute do declare language security role user password owner " +
	"sequence restart identity only lock share mode nowait for").split(" ");
var KW = {};
SQL_KEYWORDS.forEach(function (k) { KW[k] = true; });

/*
 * Split SQL text into [{type, text}] tokens: kw, ident, str, num, comment,
 * op, punct, space. Total: the concatenation of every text is the input.
 */
JG.sqlTokens = function (src) {
	var out = [];
	var i = 0, n = src.length;
	function push(type, j) {
		out.push({type: type, text: src.slice(i, j)});
		i = j;
	}
	while (i < n) {
		var c = src[i], j;
		if (/\s/.test(c)) {
			j = i + 1;
			while (j < n && /\s/.test(src[j]))
				j++;
			push("space", j);
		} else if (c === "-" && src[i + 1] === "-") {
			j = src.indexOf("\n", i);
			push("comment", j < 0 ? n : j);
		} else if (c === "/" && src[i + 1] === "*") {
			j = src.indexOf("*/", i + 2);
			push("comment", j < 0 ? n : j + 2);
		} else if (c === "'" || c === "\"" || c === "`") {
			j = i + 1;
			while (j < n) {
				if (src[j] === c) {
					if (src[j + 1] === c) { /* doubled quote */
						j += 2;
						continue;
					}
					break;
				}
				if (src[j] === "\\" && c !== "\"")
					j++;
				j++;
			}
			push(c === "'" ? "str" : "ident", Math.min(n, j + 1));
		} else if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(src[i + 1] || ""))) {
			j = i + 1;
			while (j < n && /[0-9._eE]/.test(src[j]))
				j++;
			push("num", j);
		} else if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
			j = i + 1;
			while (j < n && /[A-Za-z0-9_$\u0080-\uffff]/.test(src[j]))
				j++;
			var word = src.slice(i, j);
			push(KW[word.toLowerCase()] ? "kw" : "ident", j);
		} else if (/[=<>!+\-*\/%|&^~:]/.test(c)) {
			j = i + 1;
			while (j < n && /[=<>!|&:]/.test(src[j]))
				j++;
			push("op", j);
		} else {
			push("punct", i + 1);
		}
	}
	return out;
};

/* A <pre><code> of the payload: highlighted when it reads as SQL. */
/*
 * The payload as it runs, one numbered block per real line (.ln; the
 * numbers are CSS, so they are neither read out nor copied): on a
 * narrow screen a long line wraps under its own number, and is not
 * mistaken for a line break. Each "\n" stays in the text, at the end of
 * its line, so the text content is exactly the payload.
 */
JG.payloadBlock = function (payload, action) {
	var code = JG.h("code", {});
	var line = JG.h("span", {class: "ln"});
	var isSql = /^sql\./.test(action || "") ||
		/^\s*(select|insert|update|delete|create|alter|drop|with|grant|truncate)\b/i.test(payload);
	code.appendChild(line);
	function put(text, cls) {
		text.split("\n").forEach(function (piece, i) {
			if (i) {
				JG.append(line, "\n");
				line = JG.h("span", {class: "ln"});
				code.appendChild(line);
			}
			if (piece)
				JG.append(line, cls ? JG.h("span", {class: cls}, piece) : piece);
		});
	}
	if (isSql) {
		code.className = "sql";
		JG.sqlTokens(payload).forEach(function (t) {
			put(t.text, t.type === "space" || t.type === "punct" ? null : "tok-" + t.type);
		});
	} else {
		put(payload, null);
	}
	return JG.h("pre", {class: "payload", tabindex: "0",
		"aria-label": "payload"}, code);
};

/* ---- downloads ------------------------------------------------------------ */

JG.download = function (name, type, text) {
	var blob = new Blob([text], {type: type});
	var url = URL.createObjectURL(blob);
	var a = JG.h("a", {href: url, download: name, class: "hidden"});
	document.body.appendChild(a);
	a.click();
	setTimeout(function () {
		URL.revokeObjectURL(url);
		a.remove();
	}, 1000);
};

/* One CSV cell: quoted, and defused against spreadsheet formulas. */
JG.csvCell = function (v) {
	var s = v === null || v === undefined ? "" :
		typeof v === "object" ? JSON.stringify(v) : String(v);
	if (/^[=+\-@\t\r]/.test(s))
		s = "'" + s;
	return "\"" + s.replace(/"/g, "\"\"") + "\"";
};
