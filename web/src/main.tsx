import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { UserManager } from 'oidc-client-ts';
import App from './App';
import { loadConfig } from './config';
import { isRedirectAnswer, userManagerSettings } from './auth/oidc';
import './styles.css';

const root = createRoot(document.getElementById('root')!);

function message(text: string) {
  root.render(
    <main className="popup-callback" role="status">
      <p>{text}</p>
    </main>,
  );
}

async function start() {
  const config = await loadConfig();
  const params = new URLSearchParams(window.location.search);
  const isCallback = window.location.pathname === '/callback' && (params.has('code') || params.has('error'));
  const manager = () => new UserManager(userManagerSettings(config, window.location.origin));
  // A silent sign-in's answer, in the app's hidden frame: hand it to the page that holds the PKCE verifier in
  // memory, and stop (no app in the frame).
  if (isCallback && window.parent !== window) {
    await manager()
      .signinSilentCallback()
      .catch(() => undefined);
    return;
  }
  // A pop-up sign-in's answer: hand it to the window that opened us (oidc-client-ts falls back to a
  // BroadcastChannel if the opener link was lost) and close. A redirect sign-in's answer is the app's own
  // /callback page (its state waits in sessionStorage).
  if (isCallback && !isRedirectAnswer(params.get('state'))) {
    message('Signing you in…');
    try {
      await manager().signinPopupCallback();
    } catch (e) {
      message(`Sign-in could not be completed: ${e instanceof Error ? e.message : String(e)}. You can close this window.`);
    }
    return;
  }
  root.render(
    <StrictMode>
      <App config={config} />
    </StrictMode>,
  );
}

void start();
