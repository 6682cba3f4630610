"""A dependency-free SVG chart: incremental wall time and bytes over the wire per workload and link
(log scale, one bar per strategy), and generator wall time against the number of apps."""
from __future__ import annotations

import math
from xml.sax.saxutils import escape

import report

COLORS = {"tar": "#c0392b", "rsync": "#2471a3", "sshfs": "#229954"}
W, PANEL_H = 920, 260


def _log_panel(o: list[str], y0: int, title: str, groups: list[tuple[str, dict[str, float]]], unit: str) -> None:
    values = [v for _, g in groups for v in g.values() if v > 0]
    if not values:
        return
    lo = 10 ** math.floor(math.log10(min(values)))
    hi = 10 ** math.ceil(math.log10(max(values)))
    if hi <= lo:
        hi = lo * 10
    left, right, top, bottom = 70, W - 20, y0 + 30, y0 + PANEL_H - 40
    o.append(f'<text x="{left}" y="{y0 + 18}" font-size="14" font-weight="bold">{escape(title)}</text>')

    def y(v: float) -> float:
        return bottom - (math.log10(max(v, lo)) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * (bottom - top)

    d = lo
    while d <= hi * 1.0001:
        o.append(f'<line x1="{left}" x2="{right}" y1="{y(d):.1f}" y2="{y(d):.1f}" stroke="#ddd"/>')
        o.append(f'<text x="{left - 6}" y="{y(d) + 4:.1f}" font-size="11" text-anchor="end">{d:g} {unit}</text>')
        d *= 10
    gw = (right - left) / max(1, len(groups))
    bw = gw / 4.5
    for i, (label, g) in enumerate(groups):
        gx = left + i * gw + gw / 2 - 1.5 * bw
        for j, s in enumerate(("tar", "rsync", "sshfs")):
            if s not in g:
                continue
            v = g[s]
            x = gx + j * bw
            yy = y(v)
            o.append(f'<rect x="{x:.1f}" y="{yy:.1f}" width="{bw - 2:.1f}" height="{bottom - yy:.1f}" fill="{COLORS[s]}">'
                     f'<title>{escape(label)} {s}: {v:.3g} {unit}</title></rect>')
        o.append(f'<text x="{left + i * gw + gw / 2:.1f}" y="{bottom + 16}" font-size="11" text-anchor="middle">{escape(label)}</text>')


def _gen_panel(o: list[str], y0: int, gens: list[dict]) -> None:
    pts = [(g["apps"], g["wall_s"]) for g in gens if g.get("ok")]
    if len(pts) < 2:
        return
    left, right, top, bottom = 70, W - 20, y0 + 30, y0 + PANEL_H - 40
    o.append(f'<text x="{left}" y="{y0 + 18}" font-size="14" font-weight="bold">'
             'Generator: render + validate, wall time incl. start-up (log-log)</text>')
    xs = [math.log10(a) for a, _ in pts]
    lo_t = 10 ** math.floor(math.log10(min(t for _, t in pts)))
    hi_t = 10 ** math.ceil(math.log10(max(t for _, t in pts)))
    if hi_t <= lo_t:
        hi_t = lo_t * 10

    def px(a: float) -> float:
        return left + (math.log10(a) - min(xs)) / max(1e-9, max(xs) - min(xs)) * (right - left - 40) + 20

    def py(t: float) -> float:
        return bottom - (math.log10(t) - math.log10(lo_t)) / (math.log10(hi_t) - math.log10(lo_t)) * (bottom - top)

    d = lo_t
    while d <= hi_t * 1.0001:
        o.append(f'<line x1="{left}" x2="{right}" y1="{py(d):.1f}" y2="{py(d):.1f}" stroke="#ddd"/>')
        o.append(f'<text x="{left - 6}" y="{py(d) + 4:.1f}" font-size="11" text-anchor="end">{d:g} s</text>')
        d *= 10
    path = " ".join(f"{'M' if i == 0 else 'L'}{px(a):.1f},{py(t):.1f}" for i, (a, t) in enumerate(pts))
    o.append(f'<path d="{path}" fill="none" stroke="#7d3c98" stroke-width="2"/>')
    for a, t in pts:
        o.append(f'<circle cx="{px(a):.1f}" cy="{py(t):.1f}" r="4" fill="#7d3c98"/>')
        o.append(f'<text x="{px(a):.1f}" y="{py(t) - 8:.1f}" font-size="11" text-anchor="middle">{t:.2f} s</text>')
        o.append(f'<text x="{px(a):.1f}" y="{bottom + 16}" font-size="11" text-anchor="middle">{a:,} apps</text>')


def write(data: dict, path: str) -> None:
    walls: list[tuple[str, dict[str, float]]] = []
    wires: list[tuple[str, dict[str, float]]] = []
    for w in data["workloads"]:
        for link in data["links"]:
            inc = report.incremental(data, w, link)
            if not inc:
                continue
            label = f"{w} {link}"
            walls.append((label, {s: v["wall_s"] for s, v in inc.items()}))
            wires.append((label, {s: v["wire_bytes"] / 1e6 for s, v in inc.items()}))
    panels = (1 if walls else 0) + (1 if wires else 0) + (1 if len([g for g in data["generator"] if g.get("ok")]) >= 2 else 0)
    h = 40 + panels * PANEL_H
    o = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{h}" viewBox="0 0 {W} {h}" '
         'font-family="sans-serif">', f'<rect width="{W}" height="{h}" fill="white"/>']
    x = 70
    for s, c in COLORS.items():
        o.append(f'<rect x="{x}" y="10" width="12" height="12" fill="{c}"/>'
                 f'<text x="{x + 16}" y="21" font-size="12">{s}</text>')
        x += 80
    o.append(f'<text x="{x + 20}" y="21" font-size="12">{escape(data["name"])}: mean of the incremental runs</text>')
    y0 = 30
    if walls:
        _log_panel(o, y0, "Incremental backup: wall time (log scale)", walls, "s")
        y0 += PANEL_H
    if wires:
        _log_panel(o, y0, "Incremental backup: bytes over the wire (log scale)", wires, "MB")
        y0 += PANEL_H
    _gen_panel(o, y0, data["generator"])
    o.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(o) + "\n")
