export * from './outcome.js';
export * from './select.js';
export * from './tenant-list.js';
export * from './pool.js';
