// The dashboard's pages. Each view: path (a RegExp over the hash route), crumbs(params, data),
// load(params) -> data from the API, render(data, params) -> a DOM node, and relevant(event,
// params, data): whether an audit event from the stream should make the page load again.
// Everything is built with DOM calls; text from the API is never parsed as HTML.

import {api} from './api.js';
import {formatMs, phaseSegments, recoveryChart, savingsChart} from './charts.js';

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on'))
      el.addEventListener(k.slice(2), v);
    else if (k === 'class')
      el.className = v;
    else
      el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const dash = '–';
const text = (v) => (v === null || v === undefined || v === '' ? dash : String(v));

export function stateChip(state) {
  return h('span', {class: 'state ' + (state || ''), 'data-state': state || ''}, text(state));
}

function when(iso) {
  if (!iso) return dash;
  const d = new Date(iso);
  return isNaN(d) ? iso : d.toLocaleString();
}

function clock(iso) {
  const d = new Date(iso);
  return iso && !isNaN(d) ? d.toLocaleTimeString() : dash;
}

// The saved share, or a dash while nothing has been priced (no on-demand equivalent yet).
function savedShare(sav) {
  return sav && sav.onDemandCostUsd > 0 ? percent(sav.savedPercent) : dash;
}

function usd(v) {
  if (typeof v !== 'number') return dash;
  return '$' + v.toFixed(v >= 100 ? 0 : v >= 1 ? 2 : 4);
}

function hours(v) {
  return (v || 0).toFixed(v >= 10 ? 1 : 2);
}

function percent(v) {
  return typeof v === 'number' ? v.toFixed(1) + '%' : dash;
}

function table(headers, rows, attrs = {}) {
  return h(
      'table',
      attrs,
      h('thead', {},
        h('tr', {},
          headers.map(
              (x) =>
                  h('th', typeof x === 'object' ? x : {}, typeof x === 'object' ? x.label : x)))),
      h('tbody', {},
        rows.length ? rows :
                      h('tr', {}, h('td', {class: 'empty', colspan: headers.length}, 'none'))),
  );
}

function stat(label, value, attrs = {}) {
  return h(
      'div', {class: 'card stat', ...attrs}, h('div', {class: 'value'}, value),
      h('div', {class: 'label'}, label));
}

function persistenceTags(spec) {
  const p = (spec.strategy && spec.strategy.persistence) || {};
  const tags = [
    ['root', p.shouldPersistRootDevice],
    ['data: ' + (p.blockDevicesMode || 'off'), p.shouldPersistBlockDevices],
    ['private IP', p.shouldPersistPrivateIp],
  ];
  if (spec.strategy && spec.strategy.fallbackToOd) tags.push(['fallback to OD', true]);
  // capacityRebalance defaults to true: only an explicit false turns it off.
  if (spec.strategy) tags.push(['rebalance', spec.strategy.capacityRebalance !== false]);
  return h(
      'span', {}, tags.map(([label, on]) => h('span', {class: 'tag' + (on ? ' on' : '')}, label)));
}

function byStateChips(byState) {
  const entries = Object.entries(byState || {}).filter(([, n]) => n > 0);
  if (!entries.length) return h('span', {class: 'muted'}, 'no instances');
  return h(
      'span', {class: 'chips'},
      entries.map(([s, n]) => h('span', {class: 'state ' + s}, `${n} ${s}`)));
}

function condition(status, type) {
  const c = (status.conditions || []).find((x) => x.type === type);
  return c || null;
}

// --- actions, each behind a confirmation (the app provides confirm(), toast())

export const ACTIONS = [
  {
    name: 'pause',
    label: 'Pause',
    allowed: (s) => ['ACTIVE', 'ERROR', 'RESUME', 'PAUSE'].includes(s),
    what:
        'terminates the instance gracefully, keeps its volumes, ENI and a final image; it stays PAUSED until resumed.'
  },
  {
    name: 'resume',
    label: 'Resume',
    allowed: (s) => s === 'PAUSED',
    what: 'launches a replacement from the latest image with the same volumes and private IP.'
  },
  {
    name: 'recycle',
    label: 'Recycle',
    allowed: (s) => s === 'ACTIVE',
    what: 'replaces the instance: pause, then resume on a new instance with the same identity.'
  },
  {
    name: 'retry',
    label: 'Retry',
    allowed: (s) => s === 'ERROR',
    what: 'runs the failed workflow again from the step that failed.'
  },
  {
    name: 'deallocate',
    label: 'Deallocate',
    allowed: (s) => !['DEALLOCATE', 'DEALLOCATING', 'DEALLOCATED'].includes(s),
    danger: true,
    what:
        'terminates the instance for good and deletes what the flags below say; the group\'s capacity target goes down by one.'
  },
];

const DEALLOCATION_FLAGS = [
  ['shouldDeleteVolumes', 'delete its volumes'],
  ['shouldDeleteSnapshots', 'delete its snapshots'],
  ['shouldDeleteImages', 'delete its images'],
  ['shouldDeleteNetworkInterfaces', 'delete its network interface (the private IP is released)'],
];

function actionButtons(ssi, groupSpec, ui) {
  return h(
      'span',
      {class: 'actions'},
      ACTIONS.map(
          (a) => h(
              'button',
              {
                type: 'button',
                class: 'small ' + (a.danger ? 'danger' : 'secondary'),
                'data-action': a.name,
                'data-ssi': ssi.id,
                disabled: !a.allowed(ssi.state),
                title: a.allowed(ssi.state) ? `${a.label} ${ssi.id}` : `not while ${ssi.state}`,
                onclick: () => runAction(a, ssi, groupSpec, ui),
              },
              a.label,
              ),
          ),
  );
}

async function runAction(action, ssi, groupSpec, ui) {
  let body;
  let extra = null;
  const boxes = {};
  if (action.name === 'deallocate') {
    const defaults = (groupSpec && groupSpec.statefulDeallocation) || {};
    extra = h(
        'fieldset',
        {},
        h('legend', {}, 'Deallocation flags (default: the group spec\'s)'),
        DEALLOCATION_FLAGS.map(([key, label]) => {
          boxes[key] = h('input', {type: 'checkbox', name: key, checked: !!defaults[key]});
          return h('label', {}, boxes[key], ' ', label);
        }),
    );
  }
  const ok = await ui.confirm(
      `${action.label} ${ssi.id}?`,
      `${action.label} ${ssi.id} (${ssi.state}, ${text(ssi.instanceId)} at ${
          text(ssi.privateIp)}): ${action.what}`,
      extra,
      action.danger,
  );
  if (!ok) return;
  if (action.name === 'deallocate') {
    body = {
      statefulDeallocation:
          Object.fromEntries(Object.entries(boxes).map(([k, b]) => [k, b.checked]))
    };
  }
  try {
    const r = await api(
        'PUT', `/api/v1/statefulInstance/${encodeURIComponent(ssi.id)}/${action.name}`, body);
    ui.toast(`${action.label} ${ssi.id}: accepted${r && r.state ? ' (now ' + r.state + ')' : ''}`);
    ui.refresh();
  } catch (e) {
    ui.toast(`${action.label} ${ssi.id}: ${e.message}`, true);
  }
}

// --- pages

const groupsView = {
  path: /^\/?$/,
  crumbs: () => [['Groups', null]],
  async load() {
    return api('GET', '/api/v1/group');
  },
  render(data) {
    const groups = data.items || [];
    const rows = groups.map((g) => {
      const s = g.status || {};
      const cap = s.capacity || {};
      const ready = condition(s, 'Ready');
      const degraded = condition(s, 'Degraded');
      const sav = s.savings || {};
      return h(
          'tr',
          {'data-group': g.id},
          h('td', {}, h('a', {href: `#/group/${g.id}`}, g.name),
            h('div', {class: 'muted mono'}, g.id)),
          h('td', {}, stateChip(s.phase),
            degraded && degraded.status === 'True' ?
                [' ', h('span', {class: 'state Degraded', title: degraded.message}, 'Degraded')] :
                null),
          h('td', {class: 'num'}, `${cap.active ?? 0} / ${cap.target ?? 0}`,
            h('div', {class: 'muted'}, `min ${cap.minimum ?? 0} · max ${cap.maximum ?? 0}`)),
          h('td', {}, byStateChips(s.statefulInstances && s.statefulInstances.byState),
            ready ? h('div', {class: ready.status === 'True' ? 'muted' : 'error'},
                      ready.message || ready.reason) :
                    null),
          h('td', {}, persistenceTags(g.spec || {})),
          h('td', {class: 'num'}, h('a', {href: `#/group/${g.id}/savings`}, savedShare(sav)),
            h('div', {class: 'muted'}, `${usd(sav.costUsd)} of ${usd(sav.onDemandCostUsd)}`)),
      );
    });
    const totals = groups.reduce((t, g) => {
      const cap = (g.status && g.status.capacity) || {};
      t.active += cap.active || 0;
      t.target += cap.target || 0;
      return t;
    }, {active: 0, target: 0});
    return h(
        'div',
        {},
        h('h1', {}, 'Stateful groups'),
        h('div', {class: 'sub'},
          `${groups.length} group(s) · ${totals.active} of ${
              totals.target} wanted instances ACTIVE`),
        table(
            [
              'Group', 'Phase', {label: 'Active / target', class: 'num'}, 'Instances',
              'Persistence', {label: 'Saved', class: 'num'}
            ],
            rows, {id: 'groups-table'}),
    );
  },
  relevant: () => true,
};

const groupView = {
  path: /^\/group\/([^/]+)$/,
  crumbs: (p, d) => [['Groups', '#/'], [d ? d.group.name : p[0], null]],
  async load([id]) {
    const [group, ssis] = await Promise.all([
      api('GET', `/api/v1/group/${encodeURIComponent(id)}`),
      api('GET', `/api/v1/group/${encodeURIComponent(id)}/statefulInstance`),
    ]);
    return {group, ssis: ssis.items || []};
  },
  render({group, ssis}, params, ui) {
    const s = group.status || {};
    const cap = s.capacity || {};
    const spec = group.spec || {};
    const rows = ssis.map((x) => {
      const rec = x.lastRecovery;
      return h(
          'tr',
          {'data-ssi': x.id},
          h('td', {}, h('a', {href: `#/instance/${x.id}`}, x.id)),
          h('td', {'data-field': 'state'}, stateChip(x.state),
            x.workflow && x.workflow.status === 'running' ?
                h('div', {class: 'muted'},
                  `${x.workflow.kind} since ${clock(x.workflow.startedAt)}`) :
                null),
          h('td', {class: 'mono'}, text(x.privateIp)),
          h('td', {class: 'mono', 'data-field': 'instance'}, text(x.instanceId),
            h('div', {class: 'muted'}, `${text(x.instanceType)} · ${text(x.availabilityZone)}`)),
          h('td', {},
            h('span', {class: 'tag' + (x.lifeCycle === 'SPOT' ? ' on' : '')},
              x.lifeCycle === 'OD' ? 'on-demand' : text(x.lifeCycle && x.lifeCycle.toLowerCase()))),
          h('td', {class: 'mono'},
            (x.devices || []).map((d) => h('div', {}, `${d.deviceName} ${text(d.volumeId)}`))),
          h('td', {},
            rec ?
                [
                  rec.reason,
                  h('div', {class: 'muted'},
                    `${formatMs(rec.totalMs)} · ${when(rec.timings && rec.timings.active)}`)
                ] :
                dash),
          h('td', {}, actionButtons(x, spec, ui)),
      );
    });
    return h(
        'div',
        {},
        h('h1', {}, group.name, ' ', stateChip(s.phase)),
        h('div', {class: 'sub'}, h('span', {class: 'mono'}, group.id),
          ` · ${spec.region || ''} · generation ${group.generation}`, ' · ',
          h('a', {href: `#/group/${group.id}/savings`}, 'savings')),
        h(
            'div',
            {class: 'cards'},
            stat('active / target', `${cap.active ?? 0} / ${cap.target ?? 0}`),
            stat('min / max', `${cap.minimum ?? 0} / ${cap.maximum ?? 0}`),
            stat('persistence', persistenceTags(spec)),
            stat('saved against on-demand', savedShare(s.savings)),
            ),
        h('h2', {}, 'Stateful instances'),
        table(
            [
              'Instance', 'State', 'Private IP', 'EC2 instance', 'Lifecycle', 'Volumes',
              'Last recovery', 'Actions'
            ],
            rows, {id: 'ssi-table'}),
        h('h2', {}, 'Conditions'),
        conditionsTable(s.conditions),
    );
  },
  relevant: (e, [id]) => e.groupId === id,
};

function conditionsTable(conditions) {
  return table(
      ['Type', 'Status', 'Reason', 'Message', 'Since'],
      (conditions || [])
          .map(
              (c) =>
                  h('tr', {class: c.status === 'True' ? '' : 'cond-false'}, h('td', {}, c.type),
                    h('td', {}, c.status), h('td', {}, c.reason), h('td', {}, c.message),
                    h('td', {}, when(c.lastTransitionTime))),
              ),
  );
}

const instanceView = {
  path: /^\/instance\/([^/]+)$/,
  crumbs: (p, d) => [
      ['Groups', '#/'], d ? [d.group.name, `#/group/${d.group.id}`] : ['…', null], [p[0], null]],
  async load([id]) {
    const ssi = await api('GET', `/api/v1/statefulInstance/${encodeURIComponent(id)}`);
    const q = encodeURIComponent(id);
    const [group, recoveries, events] = await Promise.all([
      api('GET', `/api/v1/group/${encodeURIComponent(ssi.groupId)}`),
      api('GET', `/api/v1/statefulInstance/${q}/recoveries`),
      api('GET', `/api/v1/events?statefulInstanceId=${q}&tail=50`),
    ]);
    return {ssi, group, recoveries: recoveries.items || [], events: events.items || []};
  },
  render({ssi, group, recoveries, events}, params, ui) {
    const wf = ssi.workflow;
    const details = [
      ['EC2 instance', h('span', {class: 'mono', 'data-field': 'instance'}, text(ssi.instanceId))],
      ['private IP', h('span', {class: 'mono'}, text(ssi.privateIp))],
      ['network interface', h('span', {class: 'mono'}, text(ssi.networkInterfaceId))],
      [
        'type · lifecycle',
        `${text(ssi.instanceType)} · ${ssi.lifeCycle === 'OD' ? 'on-demand' : text(ssi.lifeCycle)}`
      ],
      ['zone · subnet', `${text(ssi.availabilityZone)} · ${text(ssi.subnetId)}`],
      ['next image', h('span', {class: 'mono'}, text(ssi.imageId))],
      ['launched', when(ssi.launchedAt)],
      ['desired', text(ssi.desiredState)],
      [
        'workflow',
        wf ? `${wf.kind} ${wf.status} at ${wf.step}${
                 wf.attempt > 1 ? ` (attempt ${wf.attempt})` :
                                  ''}${wf.error ? ': ' + wf.error : ''}` :
                                  dash
      ],
      [
        'waiting action',
        ssi.pendingAction ? `${ssi.pendingAction.kind} (by ${ssi.pendingAction.requestedBy})` : dash
      ],
    ];
    const recRows = recoveries.map((r) => {
      const segs = Object.fromEntries(phaseSegments(r.phasesMs).map((s) => [s.key, s.to - s.from]));
      return h(
          'tr',
          {'data-workflow': r.workflowId},
          h('td', {}, when(r.startedAt)),
          h('td', {}, r.reason),
          h('td', {class: 'num'}, h('strong', {}, formatMs(r.totalMs))),
          h('td', {class: 'num'}, formatMs(r.downtimeMs)),
          ['terminated', 'released', 'running', 'attached', 'active'].map(
              (k) => h('td', {class: 'num'}, segs[k] === undefined ? dash : formatMs(segs[k]))),
      );
    });
    return h(
        'div',
        {},
        h('h1', {}, ssi.id, ' ', h('span', {id: 'ssi-state'}, stateChip(ssi.state))),
        h('div', {class: 'sub'}, 'in ', h('a', {href: `#/group/${group.id}`}, group.name), ' · ',
          actionButtons(ssi, group.spec, ui)),
        h(
            'div',
            {class: 'grid2'},
            h('div', {class: 'card'},
              h('dl', {class: 'kv'}, details.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]))),
            h(
                'div',
                {},
                table(
                    ['Device', 'Volume', 'Role', 'Newest snapshot'],
                    (ssi.devices || [])
                        .map(
                            (d) =>
                                h('tr', {}, h('td', {class: 'mono'}, d.deviceName),
                                  h('td', {class: 'mono'}, text(d.volumeId)),
                                  h('td', {}, text(d.role)),
                                  h('td', {class: 'mono'}, text(d.snapshotId))))),
                h('h2', {}, 'Conditions'),
                conditionsTable(ssi.conditions),
                ),
            ),
        h('h2', {}, `Recoveries (${recoveries.length})`),
        recoveries.length ? recoveryChart(recoveries) :
                            h('div', {class: 'card empty'}, 'no recovery yet'),
        table(
            [
              'Started', 'Reason', {label: 'RTO', class: 'num'}, {label: 'Downtime', class: 'num'},
              {label: 'Stopping', class: 'num'}, {label: 'Releasing', class: 'num'},
              {label: 'Launching', class: 'num'}, {label: 'Attaching', class: 'num'},
              {label: 'To ACTIVE', class: 'num'}
            ],
            recRows, {id: 'recoveries-table'}),
        h(
            'div',
            {class: 'grid2'},
            h('div', {}, h('h2', {}, 'Snapshots'),
              table(
                  ['Snapshot', 'Volume', 'State', 'Taken'],
                  (ssi.snapshots || [])
                      .map(
                          (s) =>
                              h('tr', {}, h('td', {class: 'mono'}, s.id),
                                h('td', {class: 'mono'}, text(s.volumeId || s.deviceName)),
                                h('td', {}, text(s.state || s.status)),
                                h('td', {}, when(s.createdAt)))))),
            h('div', {}, h('h2', {}, 'Images'),
              table(
                  ['Image', 'Root snapshot', 'State', 'Made'],
                  (ssi.images || [])
                      .map(
                          (i) =>
                              h('tr', {},
                                h('td', {class: 'mono'}, i.id, i.current ? ' (next launch)' : ''),
                                h('td', {class: 'mono'}, text(i.snapshotId)),
                                h('td', {}, text(i.state || i.status)),
                                h('td', {}, when(i.createdAt)))))),
            ),
        h('h2', {}, 'Events'),
        table(
            ['When', 'Actor', 'Kind', 'Message'],
            [...events].reverse().map(
                (e) =>
                    h('tr', {}, h('td', {}, when(e.at)), h('td', {}, e.actor), h('td', {}, e.kind),
                      h('td', {}, e.message))),
            {id: 'events-table'}),
    );
  },
  relevant: (e, [id]) => e.statefulInstanceId === id,
};

const savingsView = {
  path: /^\/group\/([^/]+)\/savings$/,
  crumbs: (p, d) => [
      ['Groups', '#/'], d ? [d.savings.groupName, `#/group/${p[0]}`] : [p[0], null],
      ['Savings', null]],
  async load([id]) {
    return {savings: await api('GET', `/api/v1/group/${encodeURIComponent(id)}/savings`)};
  },
  render({savings: s}) {
    const rows =
        (s.statefulInstances || [])
            .map(
                (x) =>
                    h('tr', {}, h('td', {}, h('a', {href: `#/instance/${x.ssiId}`}, x.ssiId)),
                      h('td', {class: 'num'}, usd(x.usd)),
                      h('td', {class: 'num'}, usd(x.onDemandUsd)),
                      h('td', {class: 'num'},
                        percent(
                            x.onDemandUsd > 0 ? (100 * (x.onDemandUsd - x.usd)) / x.onDemandUsd :
                                                null)),
                      h('td', {class: 'num'}, hours(x.spotHours)),
                      h('td', {class: 'num'}, hours(x.onDemandHours))),
            );
    return h(
        'div',
        {},
        h('h1', {}, `Savings: ${s.groupName}`),
        h('div', {class: 'sub'},
          'What the group\'s instances cost at the prices they ran at, against the same hours on-demand (docs/cli.md, group savings).'),
        h(
            'div',
            {class: 'cards', id: 'savings-cards'},
            stat('paid', usd(s.costUsd)),
            stat('on-demand equivalent', usd(s.onDemandCostUsd)),
            stat('saved', usd(s.savedUsd)),
            stat('saved %', savedShare(s), {'data-field': 'savedPercent'}),
            stat('spot / on-demand hours', `${hours(s.spotHours)} / ${hours(s.onDemandHours)}`),
            s.unpricedHours > 0 ? stat('hours without a price', s.unpricedHours.toFixed(1)) : null,
            ),
        h('h2', {}, 'Cumulative cost, last 30 days'),
        savingsChart(s.hourly || []),
        h('h2', {}, 'By instance'),
        table(
            [
              'Instance', {label: 'Paid', class: 'num'}, {label: 'On-demand', class: 'num'},
              {label: 'Saved', class: 'num'}, {label: 'Spot h', class: 'num'},
              {label: 'On-demand h', class: 'num'}
            ],
            rows),
    );
  },
  relevant: (e, [id]) => e.groupId === id,
};

export const VIEWS = [groupsView, savingsView, groupView, instanceView];
