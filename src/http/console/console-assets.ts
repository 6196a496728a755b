import { z } from 'zod';

const JS = 'text/javascript; charset=utf-8';

/** Every file the console page loads besides itself, with its content type: nothing else is served. */
export const CONSOLE_ASSETS = {
  'console.css': 'text/css; charset=utf-8',
  'app.js': JS,
  'api.js': JS,
  'session.js': JS,
  'live.js': JS,
  'stream.js': JS,
  'chat.js': JS,
  'approvals.js': JS,
  'thread-view.js': JS,
  'dom.js': JS,
  'socket.io.esm.min.js': JS,
} as const;
export type ConsoleAsset = keyof typeof CONSOLE_ASSETS;

export const consoleAssetParams = z.object({
  asset: z.enum(Object.keys(CONSOLE_ASSETS) as [ConsoleAsset, ...ConsoleAsset[]], { error: 'is not a file of the console' }),
});
