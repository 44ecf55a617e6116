/**
 * What the web host injects into index.html before the renderer's scripts: the stand-in for
 * preload, setting `window.diskferry` from the page URL's token.
 */
import { createWebSocketApi } from './client.js';

(globalThis as { diskferry?: unknown }).diskferry = createWebSocketApi();
