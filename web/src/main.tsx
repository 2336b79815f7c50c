import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { UserManager } from 'oidc-client-ts';
import App from './App';
import { loadConfig } from './config';
import { userManagerSettings } from './auth/oidc';
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
  // Pop-up sign-in: hand the issuer's answer to the window that opened us (it holds the PKCE
  // verifier in memory; oidc-client-ts falls back to a BroadcastChannel if the opener link was
  // lost) and close. Nothing is stored here.
  if (isCallback && config.loginMode === 'popup') {
    message('Signing you in…');
    try {
      await new UserManager(userManagerSettings(config, window.location.origin)).signinPopupCallback();
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
