/**
 * Whether this host stores numbers little-endian, as every Lambda architecture does. The model's binary files are
 * written little-endian and read through typed-array views, which use the host's order. Found from a typed array, so
 * the bundles that read model files need not load `node:os` for it at every cold start.
 */
export const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
