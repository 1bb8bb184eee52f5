/**
 * Every string the page shows comes from one catalogue per language
 * (i18n/<lang>.json): a translator adds a language by adding a file and its
 * name to LANGUAGES, without touching code. Numbers and dates are formatted
 * for the language with Intl.
 */
export const LANGUAGES = ['en', 'fr'];

let catalogue = {};
let language = 'en';
let numbers = new Intl.NumberFormat('en');
let dates = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeZone: 'UTC' });

export async function useLanguage(lang) {
  const chosen = LANGUAGES.includes(lang) ? lang : 'en';
  const response = await fetch(`/app/i18n/${chosen}.json`);
  catalogue = await response.json();
  language = chosen;
  numbers = new Intl.NumberFormat(chosen);
  dates = new Intl.DateTimeFormat(chosen, { dateStyle: 'medium', timeZone: 'UTC' });
  document.documentElement.lang = chosen;
  return chosen;
}

export const currentLanguage = () => language;

/** Whether the catalogue has a string for `key` (names of countries the catalogue may not know yet). */
export const has = (key) => key in catalogue;

/** The string for `key`, with `{name}` placeholders filled in. */
export function t(key, params = {}) {
  const text = catalogue[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in params ? String(params[name]) : `{${name}}`));
}

export const formatNumber = (n) => numbers.format(n);

/** Funds are in US dollars (the catalogue's unit `usd`). */
export const formatMoney = (n) =>
  new Intl.NumberFormat(language, { style: 'currency', currency: 'USD', maximumFractionDigits: 0 }).format(n);

/** A date or instant (ISO), shown as a day. */
export const formatDate = (iso) => dates.format(new Date(iso.length === 10 ? `${iso}T12:00:00Z` : iso));

/** Fills every element marked `data-i18n` with its string. */
export function translateStatic(root = document) {
  for (const element of root.querySelectorAll('[data-i18n]')) element.textContent = t(element.dataset.i18n);
  document.title = t('app.title');
}
