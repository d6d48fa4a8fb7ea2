// e2e.test.mjs: the web UI in a real browser (Debian's chromium, headless, driven by playwright-core)
// against `pcmt serve` on a fresh demo province on a free port. What a person does: sign in, find a
// person by typing an unaccented name, see their commune fail the drug-free criteria, add a negative
// test, see an impossible date refused next to its field with everything typed kept, see the
// commune pass, switch language, and (with sign-in) be refused a person of another commune as a
// commune officer. Prints the first dashboard paint, saves screenshots of the main pages under
// $PCMT_OUT_DIR/screenshots. Closing line: "N passed, N failed".
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = process.env.PCMT_BIN;
const SRC = process.env.PCMT_SOURCE_DIR;
const OUT = process.env.PCMT_OUT_DIR || join(tmpdir(), 'pcmt-web-test');
const CHROMIUM = process.env.PCMT_CHROMIUM || '/usr/bin/chromium';
const required = process.env.PCMT_BROWSER_REQUIRED === '1';

function skip(why) {
  console.log(`${required ? 'FAIL' : 'SKIP'}: ${why}`);
  process.exit(required ? 1 : 77);
}
if (!BIN || !SRC) { console.log('FAIL: PCMT_BIN and PCMT_SOURCE_DIR must be set'); process.exit(1); }
let chromium;
try {
  ({ chromium } = await import(join(SRC, 'node_modules/playwright-core/index.mjs')));
} catch { skip('playwright-core is not installed (npm ci)'); }
if (!existsSync(CHROMIUM)) skip(`no browser at ${CHROMIUM} (apt-get install chromium)`);

let passed = 0, failed = 0;
function check(cond, what) {
  if (cond) { passed++; console.log(`ok - ${what}`); } else { failed++; console.log(`not ok - ${what}`); }
  return cond;
}

const tmp = mkdtempSync(join(tmpdir(), 'pcmt-e2e-'));
const shots = join(OUT, 'screenshots');
mkdirSync(shots, { recursive: true });
const db = join(tmp, 'demo.db');
let server = null, browser = null, lastPage = null;

async function cleanup() {
  if (browser) await browser.close().catch(() => {});
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((r) => { server.once('exit', r); setTimeout(r, 20000); });
  }
  // SIGTERM stops pcmt serve cleanly: exit 0 (under ASan, also no leak reported)
  if (server) check(server.exitCode === 0, `pcmt serve stopped cleanly (exit ${server.exitCode})`);
  rmSync(tmp, { recursive: true, force: true });
}

const fold = (s) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').toLowerCase();
const iso = (d) => d.toISOString().slice(0, 10);
const today = (() => { const d = new Date(); return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`; })();
const vn = (isoDate) => isoDate.split('-').reverse().join('/');

try {
  // --- a fresh demo province and a server on a free port ---------------------------------------
  let t0 = Date.now();
  const demo = spawnSync(BIN, ['demo', '--db', db, '--scale', 'province'], { encoding: 'utf8' });
  if (!check(demo.status === 0, `pcmt demo --scale province (${Date.now() - t0} ms)`)) throw new Error(demo.stderr);
  const users = {}; // demo users and passwords, when this pcmt has sign-in (see addUser)
  const portFile = join(tmp, 'port');
  server = spawn(BIN, ['serve', '--db', db, '--port', '0', '--port-file', portFile, '--web', join(SRC, 'web'), '--threads', '4'],
    { stdio: ['ignore', 'inherit', 'inherit'] });
  for (let i = 0; i < 300 && !existsSync(portFile); i++) await new Promise((r) => setTimeout(r, 100));
  if (!check(existsSync(portFile), 'pcmt serve wrote its port')) throw new Error('server did not start');
  const base = `http://127.0.0.1:${readFileSync(portFile, 'utf8').trim()}`;
  const me = await fetch(`${base}/api/v1/auth/me`);
  const authOn = me.status !== 404;
  console.log(`# sign-in on this server: ${authOn ? 'yes' : 'no (auth routes answer 404): sign-in steps skipped'}`);

  // Users with known passwords, made the way an administrator does (password on stdin).
  function addUser(name, role, ou) {
    const pw = `e2e-${name}-${Math.random().toString(36).slice(2)}-Pw!`;
    const r = spawnSync(BIN, ['user', 'add', name, '--role', role, '--orgunit', ou, '--db', db], { input: pw + '\n', encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`pcmt user add ${name}: ${r.stderr}`);
    users[name] = pw;
  }

  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--lang=vi-VN'] });
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'vi-VN' });
  const page = await ctx.newPage();
  lastPage = page;
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error' && !/^Failed to load resource/.test(m.text())) pageErrors.push(m.text()); });
  // a full page can be long (the demo province's persons and drug-free pages) and the machine
  // loaded: 30 s, playwright's default, is not always enough to capture it
  const shot = (name) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true, timeout: 120000 });
  const api = async (path) => {
    const r = await page.request.get(`${base}/api/v1${path}`);
    if (!r.ok()) throw new Error(`GET ${path}: ${r.status()}`);
    return r.json();
  };
  // Every form control on the page has a label (a <label for>, a wrapping label or aria-label).
  const allLabelled = async (where, pg = page) => {
    const bare = await pg.evaluate(() => [...document.querySelectorAll('input, select, textarea')]
      .filter((el) => el.type !== 'hidden' && !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
      .map((el) => el.outerHTML.slice(0, 80)));
    check(bare.length === 0, `${where}: every field has a label${bare.length ? ': ' + bare.join(' ') : ''}`);
  };
  const noMissingStrings = async (where, pg = page) => {
    const text = await pg.textContent('body');
    check(!text.includes('⟦'), `${where}: every string has a translation`);
  };

  // --- sign in ---------------------------------------------------------------------------------
  if (authOn) {
    addUser('e2e-province', 'province', '40');
    await page.goto(base + '/');
    await page.waitForSelector('form.login');
    check(/#\/login/.test(page.url()), 'signed out: the UI asks to sign in');
    await shot('login');
    await page.fill('#' + await page.getAttribute('form.login input[name=username]', 'id'), 'e2e-province');
    await page.fill('form.login input[name=password]', 'wrong password');
    await page.click('form.login button[type=submit]');
    await page.waitForFunction(() => document.querySelector('form.login .form-error').textContent.length > 0);
    check(await page.isVisible('form.login'), 'a wrong password is refused with a message, still on the sign-in page');
    await page.fill('form.login input[name=password]', users['e2e-province']);
    await page.click('form.login button[type=submit]');
    await page.waitForSelector('main[data-page="home"]');
    check((await page.textContent('#who')).includes('e2e-province'), 'signed in: the header names the user');
  } else {
    await page.goto(base + '/');
    await page.waitForSelector('main[data-page="home"]');
    check((await page.textContent('#notice')).length > 0, 'without sign-in on the server the UI says so and opens');
  }

  // --- first dashboard paint on the demo province ------------------------------------------------
  // the province in force today (after the 2025 reform the code names a new unit; the old one is closed)
  const provinces = (await api('/orgunits?code=40&kind=province')).items;
  const province = provinces.find((u) => !u.valid_to) || provinces[0];
  const homeUrl = authOn ? `${base}/#/` : `${base}/#/?ou=${province.id}`;
  await page.goto('about:blank');
  await page.goto(homeUrl);
  await page.waitForSelector('#main > .view[data-ready="drugfree"]', { timeout: 30000 });
  const paint = await page.evaluate(() => ({
    ready: window.__pcmtFirstPaint,
    fcp: (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime,
  }));
  console.log(`# first dashboard paint (drug-free figures on screen, from navigation start): ${paint.ready.toFixed(0)} ms; first contentful paint ${paint.fcp ? paint.fcp.toFixed(0) : '?'} ms (${BIN})`);
  check(paint.ready > 0, 'the dashboard painted its drug-free figures');
  const bigText = await page.textContent('main .card .big');
  check(/\d+ \/ \d+/.test(bigText), `dashboard: drug-free communes of the province (${bigText.trim()})`);
  await page.waitForSelector('#targets table', { timeout: 20000 }); // plan targets
  await page.waitForTimeout(300); // charts draw on the next frames
  check(await page.locator('canvas').count() > 0, 'dashboard: charts drawn (chart.js from npm)');
  await noMissingStrings('dashboard');
  await shot('dashboard');
  await page.screenshot({ path: join(shots, 'dashboard-top.png') }); // the first screen (README)

  // --- a commune that fails only because of one person's test ------------------------------------
  const df = await api(`/drug-free?orgunit=${province.id}&date=${today}&names=1`);
  const target = df.communes.map((c) => ({ c, f: c.failures })).find(({ f }) => f.length === 1 && f[0].person_id &&
    f[0].classification && ['test_too_old', 'no_test'].includes(f[0].reason_code) && f[0].criterion <= 2);
  if (!check(!!target, 'the demo has a commune failing only on one person\'s test')) throw new Error('no such commune');
  const { c: commune, f: [failure] } = target;
  console.log(`# commune ${commune.name} (${commune.code}): ${failure.full_name}, ${failure.reason}`);

  await page.goto(`${base}/#/drug-free?ou=${province.id}&date=${today}`);
  await page.waitForSelector('#df-summary');
  const rowOf = () => page.locator('table.communes tbody tr', { hasText: commune.name }).first().textContent();
  check((await rowOf()).includes('Không đạt'), 'drug-free page: the commune fails today');

  // --- find the person by typing the name without accents -------------------------------------
  const typed = fold(failure.full_name);
  await page.goto(`${base}/#/persons${authOn ? '' : `?ou=${province.id}`}`);
  const search = page.getByLabel('Họ tên hoặc số định danh');
  await search.waitFor();
  await search.pressSequentially(typed, { delay: 30 });
  const link = page.locator('#person-results a', { hasText: failure.full_name });
  await link.first().waitFor({ timeout: 10000 });
  check(typed !== failure.full_name.toLowerCase() || !/[^\x00-\x7f]/.test(failure.full_name),
    `typed "${typed}" for "${failure.full_name}"`);
  check(await link.count() >= 1, 'the unaccented name finds the person as one types');
  await shot('persons-search');
  await allLabelled('persons search');
  await page.goto(`${base}/#/persons/${failure.person_id}`);
  await page.waitForSelector('#commune-drugfree [data-result]');
  check(await page.getAttribute('#commune-drugfree [data-result]', 'data-result') === 'fail', 'person page: their commune fails today');
  check((await page.textContent('#commune-drugfree')).includes(failure.reason_vi), 'person page: the reason, in Vietnamese');
  await shot('person');

  // --- add a negative test: first with an impossible date ---------------------------------------
  await page.click('button[data-add="tests"]');
  const form = page.locator('form.entity-form[data-entity="tests"]');
  await form.waitFor();
  const dateIn = form.getByLabel('Ngày xét nghiệm');
  check(await dateIn.inputValue() === vn(today), `the test date starts as today in dd/mm/yyyy (${vn(today)})`);
  await dateIn.fill('31/02/2024');
  await form.getByLabel('Hình thức').selectOption('sudden');
  await form.getByLabel('Kết quả chung').selectOption('negative');
  const before = (await api(`/tests?person_id=${failure.person_id}&limit=1000`)).total;
  await form.locator('button[type=submit]').click();
  const dateErr = form.locator('.field[data-field="test_date"] .field-error');
  await page.waitForFunction((el) => el.textContent.length > 0, await dateErr.elementHandle(), { timeout: 10000 });
  const errText = await dateErr.textContent();
  check(/ngày/i.test(errText), `the impossible date is refused next to its field: "${errText}"`);
  check(await dateIn.getAttribute('aria-invalid') === 'true', 'the date field is marked invalid');
  check(await dateIn.inputValue() === '31/02/2024', 'what was typed in the date is kept');
  check(await form.getByLabel('Hình thức').inputValue() === 'sudden' &&
    await form.getByLabel('Kết quả chung').inputValue() === 'negative', 'the other fields keep their values');
  await shot('form-error');
  await allLabelled('person page with the test form');
  check(before === (await api(`/tests?person_id=${failure.person_id}&limit=1000`)).total, 'nothing was written by the refused form');
  await dateIn.fill(vn(today));
  await form.locator('button[type=submit]').click();
  await page.waitForSelector('#form-panel .msg.ok');
  await page.waitForFunction(() => document.querySelector('#commune-drugfree [data-result]')?.dataset.result === 'pass', null, { timeout: 10000 });
  check(true, 'the negative test saved; the person page shows the commune passing');
  check((await api(`/tests?person_id=${failure.person_id}&limit=1000`)).total === before + 1, 'one test was written');
  check((await page.textContent('#timeline')).includes(vn(today)), 'the new test is on the timeline');

  // --- the commune's drug-free result changed ----------------------------------------------------
  await page.goto(`${base}/#/drug-free?ou=${province.id}&date=${today}&t=1`);
  await page.waitForSelector('#df-summary');
  const row = await rowOf();
  check(row.includes('Đạt') && !row.includes('Không đạt'), 'drug-free page: the commune now passes');
  await page.goto(`${base}/#/drug-free${authOn ? '' : `?ou=${province.id}`}`);
  await page.waitForSelector('#df-summary');
  await shot('drug-free');

  // --- the other pages render ------------------------------------------------------------------
  const year = new Date().getFullYear();
  for (const [name, hash, sel] of [
    ['classification', `classification?ou=${province.id}&year=${year}`, 'main[data-page="classification"] table.data'],
    ['operations', `operations?ou=${province.id}&kind=cases`, 'main[data-page="operations"] table.data'],
    ['plans', `plans?ou=${province.id}&plan=CTMTQG-PCMT-2030`, 'main[data-page="plans"] table.data'],
  ]) {
    await page.goto(`${base}/#/${hash}`);
    await page.waitForSelector(sel, { timeout: 20000 });
    check(await page.locator(`${sel} tbody tr`).count() > 0, `${name} page lists rows`);
    await noMissingStrings(name);
    await allLabelled(name);
    await shot(name);
  }
  // the plans page: a summary row per target first, each target's table of units folded until its
  // summary link opens it (unfolded, the demo province's page was ~70,000 px tall)
  const targets = page.locator('main[data-page="plans"] section.target');
  const nTargets = await targets.count();
  check(nTargets > 0 && await page.locator('main[data-page="plans"] table.summary tbody tr').count() === nTargets,
    `plans page: one summary row per target (${nTargets} targets)`);
  const planHeight = await page.evaluate(() => document.documentElement.scrollHeight);
  check(planHeight < 20000, `plans page: ${planHeight} px tall with the units folded`);
  const withUnits = await targets.evaluateAll((els) => els.findIndex((el) => el.querySelector('details.units')));
  check(withUnits >= 0, 'plans page: a target has a table of the units below');
  await page.locator('main[data-page="plans"] table.summary tbody tr a').nth(withUnits).click();
  check(await targets.nth(withUnits).locator('details.units').evaluate((d) => d.open)
    && await targets.nth(withUnits).locator('details.units table.data tbody tr').first().isVisible(),
    'plans page: the summary link opens its target\'s units');
  // the plans page offers the plan's report as xlsx, written by the server
  const xlsxHref = await page.getAttribute('a[href*="format=xlsx"]', 'href');
  const xlsx = await page.request.get(base + xlsxHref);
  const xbody = await xlsx.body();
  check(xlsx.status() === 200 && xbody.subarray(0, 2).toString() === 'PK' && xbody.length > 1000,
    `plans page: the xlsx report downloads (${xlsx.status()}, ${xbody.length} bytes)`);

  // --- one switch to English, and back ---------------------------------------------------------
  await page.goto(homeUrl);
  await page.waitForSelector('#main > .view[data-ready="drugfree"]');
  await page.click('#lang');
  await page.waitForFunction(() => document.documentElement.lang === 'en' && /Dashboard/.test(document.querySelector('main h1')?.textContent || ''));
  check((await page.textContent('#nav')).includes('Drug-free communes'), 'English: the navigation is in English');
  check(/Figures as of \d{4}-\d{2}-\d{2}/.test(await page.textContent('main')), 'English: dates as yyyy-mm-dd');
  await noMissingStrings('dashboard in English');
  await page.waitForSelector('#main > .view[data-ready="drugfree"]');
  await shot('dashboard-en');
  await page.reload();
  await page.waitForSelector('#main > .view[data-ready="drugfree"]');
  check(/Dashboard/.test(await page.textContent('main h1')), 'the language choice survives a reload');
  await page.click('#lang');
  await page.waitForFunction(() => document.documentElement.lang === 'vi' && /Tổng quan/.test(document.querySelector('main h1')?.textContent || ''));
  check(/Số liệu đến ngày \d{2}\/\d{2}\/\d{4}/.test(await page.textContent('main')), 'Vietnamese again: dates as dd/mm/yyyy');

  // --- a commune officer cannot open a person of another commune --------------------------------
  if (authOn) {
    const other = df.communes.find((c) => c.id !== commune.id && c.failures.some((f) => f.person_id));
    const stranger = other.failures.find((f) => f.person_id);
    addUser('e2e-commune', 'commune', commune.code);
    const ctx2 = await browser.newContext({ locale: 'vi-VN' });
    const p2 = await ctx2.newPage();
    await p2.goto(base + '/');
    await p2.waitForSelector('form.login');
    await p2.fill('form.login input[name=username]', 'e2e-commune');
    await p2.fill('form.login input[name=password]', users['e2e-commune']);
    await p2.click('form.login button[type=submit]');
    await p2.waitForSelector('main[data-page="home"]');
    await p2.goto(`${base}/#/persons/${failure.person_id}`);
    await p2.waitForSelector('#timeline');
    check(true, 'commune officer: a person of their own commune opens');
    await p2.goto(`${base}/#/persons/${stranger.person_id}`);
    await p2.waitForSelector('#main > .view[data-state]');
    check(await p2.getAttribute('#main > .view', 'data-state') === 'not-found', `commune officer: a person of ${other.name} is "not found"`);
    check(!(await p2.textContent('main')).includes(stranger.full_name), 'commune officer: not even the name shows');
    const r = await p2.request.get(`${base}/api/v1/persons/${stranger.person_id}`);
    check(r.status() === 404, 'commune officer: the API answers 404 for that person');
    await p2.screenshot({ path: join(shots, 'commune-officer-refused.png') });
    await ctx2.close();
  } else {
    console.log('# commune officer scope: not run (this server has no sign-in)');
  }

  // --- the substitution clinic at the counter, keyboard only, as the demo's health worker --------
  {
    const hm = /^\s*demo-health\s+health\s+(\S+)\s+(\S+)\s*$/m.exec(demo.stdout);
    const ctx3 = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'vi-VN' });
    const p3 = await ctx3.newPage();
    lastPage = p3;
    p3.on('pageerror', (e) => pageErrors.push(e.message));
    p3.on('console', (m) => { if (m.type() === 'error' && !/^Failed to load resource/.test(m.text())) pageErrors.push(m.text()); });
    const shot3 = (name) => p3.screenshot({ path: join(shots, `${name}.png`), fullPage: true, timeout: 120000 });
    const capi = async (path) => {
      const r = await p3.request.get(`${base}/api/v1${path}`);
      if (!r.ok()) throw new Error(`GET ${path}: ${r.status()}`);
      return r.json();
    };
    const focused = () => p3.evaluate(() => document.activeElement && document.activeElement.id);
    if (authOn) {
      if (!check(!!hm, 'pcmt demo printed its health worker')) throw new Error(demo.stdout);
      await p3.goto(base + '/');
      await p3.waitForSelector('form.login');
      await p3.keyboard.type('demo-health');
      await p3.keyboard.press('Tab');
      await p3.keyboard.type(hm[2]);
      await p3.keyboard.press('Enter');
      await p3.waitForSelector('main[data-page="home"]');
      check(true, `the demo's health worker signs in (unit ${hm[1]})`);
    }
    check(await p3.locator('#nav a[href="#/clinic"]').count() === 1, 'the navigation links the clinic page');
    // a clinic, seen through the health worker's own scope, with a patient waiting whose name has
    // accents and whom the unaccented name alone finds
    const words = (s) => fold(s).split(/\s+/);
    const findsOnly = (q, p) => q.patients.filter((o) => words(p.full_name).every((w) => fold(o.full_name).includes(w))).length === 1;
    let clinic = null, patient = null, queue = null;
    for (const f of (await capi('/facilities?kind=ost_point&limit=100')).items) {
      queue = await capi(`/mat/queue?facility=${f.id}`);
      patient = queue.patients.find((p) => !p.dosed && p.prescription && p.prescription.dose_mg > 5 &&
        fold(p.full_name) !== p.full_name.toLowerCase() && findsOnly(queue, p));
      if (patient) { clinic = f; break; }
    }
    if (!check(!!patient, `the health worker sees a clinic's queue today${clinic ? ` (${clinic.name}: ${queue.summary.due} due, ${queue.summary.waiting} waiting)` : ''}`))
      throw new Error('no clinic with a patient waiting');
    const rx = patient.prescription;
    console.log(`# clinic ${clinic.name}: ${patient.full_name}, ${rx.dose_mg} mg`);

    await p3.goto(`${base}/#/clinic`);
    await p3.waitForSelector('#main > .view[data-ready="clinic"]', { timeout: 20000 });
    await p3.getByLabel('Cơ sở điều trị').selectOption(String(clinic.id));
    await p3.waitForSelector(`#main > .view[data-ready="clinic"][data-facility="${clinic.id}"]`, { timeout: 20000 });
    check(await focused() === 'clinic-search', 'clinic page: the search box has focus');
    await noMissingStrings('clinic page', p3);
    await allLabelled('clinic page', p3);

    // the name without accents, Enter: the patient, the dose pre-filled; Enter: recorded
    const doses = async () => (await capi(`/doses?person_id=${patient.person_id}&limit=1000`)).items.filter((d) => d.dose_date === today).length;
    await p3.keyboard.type(fold(patient.full_name), { delay: 20 });
    const active = p3.locator('#clinic-queue [role=option][aria-selected="true"]');
    check(await active.getAttribute('data-person') === String(patient.person_id), `typing "${fold(patient.full_name)}" selects ${patient.full_name}`);
    await shot3('clinic-search');
    await p3.keyboard.press('Enter');
    await p3.waitForSelector('#dose-mg');
    check(await focused() === 'dose-mg' && await p3.inputValue('#dose-mg') === String(rx.dose_mg),
      `Enter opens the patient: the dose field has focus, pre-filled with the prescribed ${rx.dose_mg} mg`);
    await shot3('clinic-dose');
    await p3.keyboard.press('Enter');
    await p3.waitForSelector(`#q-${patient.person_id}[data-dosed="1"]`, { timeout: 10000 });
    check((await p3.textContent(`#q-${patient.person_id}`)).includes('Đã uống'), 'Enter records the dose: the queue marks the patient dosed');
    check(await focused() === 'clinic-search', 'after the dose, focus is back in the search box');
    check(await doses() === 1, 'one dose written for today');

    // again, with a lower dose: the reason is asked first; then the server refuses a second dose
    await p3.keyboard.type(fold(patient.full_name), { delay: 20 });
    await p3.keyboard.press('Enter');
    await p3.waitForSelector('#dose-mg');
    await p3.keyboard.type(String(rx.dose_mg - 5));
    await p3.keyboard.press('Enter');
    await p3.waitForFunction(() => document.activeElement && document.activeElement.id === 'dose-reason');
    check((await p3.textContent('.field[data-field="reason"] .field-error')).length > 0, 'a dose other than the prescribed one asks for the reason');
    await p3.keyboard.type('nôn một phần liều');
    await p3.keyboard.press('Enter');
    const doseErr = p3.locator('.field[data-field="dose_mg"] .field-error');
    await p3.waitForFunction(() => document.querySelector('.field[data-field="dose_mg"] .field-error')?.textContent.length > 0, null, { timeout: 10000 });
    const refusal = await doseErr.textContent();
    check(/đã được cấp liều/.test(refusal), `a second dose the same day is refused next to the dose: "${refusal}"`);
    check(await p3.getAttribute('#dose-mg', 'aria-invalid') === 'true' && await p3.inputValue('#dose-mg') === String(rx.dose_mg - 5) &&
      await p3.inputValue('#dose-reason') === 'nôn một phần liều', 'the dose field is marked, what was typed is kept');
    check(await doses() === 1, 'still one dose for today');
    await shot3('clinic-refusal');

    // a guest: a patient of another clinic authorised here for today is listed after the clinic's
    // own, marked as a guest, found by ID, and Enter, Enter records a guest dose that the home
    // clinic's queue shows
    {
      let home = null, gp = null;
      for (const f of (await capi('/facilities?kind=ost_point&limit=100')).items) {
        if (f.id === clinic.id) continue;
        gp = (await capi(`/mat/queue?facility=${f.id}`)).patients.find((p) => !p.dosed && p.prescription);
        if (gp) { home = f; break; }
      }
      if (!check(!!gp, 'another clinic has a patient waiting, to be authorised here as a guest')) throw new Error('no guest');
      const me = await capi('/auth/me');
      const r = await p3.request.post(`${base}/api/v1/guest_authorisations`, {
        headers: me.csrf_token ? { 'X-CSRF-Token': me.csrf_token } : {},
        data: { person_id: gp.person_id, home_facility_id: home.id, guest_facility_id: clinic.id,
          valid_from: today, valid_to: today, issued_by: 'e2e' } });
      if (!check(r.status() === 201, `the home clinic authorises ${gp.full_name} here for today (${r.status()})`)) throw new Error(await r.text());
      await p3.goto(`${base}/#/clinic?facility=${clinic.id}`);
      await p3.reload(); // the page was on this very route: a new queue, as a nurse's F5
      await p3.waitForSelector(`#main > .view[data-ready="clinic"][data-facility="${clinic.id}"]`, { timeout: 20000 });
      await p3.waitForFunction(() => document.activeElement && document.activeElement.id === 'clinic-search');
      await p3.keyboard.type(String(gp.person_id));
      check(await active.getAttribute('data-person') === String(gp.person_id) &&
        (await p3.textContent(`#q-${gp.person_id}`)).includes('uống nhờ'), 'the guest is in the queue, marked as a guest, found by ID');
      await p3.keyboard.press('Enter');
      await p3.waitForSelector('#dose-mg');
      check(await p3.inputValue('#dose-mg') === String(gp.prescription.dose_mg) &&
        await p3.inputValue('.field[data-field="kind"] select') === 'guest', 'the guest\'s dose is pre-filled from the home prescription, as a guest dose');
      await p3.keyboard.press('Enter');
      await p3.waitForSelector(`#q-${gp.person_id}[data-dosed="1"]`, { timeout: 10000 });
      const hq = (await capi(`/mat/queue?facility=${home.id}`)).patients.find((p) => p.person_id === gp.person_id);
      check(!!hq && hq.dosed && hq.dosed.kind === 'guest' && hq.dosed.facility_id === clinic.id,
        'the home clinic\'s queue shows the guest dose given here');
      await shot3('clinic-guest');
    }

    // the evening count, 1 mL short of the books: flagged
    const st = await capi(`/mat/stock?facility=${clinic.id}`);
    check(st.reconciliation === null, 'no count yet today');
    const counted = ((st.expected_closing_ul - 1000) / 1000).toFixed(3).replace(/\.?0+$/, '').replace('.', ',');
    await p3.locator('#recon-counted').focus();
    await p3.keyboard.type(counted);
    await p3.keyboard.press('Enter');
    await p3.waitForSelector('#reconcile .recon', { timeout: 10000 });
    check(await p3.getAttribute('#reconcile .recon', 'data-flagged') === 'true', `counted ${counted} mL: the reconciliation is flagged`);
    const recText = await p3.textContent('#reconcile .recon');
    check(recText.includes('-1 mL') && recText.includes('Có chênh lệch'), 'the difference of -1 mL shows, in words');
    const recs = (await capi(`/reconciliations?facility_id=${clinic.id}&flagged=true&limit=1000`)).items;
    check(recs.some((r) => r.day === today && r.difference_ul === -1000), 'the API holds today\'s count flagged, -1000 µL');
    await shot3('clinic-reconciliation');
    await p3.screenshot({ path: join(shots, 'clinic-top.png') });

    // English, by the keyboard; the clinic is remembered on the next visit
    await p3.locator('#lang').focus();
    await p3.keyboard.press('Enter');
    await p3.waitForFunction(() => document.documentElement.lang === 'en' && /Substitution clinic/.test(document.querySelector('main h1')?.textContent || ''));
    await p3.waitForSelector('#main > .view[data-ready="clinic"]');
    check((await p3.textContent(`#q-${patient.person_id}`)).includes('Dosed'), 'English: the queue says Dosed');
    check((await p3.textContent('#reconcile .recon')).includes('Difference of'), 'English: the flagged count');
    await noMissingStrings('clinic page in English', p3);
    await shot3('clinic-en');
    await p3.goto(`${base}/#/persons`);
    await p3.goto(`${base}/#/clinic`);
    await p3.waitForSelector('#main > .view[data-ready="clinic"]');
    check(await p3.inputValue('#main select') === String(clinic.id), 'the clinic chosen last is chosen again');
    await ctx3.close();
    lastPage = page;
  }
  check(pageErrors.length === 0, `no script errors in the pages${pageErrors.length ? ': ' + pageErrors.join(' | ') : ''}`);
  console.log(`# screenshots in ${shots}`);
} catch (e) {
  failed++;
  console.log(`not ok - ${e.stack || e}`);
  if (lastPage) await lastPage.screenshot({ path: join(shots, 'failure.png'), fullPage: true }).catch(() => {});
} finally {
  await cleanup();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
