'use strict';
// The built addon (see build.mjs / binding.gyp). Throws when it was not built: callers load it
// inside try/catch and fall back to the wasm kernels.
const path = require('node:path');

module.exports = require(path.join(__dirname, 'build', 'Release', 'pretrain_lab_native.node'));
