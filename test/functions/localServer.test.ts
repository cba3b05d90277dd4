import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack } from '../support/localStack.ts';

let stack: Awaited<ReturnType<typeof startTestStack>>;
beforeAll(async () => {
  stack = await startTestStack({ requestTimeoutMs: 1_000 });
});
afterAll(async () => {
  await stack?.stop();
});

/** Sends `request` on a raw socket and resolves with everything the server sends until it closes the connection. */
function exchange(request: string): Promise<string> {
  const { port, hostname } = new URL(stack.apiUrl);
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = connect(Number(port), hostname, () => socket.write(request));
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

describe('the local HTTP server', () => {
  it('answers 408 and closes the connection when a request sends less body than its Content-Length', async () => {
    const answer = await exchange(
      'POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"texts": [',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect((await fetch(`${stack.apiUrl}/health`)).status).toBe(200);
  });

  it('answers 408 and closes the connection when the headers never end', async () => {
    const answer = await exchange('GET /health HTTP/1.1\r\nHost: x\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  });
});

describe('stopping the local stack', () => {
  it('closes a connection whose request is still arriving instead of waiting for the client', async () => {
    // A request timeout far beyond the test's: only stop() itself can end this connection in time.
    const other = await startTestStack({ requestTimeoutMs: 3_600_000 });
    const { port, hostname } = new URL(other.apiUrl);
    const socket = connect(Number(port), hostname);
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const started = new Promise<void>((resolve) =>
      socket.write('GET /health HTTP/1.1\r\nHost: x\r\n', () => resolve()),
    );
    await started;
    await fetch(`${other.apiUrl}/health`); // the server has read the half request by the time it answers this one

    await other.stop();
    await closed;

    expect(socket.destroyed).toBe(true);
  });
});
