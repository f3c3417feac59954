/** Turns an Authorization header into a Principal for the route's requirement, or a 401. */
import { unauthorized } from '../http/errors.ts';
import type { AuthRequirement, Principal, WidgetVisitor } from '../http/route.ts';
import type { ApiKeyAuthenticator } from './api-key-auth.ts';
import type { AuthService } from './auth-service.ts';

export function bearerToken(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const m = /^Bearer[ ]+([^ ]+)[ ]*$/i.exec(authorization);
  return m?.[1];
}

/** Checks a website visitor's token (control/widget/visitor-token.ts); throws a 401 HttpError. */
export type VisitorTokenCheck = (token: string | undefined) => WidgetVisitor;

export function createAuthenticator(auth: AuthService, apiKeys: ApiKeyAuthenticator, visitors?: VisitorTokenCheck) {
  return async (requirement: AuthRequirement, authorization: string | undefined): Promise<Principal> => {
    if (requirement.kind === 'public') return { kind: 'anonymous' };
    const token = bearerToken(authorization);
    if (requirement.kind === 'widget_visitor') {
      if (!visitors) throw unauthorized();
      return { kind: 'widget_visitor', visitor: visitors(token) };
    }
    if (requirement.kind === 'api_key') return { kind: 'api_key', key: await apiKeys.authenticate(token) };
    if (!token) throw unauthorized();
    const { user, sid } = await auth.authenticate(token);
    return { kind: 'user', user, sid };
  };
}
