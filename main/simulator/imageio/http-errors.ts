/** An error answered as imageio does: plain text `<message>\n`, optionally with `content-range`. */
export class HttpError extends Error {
  readonly status: number;
  readonly contentRange: string | undefined;

  constructor(status: number, message: string, contentRange?: string) {
    super(message);
    this.status = status;
    this.contentRange = contentRange;
  }
}

/** auth.py AuthorizationError: becomes 403 and, in most handlers, closes the connection. */
export class AuthorizationError extends Error {
  constructor(reason: string) {
    super(`You are not allowed to access this resource: ${reason}`);
  }
}

/** The client went away or the connection was destroyed on purpose: nothing more can be sent. */
export class ConnectionLost extends Error {}

/** The message imageio uses to mask internal errors. */
export const SERVER_FAILED = 'Server failed to perform the request, check logs';

/** Reason phrases of Python's http.server for the statuses imageio sends. */
export const REASONS: Readonly<Record<number, string>> = {
  100: 'Continue',
  200: 'OK',
  204: 'No Content',
  206: 'Partial Content',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  414: 'Request-URI Too Long',
  416: 'Requested Range Not Satisfiable',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  505: 'HTTP Version Not Supported',
};

/** 416 when a range goes past the ticket (validate.py::allowed_range). */
export function checkAllowedRange(offset: number, size: number, ticketSize: number): void {
  if (offset + size > ticketSize) {
    throw new HttpError(416, 'Requested range out of allowed range', `bytes */${ticketSize}`);
  }
}

/** 416 when a range goes past min(ticket, image) (validate.py::available_range). */
export function checkAvailableRange(offset: number, size: number, ticketSize: number, backendSize: number): void {
  const requested = offset + size;
  const available = Math.min(ticketSize, backendSize);
  if (requested > available) {
    throw new HttpError(416, `Requested more bytes than available: ${requested} > ${available}`, `bytes */${available}`);
  }
}
