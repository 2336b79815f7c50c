export function Pagination({ page, totalPages, onPage, label = 'Pages' }: { page: number; totalPages: number; onPage: (p: number) => void; label?: string }) {
  if (totalPages <= 1) return null;
  return (
    <nav className="pagination" aria-label={label}>
      <button className="btn btn-secondary" disabled={page <= 0} onClick={() => onPage(page - 1)}>
        ← Previous
      </button>
      <span aria-current="page">
        Page {page + 1} of {totalPages}
      </span>
      <button className="btn btn-secondary" disabled={page >= totalPages - 1} onClick={() => onPage(page + 1)}>
        Next →
      </button>
    </nav>
  );
}
