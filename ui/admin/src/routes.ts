/**
 * The navigation in the five groups, and which view each path shows. Views are lazy: each
 * is its own chunk, loaded on first visit, so the initial bundle stays small (docs/ui.md).
 * A view with `view: null` is planned but not built: shown in the nav as "coming".
 */
import { lazy, type Component } from 'solid-js';
import type { MessageKey } from './i18n/index.ts';

export interface NavItem {
  path: string;
  label: MessageKey;
  view: Component<{ params: Record<string, string> }> | null;
}

export interface NavGroup {
  label: MessageKey;
  items: NavItem[];
}

const Dashboard = lazy(() => import('./views/Dashboard.tsx'));
const Calls = lazy(() => import('./views/Calls.tsx'));
const CallPage = lazy(() => import('./views/CallPage.tsx'));
const Faq = lazy(() => import('./views/Faq.tsx'));
const Messages = lazy(() => import('./views/Messages.tsx'));
const MessagePage = lazy(() => import('./views/MessagePage.tsx'));
const Chat = lazy(() => import('./views/Chat.tsx'));
const Audit = lazy(() => import('./views/Audit.tsx'));
const Users = lazy(() => import('./views/Users.tsx'));
const ApiKeys = lazy(() => import('./views/ApiKeys.tsx'));
const Backups = lazy(() => import('./views/Backups.tsx'));
const Personas = lazy(() => import('./views/Personas.tsx'));
const Providers = lazy(() => import('./views/Providers.tsx'));
const Softphone = lazy(() => import('./views/Softphone.tsx'));
const Telegram = lazy(() => import('./views/Telegram.tsx'));
const Telephony = lazy(() => import('./views/Telephony.tsx'));
const Widgets = lazy(() => import('./views/Widgets.tsx'));
const Usage = lazy(() => import('./views/Usage.tsx'));
const Legal = lazy(() => import('./views/Legal.tsx'));
const Tts = lazy(() => import('./views/Tts.tsx'));
const Stt = lazy(() => import('./views/Stt.tsx'));
const Models = lazy(() => import('./views/Models.tsx'));
const Settings = lazy(() => import('./views/Settings.tsx'));
const About = lazy(() => import('./views/About.tsx'));

export const NAV: NavGroup[] = [
  {
    label: 'nav.group.monitoring',
    items: [
      { path: '/', label: 'nav.dashboard', view: Dashboard },
      { path: '/calls', label: 'nav.calls', view: Calls },
      { path: '/audit', label: 'nav.audit', view: Audit },
    ],
  },
  {
    label: 'nav.group.engines',
    items: [
      { path: '/providers', label: 'nav.providers', view: Providers },
      { path: '/personas', label: 'nav.personas', view: Personas },
      { path: '/tts', label: 'nav.tts', view: Tts },
      { path: '/stt', label: 'nav.stt', view: Stt },
      { path: '/models', label: 'nav.models', view: Models },
    ],
  },
  {
    label: 'nav.group.channels',
    items: [
      { path: '/chat', label: 'nav.chat', view: Chat },
      { path: '/call', label: 'nav.softphone', view: Softphone },
      { path: '/telephony', label: 'nav.telephony', view: Telephony },
      { path: '/widgets', label: 'nav.widgets', view: Widgets },
      // Not /telegram: the control plane claims that segment (its webhook, /telegram/webhook/:id).
      { path: '/telegram-bots', label: 'nav.telegram', view: Telegram },
    ],
  },
  {
    label: 'nav.group.business',
    items: [
      { path: '/faq', label: 'nav.faq', view: Faq },
      { path: '/messages', label: 'nav.messages', view: Messages },
      { path: '/usage', label: 'nav.usage', view: Usage },
    ],
  },
  {
    label: 'nav.group.system',
    items: [
      { path: '/users', label: 'nav.users', view: Users },
      { path: '/api-keys', label: 'nav.apikeys', view: ApiKeys },
      { path: '/backups', label: 'nav.backups', view: Backups },
      { path: '/legal', label: 'nav.legal', view: Legal },
      { path: '/settings', label: 'nav.settings', view: Settings },
      { path: '/about', label: 'nav.about', view: About },
    ],
  },
];

/** Pages reached from a list, not from the nav; `nav` is the item to highlight. */
export const DETAIL_ROUTES: Array<{ pattern: string; nav: string; view: NavItem['view'] }> = [
  { pattern: '/calls/:id', nav: '/calls', view: CallPage },
  { pattern: '/messages/:id', nav: '/messages', view: MessagePage },
];
