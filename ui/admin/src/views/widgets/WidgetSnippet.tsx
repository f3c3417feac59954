/**
 * The embedding snippet of one widget instance (docs/channels.md, "Embedding"): the script from
 * this gateway's address with the instance's public id, ready to copy into a site's HTML.
 */
import { createSignal } from 'solid-js';
import { t } from '../../i18n/index.ts';
import type { Widget } from '../Widgets.tsx';

/** The admin UI is served by the gateway itself, so its origin is the address the script lives at. */
export const snippetFor = (publicId: string, origin = location.origin) => `<script src="${origin}/widget.js" data-widget="${publicId}" async></script>`;

export function WidgetSnippet(props: { widget: Widget; onClose: () => void }) {
  const [copied, setCopied] = createSignal<'yes' | 'no' | null>(null);
  let box: HTMLTextAreaElement | undefined;
  const copy = async () => {
    box?.select();
    try {
      await navigator.clipboard.writeText(snippetFor(props.widget.public_id));
      setCopied('yes');
    } catch {
      // No clipboard permission (or plain http off loopback): the text is selected for Ctrl+C.
      setCopied('no');
    }
  };
  return (
    <div class="card" data-testid="widget-snippet">
      <h2 id="snippet-title">{t('wg.snippetFor', { name: props.widget.name })}</h2>
      <p class="muted">{t('wg.snippetHelp', { origins: props.widget.allowed_origins.join(', ') })}</p>
      <label>
        {t('wg.snippet')}
        <textarea ref={box} readonly rows={3} name="snippet" value={snippetFor(props.widget.public_id)} onFocus={(e) => e.currentTarget.select()} />
      </label>
      <div class="actions">
        <button type="button" class="primary" onClick={() => void copy()}>
          {t('wg.copy')}
        </button>
        <button type="button" onClick={() => props.onClose()}>
          {t('wg.close')}
        </button>
        <span role="status" class="muted">
          {copied() === 'yes' ? t('wg.copied') : copied() === 'no' ? t('wg.copyByHand') : ''}
        </span>
      </div>
    </div>
  );
}
