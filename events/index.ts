export * from './values.js';
export * from './catalogue.js';
export * from './envelope.js';
export * from './upcast.js';
export * from './instant.js';
