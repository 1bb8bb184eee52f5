/**
 * The dashboard's controller: the key, the language, the view and the dates
 * (in the URL hash, so a view can be shared), and a refresh whenever any of
 * them or the ledger's position changes.
 */
import { Api, ApiError } from './api.js';
import { historyChart } from './chart.js';
import { h } from './dom.js';
import { currentLanguage, formatDate, t, translateStatic, useLanguage } from './i18n.js';
import * as views from './views.js';

const KEY_STORAGE = 'mss-ledger.key';
const LANGUAGE_STORAGE = 'mss-ledger.language';
/** The first day the slider reaches: the month the Security Council approved the mission. */
const FIRST_DAY = '2023-10-01';
const DAY_MS = 86_400_000;
const VIEWS = ['overview', 'holders', 'personnel', 'history', 'shipments', 'donors', 'custody', 'events'];
/** Revalidation beside the live stream, in case a proxy holds the stream back; `?poll=ms` changes it. */
const POLL_MS = Number(new URLSearchParams(location.search).get('poll')) || 15_000;

const $ = (selector) => document.querySelector(selector);
const today = () => new Date().toISOString().slice(0, 10);
const dayIndex = (date) => Math.round((Date.parse(date) - Date.parse(FIRST_DAY)) / DAY_MS);
const dayAt = (index) => new Date(Date.parse(FIRST_DAY) + index * DAY_MS).toISOString().slice(0, 10);
const isDate = (value) => typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value);

const state = {
  api: undefined,
  view: 'overview',
  asOf: undefined,
  knownAt: undefined,
  filter: undefined,
  serial: '',
  custody: undefined,
  position: undefined,
  category: 'firearm',
  live: undefined,
};

// --------------------------------------------------------------- the URL hash

function readHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  state.asOf = isDate(params.get('asOf')) ? params.get('asOf') : undefined;
  state.knownAt = isDate(params.get('knownAt')) ? params.get('knownAt') : undefined;
  state.view = VIEWS.includes(params.get('view')) ? params.get('view') : 'overview';
}

function writeHash() {
  const params = new URLSearchParams();
  if (state.asOf) params.set('asOf', state.asOf);
  if (state.knownAt) params.set('knownAt', state.knownAt);
  if (state.view !== 'overview') params.set('view', state.view);
  const hash = params.toString();
  history.replaceState(null, '', hash ? `#${hash}` : location.pathname + location.search);
}

const slice = () => {
  const params = new URLSearchParams();
  if (state.asOf) params.set('asOf', state.asOf);
  if (state.knownAt) params.set('knownAt', state.knownAt);
  const query = params.toString();
  return query ? `?${query}` : '';
};

// --------------------------------------------------------------- rendering

function syncControls() {
  const slider = $('#asof-slider');
  slider.max = String(dayIndex(today()));
  slider.value = String(dayIndex(state.asOf ?? today()));
  slider.setAttribute('aria-valuetext', state.asOf ? formatDate(state.asOf) : t('time.today'));
  $('#asof-date').value = state.asOf ?? '';
  $('#asof-date').max = today();
  $('#knownat-date').value = state.knownAt ?? '';
  $('#knownat-date').max = today();
  $('#showing').textContent = t('time.showing', {
    asOf: state.asOf ? formatDate(state.asOf) : t('time.today'),
    knownAt: state.knownAt ? t('time.knownOn', { date: formatDate(state.knownAt) }) : t('time.knownNow'),
  });
  for (const button of document.querySelectorAll('[data-view]'))
    button.setAttribute('aria-current', button.dataset.view === state.view ? 'page' : 'false');
  for (const panel of document.querySelectorAll('[data-view-panel]'))
    panel.hidden = panel.dataset.viewPanel !== state.view;
  for (const button of document.querySelectorAll('[data-lang]'))
    button.setAttribute('aria-pressed', String(button.dataset.lang === currentLanguage()));
}

async function viewContent(view) {
  const { api } = state;
  const q = slice();
  switch (view) {
    case 'overview':
      return views.overview(...(await Promise.all([api.get(`/v1/inventory${q}`), api.get(`/v1/personnel${q}`)])));
    case 'holders':
      return views.holders(await api.get(`/v1/inventory${q}`));
    case 'personnel':
      return views.personnelView(await api.get(`/v1/personnel${q}`));
    case 'history':
      return historyView();
    case 'shipments':
      return views.shipments(await api.get(`/v1/shipments${q}`));
    case 'donors':
      return views.donors(await api.get(`/v1/donors${q}`));
    case 'custody':
      return custodyView();
    case 'events':
      return eventsView();
  }
}

async function historyView() {
  const params = new URLSearchParams({
    from: FIRST_DAY,
    to: state.asOf ?? today(),
    interval: 'week',
    category: state.category,
  });
  if (state.knownAt) params.set('knownAt', state.knownAt);
  const [answer, inventory] = await Promise.all([
    state.api.get(`/v1/timeline?${params}`),
    state.api.get(`/v1/inventory${slice()}`),
  ]);
  const names = new Map(inventory.holders.map((holder) => [holder.holder, holder.name]));
  const select = h(
    'select',
    { id: 'history-category', onchange: (event) => ((state.category = event.target.value), refresh()) },
    ['firearm', 'ammunition', 'armored-vehicle', 'aircraft', 'vehicle', 'communications', 'equipment'].map((c) =>
      h('option', { value: c, selected: c === state.category }, t(`category.${c}`)),
    ),
  );
  const section = h(
    'section',
    { class: 'card' },
    h('h2', {}, t('history.heading')),
    h('p', {}, h('label', { for: 'history-category' }, `${t('history.category')} `), select),
  );
  const chart = h('figure', {
    class: 'chart',
    'aria-label': t('history.chartLabel', {
      category: t(`category.${state.category}`),
      asOf: formatDate(state.asOf ?? today()),
    }),
  });
  section.append(chart);
  $('#view-history').replaceChildren(section);
  chart.append(historyChart(chart, answer, names));
  return section;
}

function custodyView() {
  const input = h('input', { id: 'custody-serial', type: 'text', value: state.serial, spellcheck: 'false' });
  const form = h(
    'form',
    {
      class: 'field',
      onsubmit: async (event) => {
        event.preventDefault();
        state.serial = input.value.trim();
        state.custody = undefined;
        if (state.serial) {
          try {
            state.custody = await state.api.get(`/v1/items/${encodeURIComponent(state.serial)}${slice()}`);
          } catch (error) {
            if (error instanceof ApiError && error.status === 404) state.custody = { notFound: true };
            else throw error;
          }
        }
        refresh();
      },
    },
    h('label', { for: 'custody-serial' }, t('custody.serial')),
    input,
    h('button', { type: 'submit' }, t('custody.lookup')),
  );
  return h(
    'section',
    { class: 'card' },
    h('h2', {}, t('custody.heading')),
    form,
    views.custody(state.custody, state.serial),
  );
}

async function eventsView() {
  const filter = state.filter;
  const params = new URLSearchParams({ limit: '50' });
  if (filter?.item) params.set('item', filter.item);
  if (filter?.party) params.set('party', filter.party);
  if (filter?.country) params.set('country', filter.country);
  // The log reads oldest first: the newest 50 are those after the head less 50.
  if (!filter && state.position !== undefined) params.set('after', String(Math.max(0, state.position - 50)));
  let answer;
  try {
    answer = await state.api.get(`/v1/events?${params}`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 403) answer = { forbidden: true };
    else throw error;
  }
  const list = answer.forbidden ? answer : { events: [...answer.events].reverse() };
  return h(
    'section',
    { class: 'card' },
    h('h2', {}, t('events.heading')),
    filter
      ? h(
          'p',
          {},
          t('events.filtered', { filter: [filter.item, filter.party, filter.country].filter(Boolean).join(' · ') }),
          ' ',
          h('button', { type: 'button', onclick: () => ((state.filter = undefined), refresh()) }, t('events.showAll')),
        )
      : null,
    views.events(list),
  );
}

let running = false;
let again = false;

/** Renders the current view from the API; one refresh at a time, the last request wins. */
async function refresh() {
  if (!state.api) return;
  if (running) {
    again = true;
    return;
  }
  running = true;
  try {
    do {
      again = false;
      syncControls();
      const view = state.view;
      // What this pass draws, fixed before it awaits: the dates may move meanwhile (then `again` is set).
      // The language last: a switch re-renders the same view, and a test must tell the two passes apart.
      const drawn = `${view} ${slice()} ${state.position ?? ''} ${currentLanguage()}`;
      const panel = document.querySelector(`[data-view-panel="${view}"]`);
      try {
        const content = await viewContent(view);
        if (content && content.parentElement !== panel) panel.replaceChildren(content);
        document.body.dataset.rendered = drawn;
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) return signOut(t('signin.refused', { status: 401 }));
        panel.replaceChildren(
          h(
            'p',
            { class: 'error', role: 'alert' },
            t('error.generic', { status: error.status ?? '?', title: error.problem?.detail ?? error.message }),
          ),
        );
      }
    } while (again);
  } finally {
    running = false;
  }
}

// --------------------------------------------------------------- live updates

let lastStatus = ['status.connecting', {}];
/** The live status line, kept as a key so a language switch re-words it. */
function showStatus(key = lastStatus[0], params = lastStatus[1]) {
  lastStatus = [key, params];
  $('#status').textContent = t(key, params);
}

function followLedger() {
  state.live?.abort();
  const controller = new AbortController();
  state.live = controller;
  showStatus('status.connecting');
  const onPosition = (position) => {
    const moved = state.position !== position;
    state.position = position;
    showStatus('status.live', { position });
    if (moved) refresh();
  };
  const loop = async () => {
    while (!controller.signal.aborted) {
      try {
        await state.api.follow(onPosition, controller.signal);
      } catch (error) {
        if (controller.signal.aborted) return;
        if (error instanceof ApiError && error.status === 401) return signOut(t('signin.refused', { status: 401 }));
        showStatus('status.offline');
      }
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  };
  loop();
}

// --------------------------------------------------------------- sign-in

function signIn(key) {
  sessionStorage.setItem(KEY_STORAGE, key);
  state.api = new Api(key);
  $('#signin').hidden = true;
  $('#dashboard').hidden = false;
  followLedger();
  refresh();
}

function signOut(message) {
  sessionStorage.removeItem(KEY_STORAGE);
  state.live?.abort();
  state.api = undefined;
  $('#dashboard').hidden = true;
  $('#signin').hidden = false;
  const error = $('#signin-error');
  error.hidden = !message;
  error.textContent = message ?? '';
  $('#api-key').focus();
}

async function checkKey(key) {
  const response = await fetch('/v1/personnel', { headers: { authorization: `Bearer ${key}` }, cache: 'no-store' });
  return response.status;
}

// --------------------------------------------------------------- wiring

async function start() {
  readHash();
  const stored = localStorage.getItem(LANGUAGE_STORAGE);
  await useLanguage(stored ?? (navigator.language?.startsWith('fr') ? 'fr' : 'en'));
  translateStatic();

  $('#signin-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const key = $('#api-key').value.trim();
    const status = await checkKey(key);
    if (status === 200) {
      $('#api-key').value = '';
      signIn(key);
    } else signOut(t('signin.refused', { status }));
  });
  $('#signout').addEventListener('click', () => signOut());
  for (const button of document.querySelectorAll('[data-lang]'))
    button.addEventListener('click', async () => {
      localStorage.setItem(LANGUAGE_STORAGE, button.dataset.lang);
      await useLanguage(button.dataset.lang);
      translateStatic();
      showStatus();
      refresh();
    });
  for (const button of document.querySelectorAll('[data-view]'))
    button.addEventListener('click', () => {
      state.view = button.dataset.view;
      if (state.view !== 'events') state.filter = undefined;
      writeHash();
      refresh();
    });
  const slider = $('#asof-slider');
  slider.addEventListener('input', () => {
    const day = dayAt(Number(slider.value));
    state.asOf = day >= today() ? undefined : day;
    writeHash();
    refresh();
  });
  $('#asof-date').addEventListener('change', (event) => {
    state.asOf = isDate(event.target.value) && event.target.value < today() ? event.target.value : undefined;
    writeHash();
    refresh();
  });
  $('#asof-now').addEventListener('click', () => {
    state.asOf = undefined;
    writeHash();
    refresh();
  });
  $('#knownat-date').addEventListener('change', (event) => {
    state.knownAt = isDate(event.target.value) && event.target.value < today() ? event.target.value : undefined;
    writeHash();
    refresh();
  });
  $('#knownat-clear').addEventListener('click', () => {
    state.knownAt = undefined;
    writeHash();
    refresh();
  });
  // A figure links to what is behind it: the holders of a category, the events of an item.
  document.addEventListener('click', (event) => {
    const link = event.target.closest?.('a[data-filter]');
    if (!link) return;
    event.preventDefault();
    const { view, ...filter } = JSON.parse(link.dataset.filter);
    state.view = view;
    state.filter = view === 'events' ? filter : undefined;
    writeHash();
    refresh();
  });
  window.addEventListener('hashchange', () => {
    readHash();
    refresh();
  });
  setInterval(() => document.visibilityState === 'visible' && refresh(), POLL_MS);

  const key = sessionStorage.getItem(KEY_STORAGE);
  if (key) signIn(key);
  else signOut();
  syncControls();
}

start();
