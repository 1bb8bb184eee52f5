/** Builds elements without innerHTML: ledger text is always text, never markup. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** A table in a focusable, labelled region, so a wide table scrolls by keyboard too. */
export function table(caption, headers, rows, { captionShown = false } = {}) {
  return h(
    'div',
    { class: 'scroll', tabindex: 0, role: 'region', 'aria-label': caption },
    h(
      'table',
      {},
      // Most tables sit under a heading that says the same: their caption is for screen readers only.
      h('caption', { class: captionShown ? undefined : 'visually-hidden' }, caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          headers.map((x) => h('th', { scope: 'col', class: x.num ? 'num' : undefined }, x.label ?? x)),
        ),
      ),
      h('tbody', {}, rows),
    ),
  );
}
