export * from './outcome.js';
export * from './select.js';
export * from './tenant-list.js';
export * from './pool.js';
export * from './version-counts.js';
