// The On-Premises API client, for migration only: log in with the admin credentials, then create a
// backup (reference §5). Errors never include the credentials, the token or the backup data.
import axios, { type AxiosResponse } from 'axios';
import { z } from 'zod';
import { GraphErrorType } from '../domain/graph-errors';
import { GraphCallError } from './graph-client';

const OnPremErrorType = {
  Auth: GraphErrorType.OnPremAuth,
  Refused: GraphErrorType.OnPremRefused,
  Unavailable: GraphErrorType.OnPremUnavailable,
};

const loginResponse = z.object({ users: z.array(z.object({ token: z.string().min(1) })).min(1) });
const backupResponse = z.object({ settings: z.object({ data: z.string().min(1) }) });
const errorResponse = z.object({
  errors: z.array(z.object({ code: z.number().optional(), title: z.string().optional() })),
});

export interface OnPremBackupRequest {
  url: string;
  username: string;
  password: string;
  backupPassword: string;
  timeoutMs: number;
  /** Aborts a call in flight: the activity's cancellation, or the worker shutting down. */
  signal?: AbortSignal;
}

function failure(what: string, res: AxiosResponse): GraphCallError {
  const parsed = errorResponse.safeParse(res.data);
  const title = parsed.success ? parsed.data.errors[0]?.title : undefined;
  const type =
    res.status === 401
      ? OnPremErrorType.Auth
      : res.status >= 500
        ? OnPremErrorType.Unavailable
        : OnPremErrorType.Refused;
  return new GraphCallError(
    `On-Prem ${what}: HTTP ${res.status}${title ? ` (${title})` : ''}`,
    type,
    type === OnPremErrorType.Unavailable,
    { httpStatus: res.status },
  );
}

export async function createOnPremBackup(request: OnPremBackupRequest): Promise<string> {
  const http = axios.create({
    baseURL: request.url.replace(/\/$/, ''),
    timeout: request.timeoutMs,
    validateStatus: () => true,
  });
  const call = async (what: string, fn: () => Promise<AxiosResponse>) => {
    try {
      return await fn();
    } catch (err) {
      // Aborted on purpose: the caller's reason (the activity's CancelledFailure), not "not reachable".
      if (request.signal?.aborted) throw request.signal.reason;
      const code = axios.isAxiosError(err) ? err.code : undefined;
      throw new GraphCallError(
        `On-Prem ${what}: not reachable (${code ?? 'network error'})`,
        OnPremErrorType.Unavailable,
        true,
        {},
      );
    }
  };
  const login = await call('login', () =>
    http.post('/v1/users/login', undefined, {
      auth: { username: request.username, password: request.password },
      signal: request.signal,
    }),
  );
  if (login.status !== 200) throw failure('login', login);
  const token = loginResponse.safeParse(login.data);
  if (!token.success)
    throw new GraphCallError('On-Prem login: unexpected answer', OnPremErrorType.Refused, false, {});
  const backup = await call('backup', () =>
    http.post(
      '/v1/settings/backup',
      { password: request.backupPassword },
      { headers: { Authorization: `Bearer ${token.data.users[0]!.token}` }, signal: request.signal },
    ),
  );
  if (backup.status !== 200) throw failure('backup', backup);
  const data = backupResponse.safeParse(backup.data);
  if (!data.success)
    throw new GraphCallError('On-Prem backup: unexpected answer', OnPremErrorType.Refused, false, {});
  return data.data.settings.data;
}
