/**
 * The transport errors of the SocketDispatcher, with undici's codes (`UND_ERR_…`): the error mapping
 * (net-errors.ts, connection.ts) reads a code, not a class, so a failure says the same whichever
 * dispatcher carried the request. Our own classes keep undici out of the data plane's module graph:
 * loading it and compiling its WASM parser cost ~45 MiB of peak memory (docs/benchmarks.md).
 */
class CodedError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A request the dispatcher refuses to send (bad method, path, field or body). */
export class InvalidArgumentError extends CodedError {
  constructor(message: string) {
    super(message, 'UND_ERR_INVALID_ARG');
  }
}

/** The connection failed or closed under a request. */
export class SocketError extends CodedError {
  constructor(message: string) {
    super(message, 'UND_ERR_SOCKET');
  }
}

export class ConnectTimeoutError extends CodedError {
  constructor(message: string) {
    super(message, 'UND_ERR_CONNECT_TIMEOUT');
  }
}

export class HeadersTimeoutError extends CodedError {
  constructor(message: string) {
    super(message, 'UND_ERR_HEADERS_TIMEOUT');
  }
}

export class BodyTimeoutError extends CodedError {
  constructor(message: string) {
    super(message, 'UND_ERR_BODY_TIMEOUT');
  }
}

/** The dispatcher was closed. */
export class ClientDestroyedError extends CodedError {
  constructor(message: string) {
    super(message, 'UND_ERR_DESTROYED');
  }
}
