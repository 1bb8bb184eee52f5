/**
 * The history chart: uPlot (vendored from node_modules), one line per holder
 * and one for all holders together. uPlot is small (about 50 kB, 20 kB
 * compressed), has no dependencies, draws thousands of points on a canvas
 * without lag on a phone, and needs no build step.
 */
import { h } from './dom.js';
import { currentLanguage, formatDate, formatNumber, t } from './i18n.js';

const COLOURS = ['#0b4f8a', '#b03a2e', '#1e7b3c', '#7d3c98', '#8a5a00', '#2c3e50', '#c0392b'];
let current;

export function historyChart(container, answer, names) {
  current?.destroy();
  current = undefined;
  const series = answer.series;
  if (series.length === 0 || !window.uPlot) return h('p', { 'data-empty': 'history' }, t('history.empty'));
  const dates = series[0].points.map((p) => Date.parse(`${p.date}T23:59:59Z`) / 1000);
  const ordered = [...series].sort((a, b) => (a.holder === 'all' ? -1 : b.holder === 'all' ? 1 : 0));
  const data = [dates, ...ordered.map((s) => s.points.map((p) => p.quantity))];
  const width = Math.max(280, Math.min(container.clientWidth || 800, 1100) - 24);
  const options = {
    width,
    height: 300,
    series: [
      { value: (_, ts) => (ts === null ? '' : formatDate(new Date(ts * 1000).toISOString())) },
      ...ordered.map((s, i) => ({
        label: s.holder === 'all' ? t('history.all') : (names.get(s.holder) ?? s.holder),
        stroke: COLOURS[i % COLOURS.length],
        width: s.holder === 'all' ? 3 : 2,
        dash: s.holder === 'all' ? [6, 4] : undefined,
        value: (_, v) => (v === null ? '' : formatNumber(v)),
      })),
    ],
    axes: [
      {
        space: 70,
        values: (_, ticks) => {
          const month = new Intl.DateTimeFormat(currentLanguage(), {
            month: 'short',
            year: 'numeric',
            timeZone: 'UTC',
          });
          return ticks.map((ts) => month.format(new Date(ts * 1000)));
        },
      },
      { values: (_, ticks) => ticks.map((v) => formatNumber(v)) },
    ],
    scales: { x: { time: true } },
  };
  const target = h('div', { class: 'chart-canvas' });
  current = new window.uPlot(options, data, target);
  return target;
}
