import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { useAuth } from '../auth/AuthProvider';
import { Loading } from './States';

export function SignInPrompt({ message = 'Sign in to continue.' }: { message?: string }) {
  const auth = useAuth();
  const expired = auth.status === 'expired';
  return (
    <section className="state state-auth" aria-labelledby="signin-heading">
      <h1 id="signin-heading">{expired ? 'Your session has expired' : 'Please sign in'}</h1>
      <p>{expired ? 'For your security you were signed out. Sign in again to continue.' : message}</p>
      <button className="btn btn-primary" onClick={() => void auth.signIn()} disabled={auth.status === 'signingIn'}>
        {auth.status === 'signingIn' ? 'Signing in…' : 'Sign in'}
      </button>
    </section>
  );
}

export function RequireAuth({ children, message }: { children: ReactNode; message?: string }) {
  const auth = useAuth();
  if (auth.status === 'loading') return <Loading />;
  if (auth.status !== 'signedIn') return <SignInPrompt message={message} />;
  return <>{children}</>;
}

export function AccessDenied() {
  return (
    <section className="state state-denied" aria-labelledby="denied-heading">
      <h1 id="denied-heading">Access denied</h1>
      <p>This area is for store administrators. Your account does not have the admin role.</p>
      <Link className="btn btn-primary" to="/">
        Back to the catalog
      </Link>
    </section>
  );
}

export function RequireAdmin({ children }: { children: ReactNode }) {
  const auth = useAuth();
  if (auth.status === 'loading') return <Loading />;
  if (auth.status !== 'signedIn') return <SignInPrompt message="Sign in with an administrator account to open the admin console." />;
  if (!auth.user?.isAdmin) return <AccessDenied />;
  return <>{children}</>;
}
