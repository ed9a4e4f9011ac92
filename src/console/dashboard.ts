import type { FastifyInstance } from 'fastify';
import type { RateGroup } from '../engine/payment-search.ts';
import { consolePage, text } from './page.ts';
import type { ConsoleDeps } from './routes.ts';

/** The chart's window: the last hour, minute by minute. */
const WINDOW_MINUTES = 60;
/** The chart draws the busiest few; the tables below list every group. */
const CHART_SERIES = 6;

/**
 * The dashboard: what waits (in processing, in review, attention, approvals), payments per minute and the success
 * rate by service and by agent over the last hour, and the agents below their notification threshold with the time
 * each runs out at its current rate, and the partners' health (latency, failures, unknown outcomes). The charts are uPlot, from node_modules, drawn by static/dashboard.js from the
 * numbers in a data attribute; the same numbers are a table for a page without scripts.
 */
export function registerDashboard(app: FastifyInstance, deps: ConsoleDeps): void {
  app.get('/', async (request, reply) => {
    const signed = await deps.page(request, reply, 'dashboard.read', 'dashboard');
    if (!signed) return reply;
    const [counts, byService, byAgent, low, health] = await Promise.all([
      deps.services.counts(), deps.services.rates('service', WINDOW_MINUTES), deps.services.rates('agent', WINDOW_MINUTES), deps.services.lowAgents(),
      deps.services.providerHealth(WINDOW_MINUTES),
    ]);
    const lang = signed.view.lang;
    const data = {
      counts, low, health: health.map((p) => ({ ...p, errorPercent: `${(p.errorRate * 100).toFixed(1)} %` })), offsetMinutes: signed.view.offsetMinutes,
      service: rateView(byService.groups, byService.from),
      agent: rateView(byAgent.groups, byAgent.from),
    };
    return deps.send(reply, 200, consolePage(signed.view, 'dashboard', text(lang, 'nav_dashboard'), data, { styles: ['uPlot.min.css'], scripts: ['uPlot.iife.min.js', 'dashboard.js'] }));
  });
}

function rateView(groups: RateGroup[], from: Date) {
  const sorted = [...groups].sort((a, b) => b.total - a.total || a.key.localeCompare(b.key));
  const start = Math.floor(from.getTime() / 1000);
  const chart = {
    x: Array.from({ length: WINDOW_MINUTES }, (_, i) => start + i * 60),
    series: sorted.slice(0, CHART_SERIES).map((g) => ({ label: g.key, values: g.perMinute })),
  };
  const rows = sorted.map((g) => ({ key: g.key, total: g.total, succeeded: g.succeeded, failed: g.failed, rate: g.successRate === null ? '—' : `${(g.successRate * 100).toFixed(1)} %` }));
  return { chart: JSON.stringify(chart), rows };
}
