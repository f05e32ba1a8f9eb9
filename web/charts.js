/*
 * charts.js - small SVG charts built with createElementNS (no library):
 * stacked bars, histogram, horizontal bars, and a step area over time.
 * Every chart is an <svg role="img"> with a <title> and an aria-label
 * summary; colours come from CSS classes (app.css), never inline styles.
 */
"use strict";

(function () {
	var JG = window.JG;
	var S = JG.svg;
	var W = 640, H = 260;
	var M = {top: 16, right: 16, bottom: 44, left: 44};

	function frame(title, summary) {
		var svg = S("svg", {viewBox: "0 0 " + W + " " + H, role: "img",
			"aria-label": title + ". " + summary, class: "chart",
			preserveAspectRatio: "xMidYMid meet"});
		svg.appendChild(S("title", {}, title));
		return svg;
	}

	/* "Nice" tick values from 0 to at least max. */
	function ticks(max) {
		if (max <= 0)
			return [0, 1];
		var raw = max / 4;
		var mag = Math.pow(10, Math.floor(Math.log10(raw)));
		var step = [1, 2, 5, 10].map(function (m) { return m * mag; })
			.filter(function (s) { return s >= raw; })[0];
		step = Math.max(1, Math.ceil(step));
		var out = [];
		for (var v = 0; v <= max + step - 1e-9; v += step)
			out.push(v);
		if (out.length < 2)
			out.push(step);
		return out;
	}

	function yAxis(svg, tv, y) {
		var g = S("g", {class: "axis"});
		tv.forEach(function (v) {
			var yy = y(v);
			g.appendChild(S("line", {x1: M.left, x2: W - M.right, y1: yy,
				y2: yy, class: "grid"}));
			g.appendChild(S("text", {x: M.left - 6, y: yy + 4,
				"text-anchor": "end"}, String(v)));
		});
		svg.appendChild(g);
	}

	function empty(svg, text) {
		svg.appendChild(S("text", {x: W / 2, y: H / 2, "text-anchor": "middle",
			class: "empty"}, text));
		return svg;
	}

	function legend(series) {
		return JG.h("ul", {class: "legend"}, series.map(function (s) {
			return JG.h("li", {}, JG.h("span", {class: "swatch " + s.cls,
				"aria-hidden": "true"}), s.name);
		}));
	}

	/*
	 * Stacked vertical bars. labels: [x label]; series: [{name, cls,
	 * values: [n per label]}].
	 */
	function stacked(title, labels, series) {
		var totals = labels.map(function (_, i) {
			return series.reduce(function (a, s) { return a + s.values[i]; }, 0);
		});
		var max = Math.max.apply(null, totals.concat([0]));
		var sum = totals.reduce(function (a, b) { return a + b; }, 0);
		var svg = frame(title, sum + " requests over " + labels.length +
			" days; " + series.map(function (s) {
				return s.name + " " + s.values.reduce(function (a, b) {
					return a + b; }, 0);
			}).join(", "));
		var tv = ticks(max);
		var top = tv[tv.length - 1];
		var ih = H - M.top - M.bottom, iw = W - M.left - M.right;
		var y = function (v) { return M.top + ih - (v / top) * ih; };
		yAxis(svg, tv, y);
		var bw = iw / labels.length;
		var g = S("g", {});
		labels.forEach(function (lab, i) {
			var acc = 0;
			var x = M.left + i * bw + bw * 0.15;
			series.forEach(function (s) {
				var v = s.values[i];
				if (!v)
					return;
				var r = S("rect", {x: x, width: bw * 0.7, y: y(acc + v),
					height: Math.max(0, y(acc) - y(acc + v)),
					class: "bar " + s.cls});
				r.appendChild(S("title", {}, lab + ": " + v + " " + s.name));
				g.appendChild(r);
				acc += v;
			});
			/* every other day label hides on narrow screens (app.css) */
			svg.appendChild(S("text", {x: x + bw * 0.35, y: H - M.bottom + 16,
				"text-anchor": "middle", class: "xlabel" +
					((labels.length - 1 - i) % 2 ? " xlabel-alt" : "")}, lab));
		});
		svg.appendChild(g);
		if (!sum)
			empty(svg, "no requests in this period");
		return JG.h("div", {class: "chart-wrap"}, svg, legend(series));
	}

	/* Vertical bars, one per bucket: [{label, value}]. */
	function bars(title, items, unit, cls) {
		var max = Math.max.apply(null, items.map(function (d) {
			return d.value; }).concat([0]));
		var total = items.reduce(function (a, d) { return a + d.value; }, 0);
		var svg = frame(title, items.map(function (d) {
			return d.label + ": " + d.value; }).join(", "));
		var tv = ticks(max);
		var top = tv[tv.length - 1];
		var ih = H - M.top - M.bottom, iw = W - M.left - M.right;
		var y = function (v) { return M.top + ih - (v / top) * ih; };
		yAxis(svg, tv, y);
		var bw = iw / Math.max(1, items.length);
		items.forEach(function (d, i) {
			var x = M.left + i * bw + bw * 0.12;
			var r = S("rect", {x: x, width: bw * 0.76, y: y(d.value),
				height: Math.max(0, y(0) - y(d.value)), class: "bar " + cls});
			r.appendChild(S("title", {}, d.label + ": " + d.value + " " + unit));
			svg.appendChild(r);
			if (d.value)
				svg.appendChild(S("text", {x: x + bw * 0.38, y: y(d.value) - 4,
					"text-anchor": "middle", class: "value"}, String(d.value)));
			svg.appendChild(S("text", {x: x + bw * 0.38, y: H - M.bottom + 16,
				"text-anchor": "middle", class: "xlabel"}, d.label));
		});
		if (!total)
			empty(svg, "nothing to show yet");
		return JG.h("div", {class: "chart-wrap"}, svg);
	}

	/* Horizontal bars with labels on the left: [{label, value}]. */
	function hbars(title, items, cls) {
		var rowH = 26, left = 150;
		var h = Math.max(80, items.length * rowH + 24);
		var max = Math.max.apply(null, items.map(function (d) {
			return d.value; }).concat([1]));
		var svg = S("svg", {viewBox: "0 0 " + W + " " + h, role: "img",
			class: "chart", "aria-label": title + ". " + items.map(function (d) {
				return d.label + ": " + d.value; }).join(", ")});
		svg.appendChild(S("title", {}, title));
		var iw = W - left - 56;
		items.forEach(function (d, i) {
			var yy = 12 + i * rowH;
			var label = d.label.length > 22 ? d.label.slice(0, 21) + "…" : d.label;
			svg.appendChild(S("text", {x: left - 8, y: yy + 14,
				"text-anchor": "end", class: "ylabel"}, label));
			var r = S("rect", {x: left, y: yy, height: rowH - 8,
				width: Math.max(2, (d.value / max) * iw), rx: 3,
				class: "bar " + cls});
			r.appendChild(S("title", {}, d.label + ": " + d.value));
			svg.appendChild(r);
			svg.appendChild(S("text", {x: left + Math.max(2, (d.value / max) * iw) + 6,
				y: yy + 14, class: "value"}, String(d.value)));
		});
		if (!items.length)
			empty(svg, "no requests yet");
		return JG.h("div", {class: "chart-wrap"}, svg);
	}

	/* A step area over time: points [{t (ms), v}], ascending. */
	function area(title, points, cls, fmtX) {
		var max = Math.max.apply(null, points.map(function (p) {
			return p.v; }).concat([0]));
		var svg = frame(title, "peak " + max + ", now " +
			(points.length ? points[points.length - 1].v : 0));
		var tv = ticks(max);
		var top = tv[tv.length - 1];
		var ih = H - M.top - M.bottom, iw = W - M.left - M.right;
		var t0 = points.length ? points[0].t : 0;
		var t1 = points.length ? points[points.length - 1].t : 1;
		var x = function (t) {
			return M.left + (t1 > t0 ? (t - t0) / (t1 - t0) : 0) * iw; };
		var y = function (v) { return M.top + ih - (v / top) * ih; };
		yAxis(svg, tv, y);
		if (points.length) {
			var d = "M" + x(points[0].t) + "," + y(0);
			var line = "M" + x(points[0].t) + "," + y(points[0].v);
			points.forEach(function (p, i) {
				if (i) {
					d += " L" + x(p.t) + "," + y(points[i - 1].v);
					line += " L" + x(p.t) + "," + y(points[i - 1].v);
				}
				d += " L" + x(p.t) + "," + y(p.v);
				line += " L" + x(p.t) + "," + y(p.v);
			});
			d += " L" + x(t1) + "," + y(0) + " Z";
			svg.appendChild(S("path", {d: d, class: "area " + cls}));
			svg.appendChild(S("path", {d: line, class: "line " + cls}));
			var n = 6;
			for (var i = 0; i <= n; i++) {
				var t = t0 + (t1 - t0) * i / n;
				svg.appendChild(S("text", {x: x(t), y: H - M.bottom + 16,
					"text-anchor": i === 0 ? "start" : i === n ? "end" : "middle",
					class: "xlabel"}, fmtX(t)));
			}
		}
		if (!max)
			empty(svg, "no active grants in this period");
		return JG.h("div", {class: "chart-wrap"}, svg);
	}

	JG.chart = {stacked: stacked, bars: bars, hbars: hbars, area: area};
})();
