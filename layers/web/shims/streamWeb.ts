/** `node:stream/web` for the page's bundle (csv-parse/stream imports it): the browser's own web streams. */
export const { TransformStream, CountQueuingStrategy } = globalThis;
