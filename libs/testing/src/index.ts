export { startRiser, type RiserFactory, type RiserTestApp, type StartRiserOptions } from './start-riser.js';
export { createTestDatabase, testServerUrl } from './test-database.js';
export { tokenFactory, type TokenClaims } from './tokens.js';
export { openSse, frameData, SseParser, type SseFrame, type SseResponse } from './sse-client.js';
export { jsonClient, bearer, type JsonResponse } from './http-client.js';
export { connectChat, request, runMessages, nextEvent, type Socket } from './socket-client.js';
export { connectChatWs, type ChatWsClient, type ChatWsOptions, type WsFrame } from './chat-ws-client.js';
