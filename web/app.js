// The dashboard: login, the hash router (#/, #/group/ID, #/group/ID/savings, #/instance/ID), the
// live event stream and the feed beside every page. A page loads again when an event that
// concerns it arrives; nothing polls.

import {api, clearToken, EventStream, onUnauthorized, setToken, token} from './api.js';
import {h, VIEWS} from './views.js';

const $ = (id) => document.getElementById(id);

const state = {
  stream: null,
  view: null,
  params: [],
  data: null,
  loading: false,
  again: false,
  timer: null,
  generation: 0,  // bumps on navigation: a slow load for an old page is dropped
};

function toast(message, error = false) {
  const el = h('div', {class: 'toast' + (error ? ' error' : '')}, message);
  $('toasts').append(el);
  setTimeout(() => el.remove(), error ? 9000 : 4000);
}

// A modal confirmation; resolves true when confirmed.
function confirmDialog(title, message, extra, danger) {
  const dialog = $('confirm');
  $('confirm-title').textContent = title;
  $('confirm-text').textContent = message;
  $('confirm-extra').replaceChildren(...(extra ? [extra] : []));
  $('confirm-ok').className = danger ? 'danger' : '';
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), {once: true});
    dialog.returnValue = '';
    dialog.showModal();
    $('confirm-cancel').focus();
  });
}

const ui = {
  toast,
  confirm: confirmDialog,
  refresh: () => scheduleLoad(0)
};

function route() {
  const path = (location.hash || '#/').slice(1);
  for (const v of VIEWS) {
    const m = path.match(v.path);
    if (m) return {view: v, params: m.slice(1).map(decodeURIComponent)};
  }
  return {view: null, params: []};
}

function renderCrumbs() {
  const crumbs = state.view ? state.view.crumbs(state.params, state.data) : [];
  const nodes = [];
  crumbs.forEach(([label, href], i) => {
    if (i) nodes.push(h('span', {class: 'sep'}, '/'));
    nodes.push(href ? h('a', {href}, label) : h('span', {}, label));
  });
  $('crumbs').replaceChildren(...nodes);
  const last = crumbs.length ? crumbs[crumbs.length - 1][0] : '';
  document.title = last ? `${last} · spotkeeper` : 'spotkeeper';
}

// Loads the current page and renders it. Loads never overlap: one asked for during a load runs
// right after it.
async function load() {
  if (state.loading) {
    state.again = true;
    return;
  }
  state.loading = true;
  const generation = state.generation;
  const {view, params} = state;
  try {
    if (!view) {
      $('view').replaceChildren(
          h('div', {class: 'card empty'}, 'No such page. ', h('a', {href: '#/'}, 'Groups')));
      return;
    }
    const data = await view.load(params);
    if (generation !== state.generation) return;
    state.data = data;
    // Keep the scroll position across a live re-render.
    const y = window.scrollY;
    $('view').replaceChildren(view.render(data, params, ui));
    $('view').dataset.loaded = String(Date.now());
    window.scrollTo(0, y);
    renderCrumbs();
  } catch (e) {
    if (generation !== state.generation) return;
    $('view').replaceChildren(h('div', {class: 'card error'}, e.message));
  } finally {
    state.loading = false;
    if (state.again) {
      state.again = false;
      scheduleLoad(0);
    }
  }
}

function scheduleLoad(delay) {
  clearTimeout(state.timer);
  state.timer = setTimeout(load, delay);
}

function navigate() {
  const r = route();
  state.view = r.view;
  state.params = r.params;
  state.data = null;
  state.generation += 1;
  renderCrumbs();
  $('view').replaceChildren(h('div', {class: 'empty'}, 'loading…'));
  scheduleLoad(0);
}

function addToFeed(e) {
  const list = $('feed-list');
  const target = e.statefulInstanceId ?
      h('a', {href: `#/instance/${e.statefulInstanceId}`}, e.statefulInstanceId) :
      e.groupId ? h('a', {href: `#/group/${e.groupId}`}, e.groupId) :
                  null;
  list.prepend(
      h('li', {'data-seq': e.seq},
        h('div', {}, h('span', {class: 'when'}, new Date(e.at).toLocaleTimeString()), ' ',
          h('span', {class: 'kind'}, e.kind), ' ', target),
        h('div', {}, e.message)),
  );
  while (list.children.length > 100) list.lastChild.remove();
}

function onEvent(e) {
  addToFeed(e);
  $('live').dataset.events = String(state.stream.received);
  // Events come in bursts (one per workflow step): coalesce them into one load.
  if (state.view && state.view.relevant(e, state.params, state.data)) scheduleLoad(150);
}

function onStreamState(s) {
  const el = $('live');
  el.className = 'live ' + (s === 'live' ? 'on' : s);
  el.textContent = s === 'live' ? 'live' : s === 'retrying' ? 'reconnecting…' : 'connecting…';
}

function showLogin(message) {
  if (state.stream) state.stream.stop();
  state.stream = null;
  document.body.classList.add('logged-out');
  $('login').hidden = false;
  $('view').hidden = true;
  $('feed').hidden = true;
  $('logout').hidden = true;
  $('server-info').textContent = '';
  $('feed-list').replaceChildren();
  $('live').className = 'live off';
  $('live').textContent = 'offline';
  $('login-error').textContent = message || '';
  $('token').value = '';
  $('token').focus();
}

async function enter() {
  // The token is checked by a real call before anything else is shown.
  const info = await api('GET', '/api/v1/info');
  document.body.classList.remove('logged-out');
  $('login').hidden = true;
  $('view').hidden = false;
  $('feed').hidden = false;
  $('logout').hidden = false;
  $('server-info').textContent = `${info.provider} · v${info.version}`;
  state.stream = new EventStream(onEvent, onStreamState);
  state.stream.start();
  navigate();
}

function start() {
  onUnauthorized(() => {
    clearToken();
    showLogin('The server refused the token (401): log in again.');
  });
  $('login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const value = $('token').value.trim();
    if (!value) return;
    setToken(value);
    $('token').value = '';
    try {
      await enter();
    } catch (e) {
      if (e.status !== 401) {
        clearToken();
        showLogin(e.message);
      }
    }
  });
  $('logout').addEventListener('click', () => {
    clearToken();
    showLogin('');
  });
  window.addEventListener('hashchange', () => {
    if (token()) navigate();
  });
  if (token()) {
    enter().catch((e) => showLogin(e.message));
  } else {
    showLogin('');
  }
}

start();
