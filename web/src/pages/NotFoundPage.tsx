import { useEffect } from 'react';
import { Link } from 'react-router';

export function NotFoundPage({ what = 'page' }: { what?: string }) {
  useEffect(() => {
    document.title = 'Not found · Bookstore';
  }, []);
  return (
    <section className="state state-notfound" aria-labelledby="nf-heading">
      <p className="big-code" aria-hidden="true">
        404
      </p>
      <h1 id="nf-heading">{what === 'page' ? 'Page not found' : `This ${what} could not be found`}</h1>
      <p>The {what} you are looking for doesn’t exist or has moved.</p>
      <Link className="btn btn-primary" to="/">
        Back to the catalog
      </Link>
    </section>
  );
}

export default NotFoundPage;
