// charts.js: charts through chart.js (npm, served from /vendor/). The library loads deferred after
// the page's first paint; until it is there (or if it is missing) the numbers stand in tables.
import { h } from './dom.js';

function chartLib() {
  if (window.Chart) return Promise.resolve(window.Chart);
  return new Promise((resolve) => {
    if (document.readyState === 'complete') { resolve(window.Chart || null); return; }
    window.addEventListener('load', () => resolve(window.Chart || null), { once: true });
  });
}

const COLORS = ['#1f5fa8', '#b5461a', '#2e7d32', '#7b3fa0', '#8a6d00', '#00707a'];

// A canvas with a text alternative (the figure's caption and an aria-label); drawn when the
// library is ready. config is a chart.js config; height in pixels (default from the CSS).
export function chart(config, label, height) {
  const canvas = h('canvas', { role: 'img', 'aria-label': label });
  const box = h('div', { class: 'chart-box' }, canvas);
  if (height) box.style.height = `${height}px`;
  const fig = h('figure', { class: 'chart' }, box, h('figcaption', {}, label));
  // The figure is put on the page after this returns: draw once it is there (for up to ~5 s).
  let tries = 300;
  const draw = (Chart) => {
    if (!Chart) { fig.hidden = true; return; }
    if (!canvas.isConnected) { if (--tries > 0) requestAnimationFrame(() => draw(Chart)); return; }
    const inst = new Chart(canvas, {
      ...config,
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        plugins: { legend: { position: 'bottom' } }, ...(config.options || {}),
      },
    });
    canvas._chart = inst;
  };
  chartLib().then(draw);
  return fig;
}

export const color = (i) => COLORS[i % COLORS.length];
