/** Turns an Authorization header into a Principal for the route's requirement, or a 401. */
import { unauthorized } from '../http/errors.ts';
import type { AuthRequirement, Principal } from '../http/route.ts';
import type { ApiKeyAuthenticator } from './api-key-auth.ts';
import type { AuthService } from './auth-service.ts';

export function bearerToken(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const m = /^Bearer[ ]+([^ ]+)[ ]*$/i.exec(authorization);
  return m?.[1];
}

export function createAuthenticator(auth: AuthService, apiKeys: ApiKeyAuthenticator) {
  return async (requirement: AuthRequirement, authorization: string | undefined): Promise<Principal> => {
    if (requirement.kind === 'public') return { kind: 'anonymous' };
    const token = bearerToken(authorization);
    if (requirement.kind === 'api_key') return { kind: 'api_key', key: await apiKeys.authenticate(token) };
    if (!token) throw unauthorized();
    const { user, sid } = await auth.authenticate(token);
    return { kind: 'user', user, sid };
  };
}
