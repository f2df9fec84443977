export * from './constants.js';
export * from './errors.js';
export * from './frame.js';
export * from './decoder.js';
export * from './batch.js';
export * from './flushing-batch.js';
export * from './datagram.js';
export * from './payloads.js';
