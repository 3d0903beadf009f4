// Charts as inline SVG, drawn here in the browser (no library, nothing fetched).
'use strict';
const Charts = (() => {
  const NS = 'http://www.w3.org/2000/svg';
  const palette = ['#2b6cb0', '#dd6b20', '#38a169', '#805ad5', '#d53f8c', '#319795', '#b7791f', '#4a5568'];

  function el(name, attrs, text) {
    const e = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function format(v) {
    if (!Number.isFinite(v)) return '–';
    const a = Math.abs(v);
    if (a >= 1e9) return (v / 1e9).toFixed(2) + ' G';
    if (a >= 1e6) return (v / 1e6).toFixed(2) + ' M';
    if (a >= 1e4) return (v / 1e3).toFixed(1) + ' k';
    if (a >= 100) return v.toFixed(0);
    if (a >= 1) return v.toFixed(2);
    return v.toPrecision(3);
  }

  /** Horizontal bars: items [{ label, value, note }]; an item without a value shows its note instead. */
  function bars(title, unit, items) {
    const rowH = 26, left = 130, width = 460, top = 28;
    const height = top + items.length * rowH + 10;
    const max = Math.max(1e-12, ...items.map((i) => (Number.isFinite(i.value) ? i.value : 0)));
    const svg = el('svg', { class: 'chart', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img',
      'aria-label': title, 'data-chart': title });
    svg.append(el('text', { x: 0, y: 16, class: 'title' }, `${title} (${unit})`));
    items.forEach((item, i) => {
      const y = top + i * rowH;
      svg.append(el('text', { x: left - 8, y: y + 16, 'text-anchor': 'end' }, item.label));
      if (Number.isFinite(item.value)) {
        const w = Math.max(1, (item.value / max) * (width - left - 80));
        const bar = el('rect', { x: left, y: y + 3, width: w, height: rowH - 8, fill: palette[i % palette.length],
          'data-label': item.label, 'data-value': item.value });
        bar.append(el('title', {}, `${item.label}: ${format(item.value)} ${unit}`));
        svg.append(bar, el('text', { x: left + w + 6, y: y + 16 }, format(item.value)));
      } else {
        svg.append(el('text', { x: left, y: y + 16, fill: '#c53030' }, item.note || 'no result'));
      }
    });
    return svg;
  }

  /** Lines over x: series [{ name, points: [[x, y]] }]. */
  function lines(title, xLabel, yLabel, series) {
    const width = 460, height = 220, l = 46, r = 10, t = 28, b = 34;
    const all = series.flatMap((s) => s.points);
    const xMax = Math.max(1e-12, ...all.map((p) => p[0])), yMax = Math.max(1e-12, ...all.map((p) => p[1]));
    const sx = (x) => l + (x / xMax) * (width - l - r), sy = (y) => height - b - (y / yMax) * (height - t - b);
    const svg = el('svg', { class: 'chart', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img',
      'aria-label': title, 'data-chart': title });
    svg.append(el('text', { x: 0, y: 16, class: 'title' }, title));
    svg.append(el('line', { x1: l, y1: height - b, x2: width - r, y2: height - b, stroke: '#a0aec0' }));
    svg.append(el('line', { x1: l, y1: t, x2: l, y2: height - b, stroke: '#a0aec0' }));
    svg.append(el('text', { x: width - r, y: height - 6, 'text-anchor': 'end' }, `${xLabel} (max ${format(xMax)})`));
    svg.append(el('text', { x: 4, y: t + 10 }, format(yMax)), el('text', { x: 4, y: height - b }, '0'));
    svg.append(el('text', { x: l + 4, y: t + 10 }, yLabel));
    series.forEach((s, i) => {
      const d = s.points.map((p, j) => `${j ? 'L' : 'M'}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join('');
      svg.append(el('path', { d, fill: 'none', stroke: palette[i % palette.length], 'stroke-width': 1.5,
        'data-series': s.name }));
      svg.append(el('text', { x: width - r - 4, y: t + 14 + i * 14, 'text-anchor': 'end',
        fill: palette[i % palette.length] }, s.name));
    });
    return svg;
  }

  return { bars, lines, format };
})();
