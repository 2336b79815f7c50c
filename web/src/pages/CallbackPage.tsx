import { useEffect, useRef, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { useAuth } from '../auth/AuthProvider';
import { Loading } from '../components/States';

/** Finishes a redirect-mode sign-in (pop-up sign-ins are finished in main.tsx before the app mounts). */
export default function CallbackPage() {
  const auth = useAuth();
  const navigate = useNavigate();
  const [error, setError] = useState<string | null>(null);
  const started = useRef(false);
  useEffect(() => {
    if (started.current) return;
    started.current = true;
    const params = new URLSearchParams(window.location.search);
    if (params.get('error')) {
      setError(params.get('error_description') ?? params.get('error'));
      return;
    }
    if (!params.get('code')) {
      navigate('/', { replace: true });
      return;
    }
    auth.completeRedirect().then(
      (to) => navigate(to, { replace: true }),
      (e: unknown) => setError(e instanceof Error ? e.message : String(e)),
    );
  }, [auth, navigate]);
  if (error) {
    return (
      <section className="state state-error" role="alert">
        <h1>Sign-in did not complete</h1>
        <p>{error}</p>
        <Link className="btn btn-primary" to="/">
          Back to the catalog
        </Link>
      </section>
    );
  }
  return <Loading label="Signing you in…" />;
}
