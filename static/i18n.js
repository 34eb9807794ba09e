// i18n.js: the page's language, and the one way a module picks its strings.
// Each module keeps every user-visible string in one table per language
// ({en: {...}, zh: {...}}, the same keys in both); pick returns the page's.
// Protocol terms stay as ZooKeeper spells them in both (zxid, PROPOSAL,
// DIFF, LOOKING); the Chinese follows ../shared/glossary-zh.md.

// lang is 'zh' on a page whose <html lang> starts with zh, else 'en'.
export function lang() {
  return (document.documentElement.lang || 'en').toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

// pick returns the table of the page's language (English when it has none).
export function pick(tables) {
  return tables[lang()] || tables.en;
}
