// router.js: hash routes ("#/persons/12?tab=tests"), so that every page has an address the server
// never has to know about (static.c serves index.html for "/" only). Page modules are imported on
// first use: the dashboard does not wait for the code of the other pages.

const routes = [];  // {re, keys, load}
let current = null; // cleanup function of the page on screen
let renderSeq = 0;

export function route(pattern, load) {
  const keys = [];
  const re = new RegExp('^' + pattern.replace(/:(\w+)/g, (_, k) => { keys.push(k); return '([^/]+)'; }) + '$');
  routes.push({ re, keys, load });
}

export function parseHash(hash = location.hash) {
  const h = hash.replace(/^#\/?/, '');
  const i = h.indexOf('?');
  const path = i < 0 ? h : h.slice(0, i);
  const query = Object.fromEntries(new URLSearchParams(i < 0 ? '' : h.slice(i + 1)));
  return { path, query };
}

// href('persons/12', {tab: 'tests'}) -> "#/persons/12?tab=tests"
export function href(path, query) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query || {})) if (v !== null && v !== undefined && v !== '') q.set(k, v);
  const s = q.toString();
  return '#/' + path + (s ? '?' + s : '');
}

export function go(path, query, replace = false) {
  const h = href(path, query);
  if (replace) history.replaceState(null, '', h);
  else if (location.hash !== h) { location.hash = h; return; }
  render();
}

export async function render(ctx) {
  const seq = ++renderSeq;
  const { path, query } = parseHash();
  const main = document.getElementById('main');
  for (const r of routes) {
    const m = r.re.exec(path);
    if (!m) continue;
    const params = Object.fromEntries(r.keys.map((k, i) => [k, decodeURIComponent(m[i + 1])]));
    if (current) { try { current(); } catch { /* a page's cleanup must not stop the next */ } current = null; }
    const mod = await r.load();
    if (seq !== renderSeq) return; // another navigation started meanwhile
    // Each page renders into a view of its own: a page still loading when the next one starts
    // finishes into a detached element, never into the page on screen.
    const view = document.createElement('div');
    view.className = 'view';
    view.dataset.page = main.dataset.page = path.split('/')[0] || 'home';
    main.replaceChildren(view);
    const cleanup = await mod.render(view, { params, query, ...(ctx || {}) });
    if (seq === renderSeq && typeof cleanup === 'function') current = cleanup;
    return;
  }
  main.textContent = '404';
}
