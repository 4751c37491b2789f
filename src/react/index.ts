/**
 * `hlsaudio/react`: the specification's React hooks and component on hlsaudio/client. React 18 or
 * 19 (an optional peer dependency of hlsaudio). SSR-safe: nothing touches window, document or
 * navigator until an effect or a ref runs in the browser.
 */
export { useWebSocket, type UseWebSocketResult } from './use-web-socket.js';
export { useAdaptiveStreaming, type UseAdaptiveStreamingResult } from './use-adaptive-streaming.js';
export { AdaptiveAudioPlayer, type AdaptiveAudioPlayerProps } from './adaptive-audio-player.js';
export { RealtimeStore, connectionStatusOf, type ConnectionStatus, type RealtimeSnapshot, type RealtimeStoreOptions } from './realtime-store.js';
export { StreamingStore, type AdaptiveStreamingOptions, type AdaptiveStreamingSnapshot } from './streaming-store.js';
