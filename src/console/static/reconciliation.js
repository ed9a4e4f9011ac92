'use strict';
// A running reconciliation's page: polls the task's JSON every second (read from the store, whichever instance runs
// it), moves the progress bar, names the phase, and opens the run's result once it is stored (or interrupted).
// Without scripts the page has a reload link.
(function () {
  var box = document.getElementById('task');
  if (!box) return;
  var id = box.getAttribute('data-task');
  var bar = document.getElementById('task-progress');
  var count = document.getElementById('task-count');
  var state = document.getElementById('task-state');
  var phase = document.getElementById('task-phase');
  function poll() {
    fetch('/console/reconciliation/tasks/' + encodeURIComponent(id) + '.json', { credentials: 'same-origin', headers: { accept: 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (task) {
        if (!task) return;
        // While the provider's registry streams in its length is unknown (total 0): records staged, no bar to fill.
        if (task.total) { bar.max = task.total; bar.value = task.done; count.textContent = task.done + ' / ' + task.total; }
        else { bar.removeAttribute('value'); count.textContent = String(task.done); }
        if (phase && task.phase) { phase.setAttribute('data-phase', task.phase); phase.textContent = phase.getAttribute('data-' + task.phase) || ''; }
        box.setAttribute('data-state', task.state);
        if (task.state !== 'running' && task.runId) { window.location.assign('/console/reconciliation/runs/' + task.runId); return; }
        if (task.state !== 'running') { state.textContent = task.error || task.state; return; }
        setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 500);
})();
