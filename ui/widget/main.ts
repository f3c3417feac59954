/**
 * The website widget, as a site embeds it:
 *   <script src="https://gw.example/widget.js" data-widget="wg_..." async></script>
 * It reads its instance id from its own tag and the gateway's address from its src, and puts a
 * launcher and a chat panel in a shadow root on the page (no styles cross either way). The gateway
 * bundles this folder on first request (gateway/http/widget-script.ts); nothing here runs on the
 * server.
 */
import { VisitorApi } from './api.ts';
import { ChatWidget } from './chat-widget.ts';

function boot(script: HTMLScriptElement): void {
  const widget = script.dataset.widget;
  if (!widget) {
    console.warn('voice-gateway widget: the script tag has no data-widget="wg_..." attribute');
    return;
  }
  const gateway = new URL(script.src, location.href).origin;
  const mount = () => {
    const host = document.createElement('div');
    host.setAttribute('data-voice-gateway-widget', widget);
    document.body.appendChild(host);
    const root = host.attachShadow({ mode: 'open' });
    const chat = new ChatWidget(root, new VisitorApi(gateway, widget), () => document.documentElement.lang || navigator.language || '');
    void chat.start();
  };
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount, { once: true });
}

// Read now: currentScript is only set while this script first runs.
const self = document.currentScript;
if (self instanceof HTMLScriptElement) boot(self);
