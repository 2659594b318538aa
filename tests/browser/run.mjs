// perfledger's browser driver: runs a plan of steps in Debian's headless
// Chromium and prints one JSON object per step on stdout. It judges nothing:
// the Rust test (tests/e2e/browser.rs) writes the plan and asserts on what
// this script observed. Usage: node run.mjs <plan.json>
//
// The plan: { base_url, screenshot_dir, steps: [{ id, action, session, ... }] }.
// Every action waits for the page it caused, so a step's observations are of
// the settled page. A failed step prints { ok: false, error } and the run goes
// on, so one broken page does not hide the rest.

import { readFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const CHROMIUM = process.env.PERFLEDGER_CHROMIUM || '/usr/bin/chromium';
// The flags Chromium needs on this closed network (no background fetches, no GPU).
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const WIDTHS = [1280, 375];
const THEMES = ['light', 'dark'];
const STEP_TIMEOUT_MS = 10_000;

const plan = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const base = new URL(plan.base_url);
mkdirSync(plan.screenshot_dir, { recursive: true });

/** One signed-in person: a browser context of its own (own cookies) and one page. */
class Session {
  constructor(context, page) {
    this.context = context;
    this.page = page;
    this.lastDocument = null; // { status, url } of the last main-frame document response
    this.loads = 0; // full document loads, to tell a partial swap from a reload
    this.problems = []; // page errors, console errors, failed and off-site requests since the last step
    page.on('response', (response) => {
      const request = response.request();
      if (request.isNavigationRequest() && request.frame() === page.mainFrame()) {
        this.lastDocument = { status: response.status(), url: response.url() };
      }
      // 403 documents are expected by some steps; sub-resources must all load.
      if (!request.isNavigationRequest() && response.status() >= 400) {
        this.problems.push(`HTTP ${response.status()} for ${request.method()} ${response.url()}`);
      }
    });
    page.on('load', () => {
      this.loads += 1;
    });
    page.on('pageerror', (error) => this.problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') {
        // Chromium logs every non-2xx response as a console error: documents are judged by their
        // status, and failed sub-resources are already reported by the response listener above.
        const text = message.text();
        if (!text.startsWith('Failed to load resource: the server responded with a status of')) {
          this.problems.push(`console error: ${text}`);
        }
      }
    });
    page.on('requestfailed', (request) => {
      // Chromium cancels a favicon fetch still in flight when the step moves
      // on (the page's own requests have finished by then): not a fault.
      const aborted = request.failure()?.errorText === 'net::ERR_ABORTED';
      if (aborted && new URL(request.url()).pathname.startsWith('/assets/favicon.')) return;
      this.problems.push(`request failed: ${request.url()} (${request.failure()?.errorText})`);
    });
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (!['data:', 'blob:', 'about:'].includes(url.protocol) && url.host !== base.host) {
        this.problems.push(`off-site request: ${request.url()}`);
      }
    });
  }

  takeProblems() {
    const problems = this.problems;
    this.problems = [];
    return problems;
  }
}

const sessions = new Map();

function session(name) {
  const found = sessions.get(name);
  if (!found) throw new Error(`no session '${name}': sign in first`);
  return found;
}

/** Runs `action` and waits for the full document load it causes. */
async function loadAfter(s, action) {
  const loaded = s.page.waitForEvent('load', { timeout: STEP_TIMEOUT_MS });
  await action();
  await loaded;
  return { status: s.lastDocument?.status ?? null, url: s.page.url() };
}

async function pageSummary(page) {
  return page.evaluate(() => ({
    title: document.title,
    h1: document.querySelector('h1')?.innerText.trim() ?? null,
    lang: document.documentElement.lang,
    data_theme: document.documentElement.dataset.theme ?? null,
    testids: [...new Set([...document.querySelectorAll('[data-testid]')].map((e) => e.dataset.testid))].sort(),
  }));
}

/** The leaderboard as the page shows it: row ids, and each sortable column's cell texts. */
async function leaderboard(page) {
  return page.evaluate(() => {
    const table = document.querySelector('table[data-testid=leaderboard]');
    if (!table) return null;
    const rows = [...table.querySelectorAll('tr[data-person-id]')];
    const columns = {};
    for (const link of table.querySelectorAll('[data-sort]')) {
      const cell = link.closest('th,td');
      const index = cell ? cell.cellIndex : -1;
      columns[link.dataset.sort] = {
        header: cell?.innerText.trim() ?? null,
        aria_sort: cell?.getAttribute('aria-sort') ?? null,
        href: link.getAttribute('href'),
        cells: rows.map((row) => (index >= 0 && row.cells[index] ? row.cells[index].innerText.trim() : null)),
      };
    }
    return { rows: rows.map((row) => row.dataset.personId), columns };
  });
}

/**
 * What a page's layout does at the current width: sideways overflow of the document and of the
 * leaderboard's own scroller, how a leaderboard row is drawn (a table row or a card, and which of
 * its parts show), the smallest chart text once scaled to the screen (font size × the SVG's
 * scale), and chart axis labels in one row that overlap.
 */
function measureLayout() {
  const visible = (e) => !!e && getComputedStyle(e).display !== 'none' && e.getBoundingClientRect().width > 0;
  const scroller = document.querySelector('#leaderboard');
  const row = document.querySelector('table[data-testid=leaderboard] tbody tr[data-person-id]');
  const texts = [...document.querySelectorAll('svg.chart:not(.spark):not(.bars) text')].filter(visible);
  const sizes = texts.map((e) => {
    const m = e.getScreenCTM();
    return parseFloat(getComputedStyle(e).fontSize) * (m ? Math.hypot(m.a, m.b) : 1);
  });
  const overlaps = [];
  for (const svg of document.querySelectorAll('svg.chart.hist, svg.chart.line')) {
    const ticks = [...svg.querySelectorAll('text.tick')].filter(visible);
    for (let i = 0; i < ticks.length; i += 1) {
      for (let j = i + 1; j < ticks.length; j += 1) {
        if (ticks[i].getAttribute('y') !== ticks[j].getAttribute('y')) continue;
        const a = ticks[i].getBoundingClientRect();
        const b = ticks[j].getBoundingClientRect();
        if (a.left < b.right && b.left < a.right) overlaps.push(`${ticks[i].textContent}/${ticks[j].textContent}`);
      }
    }
  }
  return {
    overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    main_top: Math.round((document.querySelector('main')?.getBoundingClientRect().top ?? 0) + window.scrollY),
    leaderboard: scroller && row
      ? {
          overflow_px: scroller.scrollWidth - scroller.clientWidth,
          row_display: getComputedStyle(row).display,
          name: visible(row.querySelector('[data-testid=agent-link]')),
          composite: visible(row.querySelector('td.composite')),
          change: visible(row.querySelector('td.change-col')),
          actions: visible(row.querySelector('td.actions')),
          domain_columns: [...row.querySelectorAll('td.dom')].filter(visible).length,
        }
      : null,
    min_chart_text_px: sizes.length ? Math.min(...sizes) : null,
    label_overlaps: overlaps,
  };
}

async function setTheme(s, theme) {
  // The page's own default: no stored choice, the system preference decides.
  await s.page.emulateMedia({ colorScheme: theme });
  await s.page.evaluate(() => localStorage.removeItem('perfledger-theme'));
  await s.page.reload({ waitUntil: 'load', timeout: STEP_TIMEOUT_MS });
  return s.page.evaluate(() => ({
    data_theme: document.documentElement.dataset.theme ?? null,
    background: getComputedStyle(document.body).backgroundColor,
    color: getComputedStyle(document.body).color,
  }));
}

async function runAxe(page) {
  const present = await page.evaluate(() => typeof window.axe !== 'undefined');
  if (!present) await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(() =>
    window.axe.run(document, { resultTypes: ['violations'], runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }),
  );
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target.join(' '), summary: n.failureSummary })),
    node_count: v.nodes.length,
  }));
}

const actions = {
  /** A fresh context (no cookies), then the sign-in link with the token (none: stay anonymous). */
  async sign_in(step) {
    const old = sessions.get(step.session);
    if (old) await old.context.close();
    const context = await browser.newContext({
      javaScriptEnabled: step.js !== false,
      viewport: { width: 1280, height: 800 },
      colorScheme: 'light',
    });
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    const s = new Session(context, await context.newPage());
    sessions.set(step.session, s);
    const path = step.token ? `/auth/session?token=${encodeURIComponent(step.token)}` : step.path;
    const response = await s.page.goto(new URL(path, base).href, { waitUntil: 'load' });
    const cookies = (await context.cookies()).map((c) => ({ name: c.name, http_only: c.httpOnly, same_site: c.sameSite }));
    return { status: response?.status() ?? null, url: s.page.url(), cookies, page: await pageSummary(s.page) };
  },

  async goto(step) {
    const s = session(step.session);
    const response = await s.page.goto(new URL(step.path, base).href, { waitUntil: 'load' });
    return { status: response?.status() ?? null, url: s.page.url(), page: await pageSummary(s.page) };
  },

  /** Texts (or one attribute) of every match of each named selector. */
  async query(step) {
    const s = session(step.session);
    const found = {};
    for (const [name, q] of Object.entries(step.queries)) {
      found[name] = await s.page.$$eval(
        q.selector,
        (elements, attr) => elements.map((e) => (attr ? e.getAttribute(attr) : e.innerText.trim())),
        q.attr ?? null,
      );
    }
    return { url: s.page.url(), found, leaderboard: await leaderboard(s.page) };
  },

  /** Reloads until an element matching `selector` contains `text` (read models follow the log within moments). */
  async reload_until(step) {
    const s = session(step.session);
    const deadline = Date.now() + (step.timeout_ms ?? 8000);
    let reloads = 0;
    for (;;) {
      const texts = await s.page.$$eval(step.selector, (elements) => elements.map((e) => e.innerText.trim()));
      if (texts.some((t) => t.includes(step.text)) || Date.now() > deadline) {
        return { url: s.page.url(), reloads, texts };
      }
      await s.page.waitForTimeout(250);
      await s.page.reload({ waitUntil: 'load' });
      reloads += 1;
    }
  },

  /** Clicks the column's sort link and waits until the rows were replaced. */
  async sort(step) {
    const s = session(step.session);
    const page = s.page;
    const marker = `m${Math.random()}`;
    const loadsBefore = s.loads;
    await page.evaluate((m) => {
      window.__perfledgerMarker = m;
      for (const row of document.querySelectorAll('table[data-testid=leaderboard] tr[data-person-id]')) row.__stale = true;
    }, marker);
    await page.click(`table[data-testid=leaderboard] [data-sort="${step.column}"]`);
    await page.waitForFunction(
      () => {
        const rows = document.querySelectorAll('table[data-testid=leaderboard] tr[data-person-id]');
        return rows.length > 0 && [...rows].every((row) => !row.__stale);
      },
      null,
      { timeout: STEP_TIMEOUT_MS },
    );
    const markerSurvived = await page.evaluate((m) => window.__perfledgerMarker === m, marker);
    return {
      column: step.column,
      marker_survived: markerSurvived,
      full_loads: s.loads - loadsBefore,
      url: page.url(),
      leaderboard: await leaderboard(page),
    };
  },

  /** Clicks the `index`th match (default 0) and waits for the page it loads. */
  async click(step) {
    const s = session(step.session);
    const target = s.page.locator(step.selector).nth(step.index ?? 0);
    const href = await target.getAttribute('href');
    const result = await loadAfter(s, () => target.click());
    return { ...result, href, page: await pageSummary(s.page) };
  },

  /** Fills the form's named fields and submits it with its submit button (or `submit`'s). */
  async submit_form(step) {
    const s = session(step.session);
    const form = s.page.locator(step.selector);
    for (const [name, value] of Object.entries(step.fields)) {
      const field = form.locator(`[name="${name}"]`);
      const tag = await field.evaluate((e) => e.tagName.toLowerCase());
      if (tag === 'select') await field.selectOption(String(value));
      else await field.fill(String(value));
    }
    // `submit`: which button, when the form has several (default: the first).
    const button = step.submit
      ? form.locator(step.submit)
      : form.locator('button[type=submit], input[type=submit], button:not([type])').first();
    const result = await loadAfter(s, () => button.click());
    return { ...result, page: await pageSummary(s.page) };
  },

  /** The theme toggle: flips data-theme, stores the choice, and the choice survives a reload. */
  async toggle_theme(step) {
    const s = session(step.session);
    const page = s.page;
    await page.emulateMedia({ colorScheme: 'light' });
    await page.evaluate(() => localStorage.removeItem('perfledger-theme'));
    await page.reload({ waitUntil: 'load' });
    const theme = () => page.evaluate(() => document.documentElement.dataset.theme ?? null);
    const before = await theme();
    await page.click('button[data-testid=theme-toggle]');
    const after = await theme();
    const stored = await page.evaluate(() => localStorage.getItem('perfledger-theme'));
    await page.reload({ waitUntil: 'load' });
    const afterReload = await theme();
    await page.evaluate(() => localStorage.removeItem('perfledger-theme'));
    return { before, after, stored, after_reload: afterReload };
  },

  /** Full-page screenshots at each width in each theme, and axe in each theme. */
  async snapshot(step) {
    const s = session(step.session);
    const page = s.page;
    const files = [];
    const themes = {};
    const axe = [];
    for (const theme of THEMES) {
      themes[theme] = await setTheme(s, theme);
      for (const width of WIDTHS) {
        await page.setViewportSize({ width, height: width > 600 ? 800 : 812 });
        const file = join(plan.screenshot_dir, `${step.name}-${width}-${theme}.png`);
        await page.screenshot({ path: file, fullPage: true });
        // Horizontal overflow at this width: the page should reflow, not scroll sideways.
        const layout = await page.evaluate(measureLayout);
        files.push({
          file,
          width,
          theme,
          horizontal_overflow_px: layout.overflow,
          main_top_px: layout.main_top,
          leaderboard: layout.leaderboard,
          min_chart_text_px: layout.min_chart_text_px,
          label_overlaps: layout.label_overlaps,
        });
      }
      await page.setViewportSize({ width: 1280, height: 800 });
      for (const violation of await runAxe(page)) axe.push({ theme, ...violation });
    }
    await page.emulateMedia({ colorScheme: 'light' });
    return { name: step.name, url: page.url(), status: s.lastDocument?.status ?? null, files, themes, axe };
  },
};

const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
const started = Date.now();
try {
  for (const step of plan.steps) {
    const t0 = Date.now();
    let line;
    try {
      const action = actions[step.action];
      if (!action) throw new Error(`unknown action '${step.action}'`);
      const result = await action(step);
      line = { id: step.id, action: step.action, ok: true, ...result };
    } catch (error) {
      line = { id: step.id, action: step.action, ok: false, error: String(error?.message ?? error).split('\n')[0] };
    }
    const s = sessions.get(step.session);
    line.problems = s ? s.takeProblems() : [];
    line.ms = Date.now() - t0;
    process.stdout.write(`${JSON.stringify(line)}\n`);
  }
} finally {
  await browser.close();
}
process.stdout.write(`${JSON.stringify({ id: 'done', action: 'done', ok: true, ms: Date.now() - started, problems: [] })}\n`);
