/**
 * Why a website visitor is refused, as the widget service says it; the visitor routes turn these
 * into HTTP answers (visitor-routes.ts `visitorHttpError`), and the widget shows each in words.
 */
export type WidgetRefusalReason =
  /** No Origin header: the visitor API is for pages in browsers, which always send one. */
  | 'origin_required'
  | 'widget_not_found'
  | 'widget_disabled'
  | 'origin_not_allowed'
  /** The visitor's chat session is gone (erased, deleted by an admin): start a new one. */
  | 'session_gone'
  | 'voice_disabled'
  /** Every voice line this instance may use on this gateway is taken (WIDGET_VOICE_CALLS). */
  | 'voice_busy';

export class WidgetRefusedError extends Error {
  override name = 'WidgetRefusedError';
  constructor(
    readonly reason: WidgetRefusalReason,
    message: string,
  ) {
    super(message);
  }
}

export class VisitorRateLimitedError extends Error {
  override name = 'VisitorRateLimitedError';
  constructor(readonly retryAfterS: number) {
    super('too many messages; wait a moment');
  }
}
