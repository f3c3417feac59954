/**
 * The widget's CSS, inside its shadow root. The page's selectors cannot reach in, and ours cannot
 * reach out; what a page could still pass down is inheritance into the host element (`* { color:
 * red !important }` matches the host), so the host resets everything with `all: initial
 * !important`, which wins over the page's important rules (a shadow tree's own important
 * declarations beat the outer ones), and the panel sets its own font and colours.
 */
import type { WidgetConfig } from './api.ts';

export function widgetCss(c: WidgetConfig['colors'], position: WidgetConfig['position']): string {
  const side = position === 'bottom-left' ? 'left' : 'right';
  return `
:host { all: initial !important; display: block !important; position: static !important; }
.root { all: initial; font: 15px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: ${c.text}; }
.root *, .root *::before, .root *::after { box-sizing: border-box; font: inherit; color: inherit; }
.launcher { position: fixed; ${side}: 16px; bottom: 16px; z-index: 2147483000; display: inline-flex; align-items: center; justify-content: center;
  width: 56px; height: 56px; border: 0; border-radius: 50%; background: ${c.primary}; color: ${c.primary_text}; cursor: pointer;
  box-shadow: 0 4px 14px rgba(0,0,0,.25); padding: 0; margin: 0; visibility: visible; opacity: 1; }
.launcher svg { width: 26px; height: 26px; fill: currentColor; }
.launcher:focus-visible, .close:focus-visible, .send:focus-visible, textarea:focus-visible, a:focus-visible { outline: 3px solid ${c.primary}; outline-offset: 2px; }
.panel { position: fixed; ${side}: 16px; bottom: 84px; z-index: 2147483001; display: flex; flex-direction: column;
  width: min(380px, calc(100vw - 16px)); height: min(560px, calc(100vh - 100px)); background: ${c.background}; color: ${c.text};
  border-radius: 12px; box-shadow: 0 8px 32px rgba(0,0,0,.28); overflow: hidden; }
.panel[hidden] { display: none; }
@media (max-width: 480px) { .panel { ${side}: 8px; bottom: 80px; width: calc(100vw - 16px); } }
.head { display: flex; align-items: center; justify-content: space-between; padding: 12px 14px; background: ${c.primary}; color: ${c.primary_text}; }
.head h2 { margin: 0; font-size: 16px; font-weight: 600; }
.close { border: 0; background: transparent; color: ${c.primary_text}; font-size: 22px; line-height: 1; cursor: pointer; padding: 2px 6px; border-radius: 6px; }
.log { flex: 1; overflow-y: auto; padding: 12px; display: flex; flex-direction: column; gap: 8px; }
.msg { max-width: 85%; padding: 8px 11px; border-radius: 12px; white-space: pre-wrap; overflow-wrap: anywhere; }
.msg.assistant { align-self: flex-start; background: rgba(127,127,127,.14); }
.msg.user { align-self: flex-end; background: ${c.primary}; color: ${c.primary_text}; }
.msg a { color: inherit; text-decoration: underline; }
.notice { align-self: stretch; padding: 8px 10px; border-radius: 8px; background: #fdecea; color: #7a1c12; font-size: 14px; }
.form { display: flex; gap: 8px; padding: 10px; border-top: 1px solid rgba(127,127,127,.25); }
textarea { flex: 1; resize: none; min-height: 40px; max-height: 120px; padding: 9px 10px; border: 1px solid rgba(127,127,127,.5); border-radius: 8px;
  background: ${c.background}; color: ${c.text}; }
.send { border: 0; border-radius: 8px; padding: 0 14px; background: ${c.primary}; color: ${c.primary_text}; cursor: pointer; }
.send:disabled { opacity: .6; cursor: default; }
.voice { border: 1px solid ${c.primary}; border-radius: 8px; padding: 0 10px; background: ${c.background}; color: ${c.primary}; cursor: pointer; }
.voice[hidden] { display: none; }
.voice[aria-pressed="true"] { background: ${c.primary}; color: ${c.primary_text}; }
.voice svg { width: 18px; height: 18px; fill: currentColor; vertical-align: middle; }
.voice:focus-visible { outline: 3px solid ${c.primary}; outline-offset: 2px; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;
}
