/**
 * Injected into the page's bundle (esbuild `inject`): csv-parse's parser works on Node's global `Buffer`, which a
 * browser lacks; the `buffer` package is the same API in plain JavaScript.
 */
export { Buffer } from 'buffer';
