/**
 * How a figure is shown: the API says its precision and bounds, the page only
 * writes them down. "≥ 600" for at least 600, "~20 (20–99)" for tens, a plain
 * number when exact.
 */
import { formatMoney, formatNumber, t } from './i18n.js';

export function figureText({ quantity, precision, lower, upper, unit }) {
  const n = unit === 'usd' ? formatMoney : formatNumber;
  switch (precision) {
    case 'exact':
      return n(quantity);
    case 'at-least':
      return `≥ ${n(lower ?? quantity)}`;
    case 'approximate':
      return upper === null
        ? `~${n(quantity)} (≥ ${n(lower ?? quantity)})`
        : `~${n(quantity)} (${n(lower)}–${n(upper)})`;
    default:
      return upper === null ? `≥ ${n(lower ?? quantity)}` : `${n(lower)}–${n(upper)}`;
  }
}

/** The same figure in words, for a tooltip and for screen readers. */
export function figureWords({ quantity, precision, lower, upper, unit }) {
  const n = unit === 'usd' ? formatMoney : formatNumber;
  const values = { value: n(quantity), lower: n(lower ?? quantity), upper: upper === null ? '' : n(upper) };
  if (precision === 'exact') return t('figure.exact', values);
  if (precision === 'at-least') return t('figure.atLeast', values);
  if (precision === 'approximate') return t(upper === null ? 'figure.approximateOpen' : 'figure.approximate', values);
  return upper === null ? t('figure.atLeast', values) : t('figure.mixed', values);
}
