// Jest's global setup runs outside Jest's module registry, so the moduleNameMapper that maps
// our ESM-style `./file.js` imports to `./file.ts` does not apply there. This does the same
// for that one entry point.
const Module = require('node:module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  try {
    return resolve.call(this, request, parent, ...rest);
  } catch (err) {
    if (request.startsWith('.') && request.endsWith('.js')) {
      return resolve.call(this, request.slice(0, -3), parent, ...rest);
    }
    throw err;
  }
};
