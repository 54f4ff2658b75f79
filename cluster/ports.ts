/**
 * Free ports on 127.0.0.1 for the services a run starts. Tried at random below Linux's ephemeral
 * range (32768 and up by default): a port the OS hands out for outgoing connections can be grabbed
 * by one between choosing and binding it. Random, so two runs at once rarely try the same ports;
 * get-port falls back to any free port.
 */
import getPort from 'get-port';

/** Chooses a free port for the named purpose ("proxy", "hub", …). Drivers take one, so their tests can give another. */
export type PortPicker = (purpose: string) => Promise<number>;

export const freePort: PortPicker = async () => {
  const candidates = Array.from({ length: 32 }, () => 20000 + Math.floor(Math.random() * 12000));
  return getPort({ host: '127.0.0.1', port: candidates });
};
