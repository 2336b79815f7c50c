/** RFC 9457 problem details as the backend sends them (`application/problem+json`). */
export interface ProblemDetails {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  instance?: string;
  [extra: string]: unknown;
}

export type FieldErrors = Record<string, string[]>;

/** An HTTP answer outside 2xx, or a network failure (status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail?: string;
  readonly problem?: ProblemDetails;
  readonly fieldErrors: FieldErrors;
  readonly retryAfterSeconds?: number;

  constructor(init: {
    status: number;
    title: string;
    detail?: string;
    problem?: ProblemDetails;
    fieldErrors?: FieldErrors;
    retryAfterSeconds?: number;
    cause?: unknown;
  }) {
    super(init.detail ? `${init.title}: ${init.detail}` : init.title, { cause: init.cause });
    this.name = 'ApiError';
    this.status = init.status;
    this.title = init.title;
    this.detail = init.detail;
    this.problem = init.problem;
    this.fieldErrors = init.fieldErrors ?? {};
    this.retryAfterSeconds = init.retryAfterSeconds;
  }

  get isNetwork(): boolean {
    return this.status === 0;
  }
  get isUnauthorized(): boolean {
    return this.status === 401;
  }
  get isForbidden(): boolean {
    return this.status === 403;
  }
  get isNotFound(): boolean {
    return this.status === 404;
  }
  get isConflict(): boolean {
    return this.status === 409;
  }
  get isValidation(): boolean {
    return this.status === 422;
  }
  get isRateLimited(): boolean {
    return this.status === 429;
  }
  /** Sentence for people: the problem's detail when it has one, else its title. */
  get userMessage(): string {
    if (this.isNetwork) return 'The server could not be reached. Check your connection and try again.';
    if (this.isRateLimited) {
      return this.retryAfterSeconds
        ? `Too many requests. Please wait ${this.retryAfterSeconds} s and try again.`
        : 'Too many requests. Please wait a moment and try again.';
    }
    if (this.detail) return this.detail;
    if (this.status >= 500) return 'The server could not complete the request. Please try again in a moment.';
    return this.title;
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}

const STATUS_TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Not signed in',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  422: 'Invalid input',
  429: 'Too many requests',
  500: 'Server error',
  502: 'Bad gateway',
  503: 'Service unavailable',
  504: 'Gateway timeout',
};

export function statusTitle(status: number): string {
  return STATUS_TITLES[status] ?? `HTTP ${status}`;
}

function push(out: FieldErrors, field: unknown, message: unknown) {
  if (typeof field !== 'string' || !field) return;
  const msg = typeof message === 'string' && message ? message : 'is invalid';
  (out[field] ??= []).push(msg);
}

/**
 * Field errors of a 422. The contract says only "listing each field", so accept the usual shapes:
 * `errors: [{field|name|pointer, message|reason|detail}]`, `errors: {field: msg | [msg]}`,
 * `invalid-params`/`invalidParams: [{name, reason}]`, `fieldErrors: {…}|[…]`.
 */
export function extractFieldErrors(problem: ProblemDetails | undefined): FieldErrors {
  const out: FieldErrors = {};
  if (!problem || typeof problem !== 'object') return out;
  const candidates = [
    problem.errors,
    problem['invalid-params'],
    problem.invalidParams,
    problem.fieldErrors,
    problem.field_errors,
    problem.violations,
  ];
  for (const c of candidates) {
    if (Array.isArray(c)) {
      for (const e of c) {
        if (!e || typeof e !== 'object') continue;
        const r = e as Record<string, unknown>;
        let field = r.field ?? r.name ?? r.property ?? r.path ?? r.pointer;
        if (typeof field === 'string' && field.startsWith('/')) field = field.slice(1).replace(/\//g, '.');
        push(out, field, r.message ?? r.reason ?? r.detail ?? r.msg);
      }
    } else if (c && typeof c === 'object') {
      for (const [field, v] of Object.entries(c as Record<string, unknown>)) {
        if (Array.isArray(v)) {
          for (const m of v) push(out, field, typeof m === 'object' && m ? (m as { message?: string }).message : m);
        } else if (v && typeof v === 'object') {
          push(out, field, (v as { message?: string }).message);
        } else {
          push(out, field, v);
        }
      }
    }
  }
  return out;
}

/** Turn a non-2xx Response into an ApiError, reading problem+json (or any JSON) when present. */
export async function errorFromResponse(res: Response): Promise<ApiError> {
  let problem: ProblemDetails | undefined;
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('json')) {
    try {
      const body: unknown = await res.json();
      if (body && typeof body === 'object' && !Array.isArray(body)) problem = body as ProblemDetails;
    } catch {
      /* an unreadable body keeps the status-derived title */
    }
  }
  const status = typeof problem?.status === 'number' ? problem.status : res.status;
  const retry = res.headers.get('retry-after');
  const retryAfterSeconds = retry && /^\d+$/.test(retry) ? Number(retry) : undefined;
  const title =
    (typeof problem?.title === 'string' && problem.title) ||
    (typeof problem?.error === 'string' && problem.error) ||
    statusTitle(status);
  const detail =
    (typeof problem?.detail === 'string' && problem.detail) ||
    (typeof problem?.message === 'string' && problem.message) ||
    undefined;
  return new ApiError({ status, title, detail, problem, fieldErrors: extractFieldErrors(problem), retryAfterSeconds });
}

/** Messages for a form field, matching `publishedYear`, `published_year`, `book.publishedYear`… */
export function messagesFor(errors: FieldErrors, field: string): string[] {
  const norm = (s: string) => s.split('.').pop()!.replace(/[_-]/g, '').toLowerCase();
  const want = norm(field);
  return Object.entries(errors)
    .filter(([k]) => norm(k) === want)
    .flatMap(([, v]) => v);
}
