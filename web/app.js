// attrib's dashboard. It reads the project's public query API (docs/api.md) with the read key
// the user signs in with; the key is kept in this tab's sessionStorage, never in a URL.
'use strict';

const KEY_STORAGE = 'attrib.readKey';
const DAY_MS = 86400000;
const MODEL_NAMES = {
  first_touch: 'First touch', last_touch: 'Last touch', last_non_direct: 'Last non-direct',
  linear: 'Linear', time_decay: 'Time decay', u_shaped: 'U-shaped', w_shaped: 'W-shaped',
  participation: 'Participation', markov: 'Markov', shapley: 'Shapley',
  shapley_simplified: 'Shapley (simplified)',
};

const DATA_DRIVEN = new Set(['markov', 'shapley', 'shapley_simplified']);
// Steps of a path the Sankey draws; the rest of a longer path is left out of it (not the table).
const SANKEY_STEPS = 6;
const PALETTE = ['#2457c5', '#e8833a', '#3ba272', '#9a60b4', '#fc8452', '#73c0de', '#ee6666',
                 '#5b6475', '#fac858', '#91cc75', '#ea7ccc', '#1d7874'];

const $ = (id) => document.getElementById(id);
const state = { key: sessionStorage.getItem(KEY_STORAGE), view: 'overview', charts: {} };

// --- The API ---------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}
// Thrown for an answer that a newer load (or signing out) has made moot: nothing is drawn.
class Stale extends Error {}

let generation = 0;  // bumped by each load and by signing out

async function api(path, params = {}) {
  const asked = generation;
  const url = new URL(path, window.location.origin);
  for (const [name, value] of Object.entries(params)) {
    if (value !== '' && value !== undefined && value !== null) url.searchParams.set(name, value);
  }
  const res = await fetch(url, { headers: { Authorization: `Bearer ${state.key}` } });
  const body = await res.json().catch(() => null);
  if (asked !== generation) throw new Stale();
  if (!res.ok) {
    throw new ApiError(res.status, (body && body.message) || `${path}: HTTP ${res.status}`);
  }
  return body;
}

// The filters as the API takes them: `to` is the day after the last one shown (the API's end
// is excluded).
function filters() {
  const to = $('to').value;
  return {
    from: $('from').value,
    to: to ? new Date(Date.parse(to) + DAY_MS).toISOString().slice(0, 10) : '',
    conversion: $('conversion').value,
    model: $('model').value,
    min_confidence: $('confidence').value,
    lookback_days: $('lookback').value,  // '': the project's own
  };
}
const windowOf = (f) => ({ from: f.from, to: f.to });

// --- Formatting and tables -------------------------------------------------------------------

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const money = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const percent = new Intl.NumberFormat('en-US', { style: 'percent', maximumFractionDigits: 1 });
const FORMATS = {
  integer: (v) => integer.format(v),
  decimal: (v) => decimal.format(v),
  money: (v) => money.format(v),
  percent: (v) => percent.format(v),
  signed: (v) => (v > 0 ? '+' : '') + decimal.format(v),
  text: (v) => String(v ?? ''),
};

// A CSV field; text that a spreadsheet would run as a formula (tracked URLs choose campaign
// names and ids) starts with an apostrophe.
function csvField(v) {
  let s = String(v ?? '');
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function download(name, text) {
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

// A table of `rows` (objects) under `columns` ({key, label, format}), with a CSV download of
// the same rows, unrounded. Numeric cells keep the API's value in data-value.
function renderTable(container, columns, rows, name) {
  container.replaceChildren();
  const tools = document.createElement('div');
  tools.className = 'table-tools';
  const button = document.createElement('button');
  button.type = 'button';
  button.textContent = 'Download CSV';
  button.setAttribute('aria-label', `Download ${name} as CSV`);
  button.addEventListener('click', () => {
    const lines = [columns.map((c) => csvField(c.label)).join(',')];
    for (const row of rows) lines.push(columns.map((c) => csvField(row[c.key])).join(','));
    download(`${name}.csv`, lines.join('\n') + '\n');
  });
  tools.append(button);
  const table = document.createElement('table');
  const head = table.createTHead().insertRow();
  for (const c of columns) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = c.label;
    if (c.format !== 'text') th.className = 'num';
    head.append(th);
  }
  const body = table.createTBody();
  for (const row of rows) {
    const tr = body.insertRow();
    for (const c of columns) {
      const td = tr.insertCell();
      const v = row[c.key];
      td.textContent = v === undefined || v === null ? '' : FORMATS[c.format](v);
      if (c.format !== 'text') {
        td.className = 'num';
        if (typeof v === 'number') td.dataset.value = String(v);
        if (c.format === 'signed' && v) td.classList.add(v > 0 ? 'up' : 'down');
      }
      td.dataset.column = c.key;
    }
  }
  if (rows.length === 0) {
    const td = body.insertRow().insertCell();
    td.colSpan = columns.length;
    td.textContent = 'Nothing in this window.';
  }
  container.append(tools, table);
}

function chart(id, option) {
  const el = $(id);
  const c = state.charts[id] || (state.charts[id] = echarts.init(el));
  c.setOption(option, true);
  c.resize();
}

const groupLabel = (row, by) => (by === 'source_medium' ? `${row.source} / ${row.medium}` : row[by]);

// Sessions and visitors (sources) beside conversions and revenue under the model (attribution),
// by the group's label.
function mergeGroups(sources, credits, by) {
  const rows = new Map();
  for (const s of sources) {
    rows.set(groupLabel(s, by), {
      group: groupLabel(s, by), sessions: s.events, visitors: s.uniques, paid_share: s.paid_share,
      conversions: 0, revenue: 0,
    });
  }
  for (const c of credits) {
    const label = groupLabel(c, by);
    const row = rows.get(label) || { group: label, sessions: 0, visitors: 0, paid_share: 0 };
    row.conversions = c.conversions;
    row.revenue = c.revenue;
    rows.set(label, row);
  }
  return [...rows.values()].sort((a, b) => b.conversions - a.conversions || b.sessions - a.sessions);
}

// The model whose credit a period can show: the data-driven models learn one answer for the
// whole window, and have none per period.
const creditModel = (model) => (DATA_DRIVEN.has(model) ? 'linear' : model);

// Every period from `first` to `last` ("2026-11-02"), a day, a week or a month apart.
function periodsBetween(first, last, interval) {
  const out = [];
  if (!first) return out;
  const at = new Date(`${first}T00:00:00Z`);
  for (let day = first; day <= last && out.length < 5000; day = at.toISOString().slice(0, 10)) {
    out.push(day);
    if (interval === 'month') at.setUTCMonth(at.getUTCMonth() + 1);
    else at.setUTCDate(at.getUTCDate() + (interval === 'week' ? 7 : 1));
  }
  return out;
}

const days = (n) => (n === 1 ? '1 day' : `${n} days`);

// --- Views -----------------------------------------------------------------------------------

const VIEWS = {
  async overview(f) {
    const w = windowOf(f);
    const credit = { ...w, model: f.model, conversion: f.conversion, lookback_days: f.lookback_days };
    const [stats, channels, sourceMedia, byChannel, bySourceMedium] = await Promise.all([
      api('/v1/stats', { ...w, conversion: f.conversion }),
      api('/v1/sources', { ...w, breakdown: 'channel', min_confidence: f.min_confidence }),
      api('/v1/sources', { ...w, breakdown: 'source_medium', min_confidence: f.min_confidence }),
      api('/v1/attribution', { ...credit, by: 'channel' }),
      api('/v1/attribution', { ...credit, by: 'source_medium' }),
    ]);
    const kpis = [
      ['Sessions', integer.format(stats.sessions)],
      ['Paid share', percent.format(stats.paid_share)],
      [`Conversions (${f.conversion || 'every event'})`, integer.format(stats.conversions)],
      ['Revenue', `${money.format(stats.revenue)} ${stats.currencies.join(' ')}`.trim()],
    ];
    $('kpis').replaceChildren(...kpis.map(([label, value]) => {
      const div = document.createElement('div');
      div.className = 'kpi';
      div.innerHTML = '<div class="label"></div><div class="value"></div>';
      div.firstChild.textContent = label;
      div.lastChild.textContent = value;
      return div;
    }));
    const columns = (label) => [
      { key: 'group', label, format: 'text' },
      { key: 'sessions', label: 'Sessions', format: 'integer' },
      { key: 'visitors', label: 'Visitors', format: 'integer' },
      { key: 'paid_share', label: 'Paid share', format: 'percent' },
      { key: 'conversions', label: `Conversions (${MODEL_NAMES[f.model]})`, format: 'decimal' },
      { key: 'revenue', label: 'Revenue', format: 'money' },
    ];
    const channelRows = mergeGroups(channels, byChannel, 'channel');
    renderTable($('table-channels'), columns('Channel'), channelRows, 'channels');
    renderTable($('table-source-medium'), columns('Source / medium'),
                mergeGroups(sourceMedia, bySourceMedium, 'source_medium'), 'sources-media');
    chart('chart-channels', {
      tooltip: { trigger: 'axis' },
      legend: { top: 0, right: 0 },
      grid: { left: 24, right: 8, bottom: 8, top: 48, containLabel: true },
      xAxis: { type: 'category', data: channelRows.map((r) => r.group), axisLabel: { rotate: 30 } },
      yAxis: [{ type: 'value', name: 'Conversions' }, { type: 'value', name: 'Sessions' }],
      series: [
        { name: `Conversions (${MODEL_NAMES[f.model]})`, type: 'bar', data: channelRows.map((r) => r.conversions) },
        { name: 'Sessions', type: 'line', yAxisIndex: 1, data: channelRows.map((r) => r.sessions) },
      ],
    });
  },

  async trend(f) {
    const metric = $('trend-metric').value;
    // Unless chosen: days, then weeks, then months, the first the API gives in one answer.
    const chosen = $('trend-interval').value;
    let interval, rows;
    for (interval of chosen ? [chosen] : ['day', 'week', 'month']) {
      try {
        rows = await api('/v1/attribution', {
          ...windowOf(f), by: 'channel', model: creditModel(f.model), conversion: f.conversion,
          lookback_days: f.lookback_days, interval,
        });
        break;
      } catch (e) {
        if (chosen || interval === 'month' || !(e instanceof ApiError) || e.status !== 400) throw e;
      }
    }
    const model = creditModel(f.model);
    const what = metric === 'revenue' ? 'Revenue' : 'Conversions';
    $('trend-note').textContent = model === f.model
      ? `${what} credited under ${MODEL_NAMES[model]}, per ${interval}, stacked by channel.`
      : `${MODEL_NAMES[f.model]} learns its credits from the whole window at once, so it has ` +
        `none per ${interval}: ${what.toLowerCase()} shown under ${MODEL_NAMES[model]}.`;
    const periods = periodsBetween(rows.length ? rows[0].period : null,
                                   rows.length ? rows[rows.length - 1].period : null, interval);
    // A row per period; a channel's cells under "c:" + its name (a channel may be named "total").
    const totals = new Map();
    const cells = new Map(periods.map((p) => [p, { period: p, total: 0 }]));
    for (const r of rows) {
      if (!cells.has(r.period)) cells.set(r.period, { period: r.period, total: 0 });
      const row = cells.get(r.period);
      row[`c:${r.channel}`] = r[metric];
      row.total += r[metric];
      totals.set(r.channel, (totals.get(r.channel) || 0) + r[metric]);
    }
    const channels = [...totals.keys()].sort((a, b) => totals.get(b) - totals.get(a));
    const table = [...cells.values()].sort((a, b) => (a.period < b.period ? -1 : 1));
    for (const row of table) for (const c of channels) row[`c:${c}`] = row[`c:${c}`] || 0;
    const format = metric === 'revenue' ? 'money' : 'decimal';
    renderTable($('table-trend'), [
      { key: 'period', label: interval === 'day' ? 'Day' : interval === 'week' ? 'Week of' : 'Month of', format: 'text' },
      ...channels.map((c) => ({ key: `c:${c}`, label: c, format })),
      { key: 'total', label: 'Total', format },
    ], table, `${metric}-per-${interval}`);
    chart('chart-trend', {
      color: PALETTE,
      tooltip: { trigger: 'axis' },
      legend: { top: 0, type: 'scroll' },
      grid: { left: 24, right: 8, bottom: 8, top: 48, containLabel: true },
      xAxis: { type: 'category', data: table.map((row) => row.period) },
      yAxis: { type: 'value' },
      series: channels.map((c) => ({
        name: c, type: 'bar', stack: 'all', data: table.map((row) => row[`c:${c}`]),
      })),
    });
  },

  async paths(f) {
    const by = $('paths-by').value;
    const result = await api('/v1/paths', {
      ...windowOf(f), by, conversion: f.conversion, lookback_days: f.lookback_days,
      limit: $('paths-limit').value,
    });
    const shownConversions = result.paths.reduce((sum, p) => sum + p.conversions, 0);
    $('paths-summary').textContent = result.journeys === 0 ? 'No journeys in this window.'
      : `${integer.format(result.journeys)} journeys took ${integer.format(result.distinct_paths)} ` +
        `paths; these ${result.paths.length} hold ${percent.format(
          result.conversions ? shownConversions / result.conversions : 0)} of the ` +
        `${integer.format(result.conversions)} conversions. A step repeated in a row counts once.`;
    renderTable($('table-paths'), [
      { key: 'path', label: 'Path', format: 'text' },
      { key: 'steps', label: 'Steps', format: 'integer' },
      { key: 'journeys', label: 'Journeys', format: 'integer' },
      { key: 'conversions', label: 'Conversions', format: 'integer' },
      { key: 'conversion_rate', label: 'Conversion rate', format: 'percent' },
      { key: 'revenue', label: 'Revenue', format: 'money' },
    ], result.paths.map((p) => ({ ...p, path: p.steps.join(' → '), steps: p.steps.length })),
    `paths-by-${by}`);
    // The converting journeys flowing from step to step, then to the sale. A node is a group at
    // a step ("2 · email"), so a path that comes back to a group still flows forwards.
    const converting = result.paths.filter((p) => p.conversions > 0);
    const depth = Math.min(SANKEY_STEPS, Math.max(0, ...converting.map((p) => p.steps.length)));
    const colors = new Map([['Conversion', '#1b7f3b']]);  // a group keeps its colour at every step
    const nodes = new Map();
    const links = new Map();
    const node = (group, step) => {
      const name = step === depth ? group : `${step + 1} · ${group}`;
      if (!colors.has(group)) colors.set(group, PALETTE[colors.size % PALETTE.length]);
      if (!nodes.has(name)) nodes.set(name, { name, depth: step, itemStyle: { color: colors.get(group) } });
      return name;
    };
    for (const p of converting) {
      const steps = p.steps.slice(0, SANKEY_STEPS).map((g, i) => node(g, i));
      steps.push(node('Conversion', depth));
      for (let i = 0; i + 1 < steps.length; ++i) {
        const key = `${steps[i]}\u0000${steps[i + 1]}`;
        const link = links.get(key) || { source: steps[i], target: steps[i + 1], value: 0 };
        link.value += p.conversions;
        links.set(key, link);
      }
    }
    chart('chart-paths', {
      tooltip: { trigger: 'item' },
      series: [{
        type: 'sankey', left: 8, right: 96, top: 8, bottom: 8, nodeGap: 6, animation: false,
        emphasis: { focus: 'adjacency' }, lineStyle: { color: 'gradient', opacity: 0.35 },
        label: { formatter: (p) => p.name.replace(/^\d+ · /, '') },
        data: [...nodes.values()], links: [...links.values()],
      }],
    });
  },

  async facebook(f) {
    const w = windowOf(f);
    const [sources, credits] = await Promise.all([
      api('/v1/sources', { ...w, breakdown: 'source_medium', min_confidence: f.min_confidence }),
      api('/v1/attribution', {
        ...w, by: 'source_medium', model: f.model, conversion: f.conversion,
        lookback_days: f.lookback_days,
      }),
    ]);
    const rows = credits.filter((c) => c.source === 'facebook').map((c) => {
      const s = sources.find((x) => x.source === c.source && x.medium === c.medium);
      return {
        medium: c.medium, sessions: s ? s.events : 0, visitors: c.visitors,
        conversions: c.conversions, conversion_rate: c.conversion_rate, revenue: c.revenue,
      };
    }).sort((a, b) => b.visitors - a.visitors);
    renderTable($('table-facebook'), [
      { key: 'medium', label: 'Medium', format: 'text' },
      { key: 'sessions', label: 'Sessions', format: 'integer' },
      { key: 'visitors', label: 'Visitors', format: 'integer' },
      { key: 'conversions', label: `Conversions (${MODEL_NAMES[f.model]})`, format: 'decimal' },
      { key: 'conversion_rate', label: 'Conversion rate', format: 'percent' },
      { key: 'revenue', label: 'Revenue', format: 'money' },
    ], rows, 'facebook-paid-vs-social');
    const paid = rows.find((r) => r.medium === 'paid');
    const social = rows.find((r) => r.medium === 'social');
    const headline = $('facebook-headline');
    if (paid && social && social.conversion_rate > 0) {
      const ratio = paid.conversion_rate / social.conversion_rate;
      headline.textContent = `Paid Facebook converts ${percent.format(paid.conversion_rate)} of its ` +
        `visitors, social ${percent.format(social.conversion_rate)}: ` +
        `${decimal.format(ratio)}× (${MODEL_NAMES[f.model]}). Most tools report the two as one.`;
    } else {
      headline.textContent = 'No paid and social Facebook visitors to compare in this window.';
    }
  },

  async models(f) {
    const rows = await api('/v1/attribution/compare', {
      ...windowOf(f), by: 'channel', conversion: f.conversion, lookback_days: f.lookback_days,
    });
    const models = [...new Set(rows.map((r) => r.model))];
    const byChannel = new Map();
    for (const r of rows) {
      const row = byChannel.get(r.channel) || { channel: r.channel };
      row[r.model] = r.conversions;
      byChannel.set(r.channel, row);
    }
    const chosen = models.includes(f.model) ? f.model : 'last_touch';
    const table = [...byChannel.values()].map((row) => {
      for (const m of models) row[m] = row[m] || 0;
      row.difference = row[chosen] - row.last_touch;
      return row;
    }).sort((a, b) => b[chosen] - a[chosen]);
    renderTable($('table-models'), [
      { key: 'channel', label: 'Channel', format: 'text' },
      ...models.map((m) => ({ key: m, label: MODEL_NAMES[m] || m, format: 'decimal' })),
      { key: 'difference', label: `${MODEL_NAMES[chosen]} − last touch`, format: 'signed' },
    ], table, 'models');
    chart('chart-models', {
      tooltip: { trigger: 'axis' },
      legend: { top: 0, right: 0 },
      grid: { left: 24, right: 8, bottom: 8, top: 48, containLabel: true },
      xAxis: { type: 'category', data: table.map((r) => r.channel), axisLabel: { rotate: 30 } },
      yAxis: { type: 'value', name: 'Conversions' },
      series: [...new Set([chosen, 'last_touch'])].map((m) => ({
        name: MODEL_NAMES[m], type: 'bar', data: table.map((r) => r[m]),
      })),
    });
  },

  async rules(f) {
    const [audit, credits] = await Promise.all([
      api('/v1/rules', windowOf(f)),
      api('/v1/attribution', {
        ...windowOf(f), by: 'rule', model: f.model, conversion: f.conversion,
        lookback_days: f.lookback_days,
      }),
    ]);
    const conversions = new Map(credits.map((c) => [c.rule, c.conversions]));
    const rows = audit.rules.filter((r) => r.sessions > 0).map((r) => ({
      id: r.id, source: r.source ?? '', medium: r.medium ?? '', confidence: r.confidence ?? '',
      sessions: r.sessions, visitors: r.uniques, conversions: conversions.get(r.id) || 0,
      in_cascade: r.in_cascade ? 'yes' : 'no (stored sessions only)',
    })).sort((a, b) => b.sessions - a.sessions);
    renderTable($('table-rules'), [
      { key: 'id', label: 'Rule', format: 'text' },
      { key: 'source', label: 'Source', format: 'text' },
      { key: 'medium', label: 'Medium', format: 'text' },
      { key: 'confidence', label: 'Confidence', format: 'text' },
      { key: 'sessions', label: 'Sessions', format: 'integer' },
      { key: 'visitors', label: 'Visitors', format: 'integer' },
      { key: 'conversions', label: `Conversions (${MODEL_NAMES[f.model]})`, format: 'decimal' },
      { key: 'in_cascade', label: 'In the cascade', format: 'text' },
    ], rows, 'rules');
  },

  async person(f) {
    const id = $('person-id').value.trim();
    const out = $('person-result');
    if (!id) {
      out.textContent = 'Look up a person by the id your tracking sends.';
      return;
    }
    let journey;
    try {
      journey = await api('/v1/journeys', {
        [$('person-kind').value]: id, lookback_days: f.lookback_days,
      });
    } catch (e) {
      if (e.status !== 404) throw e;
      out.textContent = 'No person with this id in the project.';
      return;
    }
    out.replaceChildren();
    const section = (title) => {
      const h = document.createElement('h3');
      h.textContent = title;
      const div = document.createElement('div');
      out.append(h, div);
      return div;
    };
    renderTable(section('Sessions, and the rule that classified each'), [
      { key: 'start', label: 'Start', format: 'text' },
      { key: 'channel', label: 'Channel', format: 'text' },
      { key: 'source', label: 'Source', format: 'text' },
      { key: 'medium', label: 'Medium', format: 'text' },
      { key: 'campaign', label: 'Campaign', format: 'text' },
      { key: 'rule_id', label: 'Rule', format: 'text' },
      { key: 'confidence', label: 'Confidence', format: 'text' },
    ], journey.sessions, `sessions-${id}`);
    const model = journey.conversions.some((c) => c.touchpoints.some((t) => f.model in t.credits))
      ? f.model : 'last_touch';
    journey.conversions.forEach((c, i) => {
      const rows = c.touchpoints.map((t) => ({
        session_start: t.session_start, channel: t.channel, rule_id: t.rule_id,
        confidence: t.confidence, credit: t.credits[model],
      }));
      renderTable(section(`${c.conversion} at ${c.at}: ${money.format(c.revenue)} ${c.currency}`), [
        { key: 'session_start', label: 'Touchpoint', format: 'text' },
        { key: 'channel', label: 'Channel', format: 'text' },
        { key: 'rule_id', label: 'Rule', format: 'text' },
        { key: 'confidence', label: 'Confidence', format: 'text' },
        { key: 'credit', label: `Credit (${MODEL_NAMES[model]})`, format: 'decimal' },
      ], rows, `conversion-${i + 1}-${id}`);
    });
  },
};

// --- Wiring ----------------------------------------------------------------------------------

// Draws the current view. Views draw only after their last answer arrives, and api() refuses
// the answers of a load that a newer one replaced, so an older, slower load never draws over it.
async function load() {
  const mine = ++generation;
  $('confidence-note').hidden = $('confidence').value === '';
  const lookback = $('lookback');
  $('lookback-note').textContent = lookback.value === ''
    ? `Journeys reach back ${days(state.lookbackDays)} before a conversion, as the project derives them.`
    : `Credits and paths as if journeys reached back ${days(Number(lookback.value))} (the project ` +
      `derives with ${days(state.lookbackDays)}); sessions, visitors and totals do not depend on it.`;
  const status = $('status');
  status.className = 'status';
  status.textContent = 'Loading…';
  try {
    await VIEWS[state.view](filters());
    if (mine === generation) status.textContent = '';
  } catch (e) {
    if (e instanceof Stale || mine !== generation) return;
    if (e.status === 401) return signOut(`The read key was refused: ${e.message}`);
    status.className = 'status error';
    status.textContent = e.message;
  }
}

function show(view) {
  state.view = view;
  for (const tab of document.querySelectorAll('[role="tab"]')) {
    tab.setAttribute('aria-selected', String(tab.dataset.view === view));
  }
  for (const panel of document.querySelectorAll('.view')) panel.hidden = panel.id !== `view-${view}`;
  if (window.location.hash !== `#${view}`) history.replaceState(null, '', `#${view}`);
  load();
}

async function start() {
  $('sign-in').hidden = true;
  $('app').hidden = false;
  $('sign-out').hidden = false;
  const stats = await api('/v1/stats');
  const conversion = $('conversion');
  conversion.replaceChildren(new Option('All conversions', ''),
                             ...stats.conversion_events.map((e) => new Option(e, e)));
  // The project's lookback first (''), then others a marketer compares it with.
  state.lookbackDays = stats.lookback_days;
  const others = [1, 7, 14, 30, 60, 90].filter((d) => d !== stats.lookback_days);
  $('lookback').replaceChildren(new Option(`${days(stats.lookback_days)} (the project's)`, ''),
                                ...others.map((d) => new Option(days(d), String(d))));
  const view = window.location.hash.slice(1);
  show(VIEWS[view] ? view : 'overview');
}

function signOut(message = '') {
  ++generation;
  sessionStorage.removeItem(KEY_STORAGE);
  state.key = null;
  $('app').hidden = true;
  $('sign-out').hidden = true;
  $('sign-in').hidden = false;
  $('sign-in-error').textContent = message;
  $('read-key').focus();
}

$('sign-in').addEventListener('submit', async (event) => {
  event.preventDefault();
  state.key = $('read-key').value.trim();
  try {
    await api('/v1/stats');
  } catch (e) {
    return signOut(e.status === 401 || e.status === 403 ? `That key was refused: ${e.message}` : e.message);
  }
  sessionStorage.setItem(KEY_STORAGE, state.key);
  $('read-key').value = '';
  start().catch(startFailed);
});
$('sign-out').addEventListener('click', () => signOut());
$('controls').addEventListener('change', load);
for (const id of ['trend-metric', 'trend-interval', 'paths-by', 'paths-limit']) {
  $(id).addEventListener('change', load);
}
$('controls').addEventListener('submit', (event) => event.preventDefault());
$('person-form').addEventListener('submit', (event) => {
  event.preventDefault();
  load();
});
for (const tab of document.querySelectorAll('[role="tab"]')) {
  tab.addEventListener('click', () => show(tab.dataset.view));
}
window.addEventListener('resize', () => Object.values(state.charts).forEach((c) => c.resize()));

// Only a refused key signs out; a server restarting or unreachable keeps the key for a retry.
function startFailed(e) {
  if (e.status === 401 || e.status === 403) return signOut(`The read key was refused: ${e.message}`);
  $('status').className = 'status error';
  $('status').textContent = `${e.message} — reload the page to try again.`;
}

if (state.key) start().catch(startFailed);
else signOut();
