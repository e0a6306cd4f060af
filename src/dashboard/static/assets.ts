/**
 * The dashboard's only script and stylesheet, served from the package at
 * /static (the CSP allows nothing else: no inline code, no CDN).
 */

/**
 * Follows a session's terraform output: the page holds the lines persisted so
 * far; this asks /sessions/<id>/output for the rest over server-sent events
 * (resuming after the last line shown, also on reconnect) and appends each as
 * text, never as HTML.
 */
export const LIVE_LOG_JS = `'use strict';
(function () {
  var log = document.getElementById('live-log');
  if (!log || !window.EventSource) return;
  var state = document.getElementById('session-state');
  var status = document.getElementById('live-status');
  var url = log.getAttribute('data-stream') + '?after=' + encodeURIComponent(log.getAttribute('data-after') || '0');
  var source = new EventSource(url);
  if (status) status.textContent = 'live';
  source.addEventListener('line', function (event) {
    var data = JSON.parse(event.data);
    var row = document.createElement('div');
    row.className = 'line ' + data.level;
    row.setAttribute('data-seq', String(data.seq));
    row.textContent = data.line;
    log.appendChild(row);
    log.setAttribute('data-after', String(data.seq));
    log.scrollTop = log.scrollHeight;
  });
  source.addEventListener('state', function (event) {
    var data = JSON.parse(event.data);
    if (state) state.textContent = data.state;
  });
  source.addEventListener('end', function (event) {
    var data = JSON.parse(event.data);
    if (state) state.textContent = data.state;
    if (status) status.textContent = 'finished';
    source.close();
  });
  source.addEventListener('error', function () {
    if (status) status.textContent = source.readyState === 2 ? 'disconnected' : 'reconnecting';
  });
})();
`;

export const DASHBOARD_CSS = `
body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: #1b1f24; background: #f6f7f9; }
header { display: flex; gap: 1.5em; align-items: center; padding: .6em 1.5em; background: #1f2937; color: #fff; }
header a { color: #fff; text-decoration: none; }
header .brand { font-weight: 700; }
header nav { flex: 1; }
header .signout { margin: 0; }
main { padding: 1em 1.5em 3em; max-width: 1200px; }
h1 { font-size: 1.4em; margin: .4em 0 .8em; }
h2 { font-size: 1.1em; margin: 1.6em 0 .5em; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: .35em .6em; border-bottom: 1px solid #e3e6ea; vertical-align: top; }
th { background: #eef0f3; font-weight: 600; }
.state { font-family: ui-monospace, monospace; font-size: .9em; padding: .05em .4em; border-radius: 3px; background: #e5e7eb; }
.state-APPLIED, .state-ACTIVE { background: #d1fae5; }
.state-FAILED, .state-PLAN_FAILED { background: #fee2e2; }
.state-APPLYING, .state-PLANNING, .state-APPROVED, .state-DESTROYING { background: #dbeafe; }
.state-PLAN_READY, .state-DESTROY_READY { background: #fef3c7; }
.muted { color: #6b7280; }
.error { background: #fee2e2; border: 1px solid #fca5a5; padding: .6em .8em; }
.actions form, form.inline { display: inline-block; margin: 0 .5em 0 0; }
button { font: inherit; padding: .3em .9em; cursor: pointer; }
pre, #live-log { background: #0f172a; color: #e2e8f0; padding: .8em; font: 13px/1.4 ui-monospace, monospace; max-height: 32em; overflow: auto; white-space: pre-wrap; }
#live-log .warn { color: #fcd34d; }
#live-log .error { color: #fca5a5; background: none; border: 0; padding: 0; }
.change-create { color: #047857; } .change-delete { color: #b91c1c; } .change-update { color: #b45309; }
code { font-family: ui-monospace, monospace; }
.cost-chart { margin: .5em 0 1.2em; }
.cost-chart figcaption { font-weight: 600; margin-bottom: .3em; }
.cost-chart .bar { fill: #3b82f6; }
.cost-chart text { font: 13px system-ui, sans-serif; fill: #1b1f24; }
.ref-graph { margin: .5em 0 1em; overflow-x: auto; background: #fff; border: 1px solid #e3e6ea; padding: .5em; }
.ref-graph figcaption { font-size: .9em; margin-top: .3em; }
.ref-graph .node rect { fill: #eef2ff; stroke: #6366f1; stroke-width: 1.2; }
.ref-graph .node text.name { font: 600 13px system-ui, sans-serif; fill: #1b1f24; }
.ref-graph .node text.type { font: 12px ui-monospace, monospace; fill: #4b5563; }
.ref-graph .edge { fill: none; stroke: #64748b; stroke-width: 1.4; }
.ref-graph .arrow-head { fill: #64748b; }
.drift-NONE { background: #d1fae5; } .drift-DRIFTED { background: #fef3c7; } .drift-FAILED { background: #fee2e2; }
#drifted td.was code { color: #b91c1c; } #drifted td.now code { color: #047857; }
.policy-refused .outcome, .policy-refused-at-approval .outcome { color: #b91c1c; font-weight: 600; }
.policy-passed .outcome { color: #047857; }
ul.violations { margin: 0; padding-left: 1.2em; }
.pre { white-space: pre-wrap; }
td.cost { white-space: nowrap; }
`;
