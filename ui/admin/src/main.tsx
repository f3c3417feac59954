import { render } from 'solid-js/web';
import { App } from './App.tsx';
import './styles.css';

render(() => <App />, document.getElementById('app')!);

// The service worker caches the app shell for offline starts and installability (public/sw.js);
// never API answers.
if ('serviceWorker' in navigator && location.protocol !== 'file:') {
  window.addEventListener('load', () => void navigator.serviceWorker.register('/sw.js').catch(() => {}));
}
