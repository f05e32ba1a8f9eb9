/*
 * overview.js - the overview page: tiles and charts (charts.js) over the
 * requests and grants the caller can see.
 */
"use strict";

(function () {
	var JG = window.JG;
	var h = JG.h;
	var U = JG.ui;
	var errorBox = U.errorBox;
	var pageHead = U.pageHead;

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
			/* by people only: an automatic or break-glass approval takes
			 * no one's time and would pull the median to zero */
			var waits = reqs.filter(function (r) {
				return r.state === "approved" && r.decision === "review" && r.decided_at && r.created_at;
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
				tile("Median time to approve", median === null ? "—" : JG.fmtDuration(median), "t-time"),
				tile("Break-glass (14 days)", String(recent.filter(function (r) { return r.break_glass; }).length), "t-break-glass"),
				tile("Flagged (14 days)", String(recent.filter(function (r) {
					return (r.screening || []).some(function (c) { return c.result === "flag"; });
				}).length), "t-flagged"),
				tile("Reviews due", String(reqs.filter(function (r) { return r.post_review === "required"; }).length),
					"t-reviews-due"));
			JG.clear(grid).append(
				panel("Requests per day", "By outcome, last 14 days", JG.chart.stacked("Requests per day by outcome", labels, series)),
				panel("Time to approve", waits.length + " request" + (waits.length === 1 ? "" : "s") +
					" approved by people, from creation to decision (automatic and break-glass approvals left out)",
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

	Object.assign(U, {
		overviewPage: overviewPage
	});
})();
