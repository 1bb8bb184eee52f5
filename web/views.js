/**
 * One function per view: the API's answer in, elements out. No figure is
 * computed here that the API does not give; the page only arranges them.
 */
import { h, table } from './dom.js';
import { figureText, figureWords } from './figures.js';
import { formatDate, formatNumber as n, has, t } from './i18n.js';

const CATEGORY_ORDER = [
  'firearm',
  'ammunition',
  'armored-vehicle',
  'aircraft',
  'vehicle',
  'communications',
  'equipment',
  'funds',
  'unknown',
];
const byCategory = (a, b) => CATEGORY_ORDER.indexOf(a.category) - CATEGORY_ORDER.indexOf(b.category);

/** A country's name in the catalogue, else its slug as a name: `saint-lucia` → "Saint Lucia". */
export const countryName = (slug) =>
  has(`country.${slug}`)
    ? t(`country.${slug}`)
    : slug
        .split('-')
        .map((word, i) => (i > 0 && ['and', 'of', 'the'].includes(word) ? word : word[0].toUpperCase() + word.slice(1)))
        .join(' ');

/**
 * A figure as shown, with its precision in words, linked to the events and
 * source documents behind it (the event log, filtered: auditors and recorders).
 */
function figure(value, attributes = {}, filter) {
  const text = figureText(value);
  const words = figureWords(value);
  if (!filter) return h('span', { ...attributes, title: words, 'aria-label': words }, text);
  return h(
    'a',
    {
      ...attributes,
      class: `figure ${attributes.class ?? ''}`.trim(),
      href: '#',
      title: `${words} — ${t('figure.sourceLink')}`,
      'aria-label': `${words}. ${t('figure.sourceLink')}`,
      'data-filter': JSON.stringify(filter),
    },
    text,
  );
}

/** A bar of `share` percent; its width is set through the CSSOM, which the page's CSP allows (no inline style). */
function progress(share, label) {
  const fill = h('span', {});
  fill.style.width = `${share.toFixed(1)}%`;
  return h('div', { class: 'bar', role: 'img', 'aria-label': label }, fill);
}

const onHandOf = (total) => ({ quantity: total.onHand, ...total.onHandBounds });
const inTransitOf = (total) => ({ quantity: total.inTransit, ...total.inTransitBounds });

export function overview(inventory, personnel) {
  const totals = [...inventory.totals].sort(byCategory);
  const share = Math.min(100, (personnel.deployed / personnel.authorisedStrength) * 100);
  return h(
    'div',
    {},
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'personnel-head' },
      h('h2', { id: 'personnel-head' }, t('overview.personnel')),
      h(
        'div',
        { class: 'personnel-head' },
        h(
          'p',
          { class: 'big' },
          figure(
            {
              quantity: personnel.deployed,
              precision: personnel.precision,
              lower: personnel.lower,
              upper: personnel.upper,
            },
            { 'data-figure': 'personnel-deployed' },
          ),
        ),
        h(
          'p',
          {},
          `${t('overview.authorised')}: `,
          h('strong', { 'data-figure': 'authorised-strength' }, n(personnel.authorisedStrength)),
        ),
      ),
      progress(
        share,
        t('overview.ofAuthorised', {
          deployed: figureText({
            quantity: personnel.deployed,
            precision: personnel.precision,
            lower: personnel.lower,
            upper: personnel.upper,
          }),
          authorised: n(personnel.authorisedStrength),
        }),
      ),
      personnel.sizeNotReported > 0
        ? h('p', { class: 'small' }, t('overview.sizeNotReported', { count: n(personnel.sizeNotReported) }))
        : null,
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'stock-head' },
      h('h2', { id: 'stock-head' }, t('overview.stock')),
      totals.length === 0
        ? h('p', { 'data-empty': 'inventory' }, t('overview.empty'))
        : h(
            'ul',
            { class: 'tiles' },
            totals.map((total) =>
              h(
                'li',
                { class: 'tile' },
                h('h3', {}, t(`category.${total.category}`)),
                h('p', { class: 'small label' }, t('overview.onHand')),
                h(
                  'p',
                  { class: 'big' },
                  figure(
                    onHandOf(total),
                    { 'data-category': total.category, 'data-measure': 'on-hand' },
                    { view: 'holders' },
                  ),
                ),
                h(
                  'p',
                  { class: 'small' },
                  `${t('overview.inTransit')}: `,
                  figure(inTransitOf(total), { 'data-category': total.category, 'data-measure': 'in-transit' }),
                ),
              ),
            ),
          ),
    ),
  );
}

export function holders(inventory) {
  if (inventory.holders.length === 0) return h('p', { class: 'card' }, t('holders.empty'));
  return h(
    'div',
    {},
    h('h2', {}, t('holders.heading')),
    inventory.holders.map((holder) =>
      h(
        'section',
        { class: 'card', 'data-holder-card': holder.holder },
        table(
          holder.name,
          [t('holders.item'), t('holders.category'), { label: t('holders.quantity'), num: true }],
          [...holder.items]
            .sort(byCategory)
            .map((item) =>
              h(
                'tr',
                {},
                h('td', {}, item.name),
                h('td', {}, t(`category.${item.category}`)),
                h(
                  'td',
                  { class: 'num' },
                  figure(
                    item,
                    { 'data-category': item.category, 'data-holder': holder.holder, 'data-item': item.itemType },
                    { view: 'events', item: item.itemType, party: holder.holder },
                  ),
                ),
              ),
            ),
          { captionShown: true },
        ),
      ),
    ),
  );
}

export function personnelView(personnel) {
  // Every figure links to the country's personnel events and their sources (auditors and recorders).
  const behind = (country) => ({ view: 'events', country });
  const deployed = (row, country) =>
    row.sizeReported === false
      ? h('span', { 'data-size': 'not-reported' }, t('personnel.sizeNotReported'))
      : figure(
          {
            quantity: row.deployed ?? row.quantity,
            precision: row.precision,
            lower: row.lower,
            upper: row.upper,
          },
          {},
          behind(country),
        );
  return h(
    'div',
    {},
    h(
      'section',
      { class: 'card' },
      h('h2', {}, t('personnel.forceGeneration', { authorised: n(personnel.authorisedStrength) })),
      personnel.forceGeneration.length === 0
        ? h('p', {}, t('personnel.empty'))
        : table(
            t('personnel.forceGeneration', { authorised: n(personnel.authorisedStrength) }),
            [t('personnel.country'), t('personnel.pledged'), { label: t('personnel.deployed'), num: true }],
            personnel.forceGeneration.map((row) =>
              h(
                'tr',
                { 'data-country': row.country },
                h('th', { scope: 'row' }, countryName(row.country)),
                h(
                  'td',
                  { 'data-pledged': row.country },
                  row.pledged ? figure(row.pledged, {}, behind(row.country)) : null,
                  row.pledged && row.pledgesWithoutSize ? ' + ' : null,
                  row.pledgesWithoutSize ? t('personnel.pledgedNoSize') : null,
                  !row.pledged && !row.pledgesWithoutSize ? t('personnel.notPledged') : null,
                ),
                h(
                  'td',
                  { class: 'num', 'data-deployed': row.country },
                  row.deployed.quantity === 0 ? n(0) : deployed(row.deployed, row.country),
                ),
              ),
            ),
          ),
    ),
    h(
      'section',
      { class: 'card' },
      h('h2', {}, t('personnel.heading')),
      personnel.byCountry.length === 0
        ? h('p', {}, t('personnel.empty'))
        : table(
            t('personnel.heading'),
            [
              t('personnel.country'),
              t('personnel.role'),
              { label: t('personnel.deployed'), num: true },
              { label: t('personnel.arrived'), num: true },
              { label: t('personnel.departed'), num: true },
            ],
            personnel.byCountry.map((row) =>
              h(
                'tr',
                {},
                h('th', { scope: 'row' }, countryName(row.country)),
                h('td', {}, t(`role.${row.role}`)),
                h('td', { class: 'num' }, deployed(row, row.country)),
                h('td', { class: 'num' }, row.sizeReported === false ? '—' : n(row.arrived)),
                h('td', { class: 'num' }, n(row.departed)),
              ),
            ),
          ),
    ),
  );
}

export function shipments(answer) {
  if (answer.shipments.length === 0) return h('p', { class: 'card' }, t('shipments.empty'));
  return h(
    'section',
    { class: 'card' },
    h('h2', {}, t('shipments.heading')),
    table(
      t('shipments.heading'),
      [
        t('shipments.id'),
        t('shipments.route'),
        t('shipments.status'),
        t('shipments.dispatched'),
        t('shipments.leadTime'),
        t('shipments.lines'),
      ],
      answer.shipments.map((s) =>
        h(
          'tr',
          { 'data-shipment': s.shipmentId },
          h('th', { scope: 'row' }, s.shipmentId),
          h('td', {}, `${s.from} → ${s.to}`),
          h('td', {}, t(`status.${s.status}`)),
          h('td', {}, formatDate(s.dispatchedAt)),
          h('td', {}, s.leadTimeDays === null ? '—' : t('shipments.days', { days: n(s.leadTimeDays) })),
          h(
            'td',
            {},
            s.lines.map((line) =>
              h(
                'div',
                {},
                `${line.itemType}: `,
                figure({ quantity: line.received, ...line.receivedBounds }),
                ' / ',
                figure({ quantity: line.dispatched, ...line.dispatchedBounds }),
                line.short > 0
                  ? h('span', { class: 'note' }, ` (${t('shipments.short', { short: n(line.short) })})`)
                  : null,
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

export function donors(answer) {
  if (answer.donors.length === 0) return h('p', { class: 'card' }, t('donors.empty'));
  const measures = ['pledged', 'dispatched', 'delivered', 'writtenOff'];
  return h(
    'section',
    { class: 'card' },
    h('h2', {}, t('donors.heading')),
    table(
      t('donors.heading'),
      [t('donors.donor'), t('donors.category'), ...measures.map((m) => ({ label: t(`donors.${m}`), num: true }))],
      answer.donors.flatMap((donor) =>
        donor.byCategory.map((row) =>
          h(
            'tr',
            { 'data-donor': donor.donor },
            h('th', { scope: 'row' }, donor.name),
            h('td', {}, t(`category.${row.category}`)),
            measures.map((m) =>
              h(
                'td',
                { class: 'num' },
                figure(
                  { ...row.measures[m], unit: row.category === 'funds' ? 'usd' : undefined },
                  { 'data-measure': m },
                  { view: 'events', party: donor.donor },
                ),
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

export function custody(result, serial) {
  if (!result) return null;
  if (result.notFound) return h('p', { role: 'alert' }, t('custody.notFound', { serial }));
  return h(
    'div',
    {},
    h('p', {}, t('custody.current', { holder: result.holder ?? '—' })),
    table(
      serial,
      [t('custody.holder'), t('custody.from'), t('custody.until'), t('custody.event')],
      result.chain.map((link) =>
        h(
          'tr',
          {},
          h('td', {}, link.holder),
          h('td', {}, formatDate(link.from)),
          h('td', {}, link.until ? formatDate(link.until) : t('custody.untilNow')),
          h('td', {}, `${link.eventType} #${link.position}`),
        ),
      ),
    ),
  );
}

export function events(answer) {
  if (answer.forbidden) return h('p', { class: 'card', 'data-forbidden': 'events' }, t('events.forbidden'));
  if (answer.events.length === 0) return h('p', { class: 'card' }, t('events.empty'));
  return table(
    t('events.heading'),
    [{ label: t('events.position'), num: true }, t('events.type'), t('events.occurred'), t('events.source')],
    answer.events.map((event) =>
      h(
        'tr',
        { 'data-position': event.globalPosition },
        h('td', { class: 'num' }, n(event.globalPosition)),
        h('td', {}, event.type),
        h('td', {}, formatDate(event.occurredAt)),
        h(
          'td',
          {},
          event.metadata?.source?.document ?? '—',
          event.metadata?.source?.reference ? ` (${event.metadata.source.reference})` : '',
        ),
      ),
    ),
  );
}
