// Module resolution hooks for the load check: `electron` resolves to the stub, every module the
// packed app loads is reported, and a module the app resolves outside its own folder is an error
// (it would be missing in the installed app).
let appRoot = '';
let stubUrl = '';
let port = null;

export function initialize(data) {
  appRoot = data.appRootUrl;
  stubUrl = data.stubUrl;
  port = data.port;
  // A ping is answered after every report sent before it (a port keeps its order).
  port.on('message', (m) => port.postMessage({ pong: m.ping }));
  port.unref();
}

export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'electron') return { url: stubUrl, shortCircuit: true };
  const result = await nextResolve(specifier, context);
  const fromApp = context.parentURL?.startsWith(appRoot) ?? false;
  if (fromApp && result.url.startsWith('file:') && !result.url.startsWith(appRoot)) {
    throw new Error(`'${specifier}' imported by ${context.parentURL.slice(appRoot.length)} resolves outside the packed app, to ${result.url}`);
  }
  if (result.url.startsWith(appRoot)) port.postMessage(result.url.slice(appRoot.length));
  return result;
}
