/**
 * The admin UI's softphone: a short-lived token for one voice WebSocket connection, so a browser
 * never holds the gateway-wide VOICE_WS_TOKEN (control/auth/operator-voice-tokens.ts).
 */
import { OPERATOR_VOICE_TOKEN_TTL_S } from '../auth/operator-voice-tokens.ts';
import { unauthorized } from '../http/errors.ts';
import { json, route, type RouteDef } from '../http/route.ts';
import type { ControlServices } from '../services.ts';

export function voiceTokenRoutes(s: ControlServices): RouteDef[] {
  return [
    route({
      method: 'POST',
      path: '/admin/voice/token',
      summary: `A voice WebSocket token for the signed-in operator: one connection, within ${OPERATOR_VOICE_TOKEN_TTL_S} s`,
      tag: 'voice',
      auth: { kind: 'user', role: 'operator' },
      audit: 'voice.token',
      async handler(ctx) {
        if (ctx.principal.kind !== 'user') throw unauthorized();
        const { user } = ctx.principal;
        const { token, expiresAt } = s.voiceTokens.mint({ userId: user.id, username: user.username });
        ctx.audit.target = `user:${user.id}`;
        return json({ token, expires_at: expiresAt.toISOString(), expires_in: OPERATOR_VOICE_TOKEN_TTL_S, path: s.voicePath, subprotocol: 'voice.v1' });
      },
    }),
  ];
}
