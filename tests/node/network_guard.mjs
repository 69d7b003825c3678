// The network guard both SDK scripts import first, so that it is in place before either SDK
// loads: every connection the process opens is recorded (and refused unless to 127.0.0.1),
// and so is every DNS lookup (all refused: the URLs are literals, so none should happen).
// The scripts print `network`; tests/with_servers/test_sdk_node.py asserts both lists.

import dns from 'node:dns';
import net from 'node:net';
import tls from 'node:tls';

export const network = { connections: [], lookups: [] };

function guardLookup(promised) {
  return function lookup(hostname, ...rest) {
    network.lookups.push(String(hostname));
    const callback = rest[rest.length - 1];
    const error = Object.assign(new Error(`DNS lookup of ${hostname} refused by the test`),
                                { code: 'ENOTFOUND' });
    if (typeof callback === 'function') {
      process.nextTick(callback, error);
      return undefined;
    }
    return promised ? Promise.reject(error) : undefined;
  };
}
dns.lookup = guardLookup(false);
dns.promises.lookup = guardLookup(true);

function guardConnect(module, name, label) {
  const original = module[name];
  module[name] = function connect(...args) {
    const options = typeof args[0] === 'object' && args[0] !== null ? args[0]
      : { port: args[0], host: typeof args[1] === 'string' ? args[1] : undefined };
    const host = options.host ?? options.hostname ?? 'localhost';
    const where = `${label} ${host}:${options.port}`;
    if (!network.connections.includes(where)) network.connections.push(where);
    if (host !== '127.0.0.1') throw new Error(`connection to ${host} refused by the test`);
    return original.apply(this, args);
  };
}
guardConnect(net, 'connect', 'net.connect');
guardConnect(net, 'createConnection', 'net.createConnection');
guardConnect(tls, 'connect', 'tls.connect');
