import { renderToString } from 'react-dom/server';
import { afterEach, expect, it } from 'vitest';
import { AdaptiveAudioPlayer, useAdaptiveStreaming, useWebSocket } from '../../../src/react/index.js';

/** The browser globals a server render must not touch: each throws while the test renders. */
const BROWSER_GLOBALS = ['window', 'document', 'navigator', 'location', 'WebSocket', 'fetch', 'localStorage'] as const;
const saved = new Map<string, PropertyDescriptor | undefined>();

function forbidBrowserGlobals(): void {
  for (const name of BROWSER_GLOBALS) {
    saved.set(name, Object.getOwnPropertyDescriptor(globalThis, name));
    Object.defineProperty(globalThis, name, {
      configurable: true,
      get() {
        throw new Error(`${name} was touched during a server render`);
      },
    });
  }
}

afterEach(() => {
  for (const [name, descriptor] of saved) {
    if (descriptor) Object.defineProperty(globalThis, name, descriptor);
    else delete (globalThis as Record<string, unknown>)[name];
  }
  saved.clear();
});

function HooksOnly() {
  const socket = useWebSocket();
  const streaming = useAdaptiveStreaming();
  return (
    <p>
      {[socket.connectionStatus, streaming.connectionStatus, String(streaming.currentQuality), streaming.bufferHealth, String(streaming.isAdaptive), streaming.getHLSMasterPlaylist('groove')].join(' ')}
    </p>
  );
}

it('renders on a server without touching a browser global, in the initial state', () => {
  forbidBrowserGlobals();
  expect(renderToString(<HooksOnly />)).toBe('<p>disconnected disconnected null 0 true /hls/groove/master.m3u8</p>');
  const html = renderToString(<AdaptiveAudioPlayer trackId="groove" userId="ssr" />);
  expect(html).toContain('<audio preload="none">');
  expect(html).toContain('WebSocket: <!-- -->disconnected');
  expect(html).toContain('>Play</button>');
});
