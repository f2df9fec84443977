/** Stream mode (docs/protocol.md, "Stream"): constants, codecs and the receiver's accounting. */
export * from './stream/constants.js';
export * from './stream/data.js';
export * from './stream/control.js';
export * from './stream/report.js';
export * from './stream/receiver.js';
