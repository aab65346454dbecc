// Preloaded into the Kinesis emulators (node -r):
// neither emulator can be told to bind to loopback, so any listen() on all interfaces is turned
// into a listen() on 127.0.0.1. Tests must never be reachable from the network.
'use strict';
const net = require('net');
const listen = net.Server.prototype.listen;
const anyHost = (h) => h === undefined || h === null || h === '' || h === '0.0.0.0' || h === '::';
net.Server.prototype.listen = function patchedListen(...args) {
  const first = args[0];
  if (first !== null && typeof first === 'object' && !Array.isArray(first)) {
    if (first.path === undefined && anyHost(first.host)) args[0] = { ...first, host: '127.0.0.1' };
  } else if (typeof first === 'number' || /^\d+$/.test(String(first))) {
    if (typeof args[1] === 'string') {
      if (anyHost(args[1])) args[1] = '127.0.0.1';
    } else {
      args.splice(1, 0, '127.0.0.1');
    }
  }
  return listen.apply(this, args);
};
