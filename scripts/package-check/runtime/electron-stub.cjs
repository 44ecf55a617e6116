/* global module */
// The `electron` module for require(): the same recorder as electron-stub.mjs.
module.exports = globalThis.__packageCheck.electron;
