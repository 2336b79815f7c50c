import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { useApi } from '../api/ApiProvider';
import { isApiError, messagesFor, type FieldErrors } from '../api/errors';
import type { Book, BookInput } from '../api/types';
import { ErrorState, Loading } from '../components/States';
import { NotFoundPage } from '../pages/NotFoundPage';
import { useResource } from '../lib/useResource';

interface FormValues {
  title: string;
  author: string;
  price: string;
  isbn: string;
  genre: string;
  publishedYear: string;
  coverUrl: string;
  description: string;
  initialStock: string;
}

const EMPTY: FormValues = { title: '', author: '', price: '', isbn: '', genre: '', publishedYear: '', coverUrl: '', description: '', initialStock: '0' };

function fromBook(b: Book): FormValues {
  return {
    title: b.title ?? '',
    author: b.author ?? '',
    price: b.price !== undefined && b.price !== null ? Number(b.price).toFixed(2) : '',
    isbn: b.isbn ?? '',
    genre: b.genre ?? '',
    publishedYear: b.publishedYear ? String(b.publishedYear) : '',
    coverUrl: b.coverUrl ?? '',
    description: b.description ?? '',
    initialStock: '',
  };
}

/** Form → request body. Numbers are sent as numbers when they parse, else as typed (the server validates). */
export function toBookInput(v: FormValues, creating: boolean): BookInput {
  const num = (s: string) => (s.trim() !== '' && Number.isFinite(Number(s)) ? Number(s) : s.trim());
  const opt = (s: string) => (s.trim() === '' ? undefined : s.trim());
  const input: BookInput = {
    title: v.title.trim(),
    author: v.author.trim(),
    // Blank stays out of the body: the server then reports "price is required" beside the other fields.
    price: v.price.trim() === '' ? undefined : num(v.price),
    isbn: opt(v.isbn),
    genre: opt(v.genre),
    publishedYear: v.publishedYear.trim() === '' ? null : num(v.publishedYear),
    coverUrl: opt(v.coverUrl),
    description: opt(v.description),
  };
  if (creating) input.initialStock = v.initialStock.trim() === '' ? 0 : num(v.initialStock);
  return input;
}

const FIELDS: { name: keyof FormValues; label: string; type?: string; required?: boolean; createOnly?: boolean; hint?: string; wide?: boolean; textarea?: boolean; inputMode?: 'decimal' | 'numeric' }[] = [
  { name: 'title', label: 'Title', required: true, wide: true },
  { name: 'author', label: 'Author', required: true },
  { name: 'price', label: 'Price (USD)', required: true, inputMode: 'decimal' },
  { name: 'isbn', label: 'ISBN', required: true, hint: 'ISBN-10 or ISBN-13, hyphens allowed; each book needs its own.' },
  { name: 'genre', label: 'Genre' },
  { name: 'publishedYear', label: 'Published year', inputMode: 'numeric' },
  { name: 'initialStock', label: 'Initial stock', createOnly: true, inputMode: 'numeric', hint: 'Units available as soon as the book is created.' },
  { name: 'coverUrl', label: 'Cover image URL', type: 'url', wide: true },
  { name: 'description', label: 'Description', wide: true, textarea: true },
];

export function BookFormPage() {
  const { id } = useParams();
  const creating = !id;
  const api = useApi();
  const navigate = useNavigate();
  const existing = useResource<Book | null>((signal) => (id ? api.adminGetBook(id, signal) : Promise.resolve(null)), [api, id]);
  const [values, setValues] = useState<FormValues>(EMPTY);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const loadedFor = useRef<string | null>(null);
  const errorSummary = useRef<HTMLDivElement>(null);

  useEffect(() => {
    document.title = `${creating ? 'New book' : 'Edit book'} · Admin · Bookstore`;
  }, [creating]);
  useEffect(() => {
    if (existing.data && loadedFor.current !== existing.data.id) {
      loadedFor.current = existing.data.id;
      setValues(fromBook(existing.data));
    }
  }, [existing.data]);

  if (!creating && existing.status === 'error') {
    if (isApiError(existing.error) && existing.error.isNotFound) return <NotFoundPage what="book" />;
    return <ErrorState error={existing.error} onRetry={existing.reload} />;
  }
  if (!creating && !existing.data) return <Loading label="Loading book…" />;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSaving(true);
    setErrors({});
    setFormError(null);
    try {
      const input = toBookInput(values, creating);
      const saved = creating ? await api.adminCreateBook(input) : await api.adminUpdateBook(id!, input);
      const title = saved?.title ?? input.title;
      navigate('/admin/books', { state: { flash: creating ? `“${title}” was created.` : `“${title}” was saved.` } });
    } catch (err) {
      // 422 lists invalid fields; 409 lists fields another book already holds (an ISBN).
      if (isApiError(err) && (err.isValidation || (err.isConflict && Object.keys(err.fieldErrors).length > 0))) {
        setErrors(err.fieldErrors);
        const known = FIELDS.some((f) => messagesFor(err.fieldErrors, f.name).length > 0);
        setFormError(known ? 'Please correct the highlighted fields.' : err.userMessage);
      } else if (isApiError(err)) {
        setFormError(err.userMessage);
      } else {
        setFormError('Saving failed unexpectedly.');
      }
      requestAnimationFrame(() => errorSummary.current?.focus());
    } finally {
      setSaving(false);
    }
  };

  return (
    <div className="narrow">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/admin/books">Books</Link> <span aria-hidden="true">/</span> <span aria-current="page">{creating ? 'New book' : values.title || 'Edit'}</span>
      </nav>
      <h1>{creating ? 'New book' : `Edit “${existing.data?.title}”`}</h1>
      <div ref={errorSummary} tabIndex={-1}>
        {formError && (
          <p className="notice notice-error" role="alert">
            {formError}
          </p>
        )}
      </div>
      <form className="form-grid" onSubmit={submit} noValidate aria-label={creating ? 'New book' : 'Edit book'}>
        {FIELDS.filter((f) => creating || !f.createOnly).map((f) => {
          const msgs = messagesFor(errors, f.name);
          const errId = `${f.name}-error`;
          const hintId = `${f.name}-hint`;
          const describedBy = [msgs.length ? errId : null, f.hint ? hintId : null].filter(Boolean).join(' ') || undefined;
          const common = {
            id: f.name,
            name: f.name,
            value: values[f.name],
            'aria-invalid': msgs.length > 0 || undefined,
            'aria-describedby': describedBy,
            'aria-required': f.required || undefined,
          };
          return (
            <div key={f.name} className={`field${f.wide ? ' field-wide' : ''}${msgs.length ? ' has-error' : ''}`}>
              <label htmlFor={f.name}>
                {f.label}
                {f.required && <span aria-hidden="true"> *</span>}
              </label>
              {f.textarea ? (
                <textarea {...common} rows={5} onChange={(e) => setValues({ ...values, [f.name]: e.target.value })} />
              ) : (
                <input {...common} type={f.type ?? 'text'} inputMode={f.inputMode} onChange={(e) => setValues({ ...values, [f.name]: e.target.value })} />
              )}
              {f.hint && (
                <p id={hintId} className="hint">
                  {f.hint}
                </p>
              )}
              {msgs.length > 0 && (
                <p id={errId} className="field-error">
                  {msgs.join(' ')}
                </p>
              )}
            </div>
          );
        })}
        <div className="form-actions field-wide">
          <button className="btn btn-primary" type="submit" disabled={saving}>
            {saving ? 'Saving…' : creating ? 'Create book' : 'Save changes'}
          </button>
          <Link className="btn btn-ghost" to="/admin/books">
            Cancel
          </Link>
        </div>
      </form>
    </div>
  );
}
